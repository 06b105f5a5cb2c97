import {
  answerIfNotModified,
  type CachedResponseMeta,
  CACHE_OPEN_INFO,
  CACHE_RESTRICTED,
  type HttpRequest,
  type HttpResponse,
  sendCached,
} from '../http-io';
import type { CachedDocument } from './presentation-cache.service';

/**
 * Answers a rendered projection (issue 8 "Caching"): `ETag` and `Last-Modified` (the newest member), conditional
 * requests (304), `Cache-Control` public for a day (private when an asset has roles), `Vary: Accept` where
 * `Accept` selects the version (manifests); CORS `*` comes from `configureDeliveryApp`.
 */
export function sendDocument(
  req: HttpRequest,
  res: HttpResponse,
  doc: CachedDocument,
  varyOnAccept: boolean,
): void {
  const meta: CachedResponseMeta = {
    etag: doc.etag,
    lastModified: doc.lastModified,
    cacheControl: doc.restricted ? CACHE_RESTRICTED : CACHE_OPEN_INFO,
    headers: varyOnAccept ? { Vary: 'Accept' } : {},
  };
  if (answerIfNotModified(req, res, meta)) return;
  sendCached(res, meta, doc.contentType, doc.body);
}
