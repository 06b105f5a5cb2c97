import type { IncomingMessage } from 'node:http';

/** `PUT/POST /customers/{c}/spaces/{s}/images[/{id}]`: the routes that accept an uploaded file. */
const UPLOAD_ROUTE = /^\/customers\/[^/?#]+\/spaces\/[^/?#]+\/images(?:\/[^/?#]+)?\/?(?:[?#]|$)/;

/** True for a `PUT`/`POST` of one asset (the routes that accept an uploaded file, SPEC.md §3.3). */
export function isAssetWriteRoute(req: Pick<IncomingMessage, 'method' | 'url'>): boolean {
  return (req.method === 'PUT' || req.method === 'POST') && UPLOAD_ROUTE.test(req.url ?? '');
}

/** True for a `multipart/form-data` request. */
export function isMultipart(req: Pick<IncomingMessage, 'headers'>): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/**
 * True when an asset write's JSON body is left to the upload reader instead of the global JSON parser: it is
 * declared larger than `maxBodyBytes` (`VELLUM_MAX_BODY_BYTES`) or its length is not declared (chunked), so it may
 * carry a base64 `file` of any size. Its members other than `file` are still held to `maxBodyBytes`.
 */
export function isStreamedJsonUpload(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  maxBodyBytes: number,
): boolean {
  if (!isAssetWriteRoute(req) || isMultipart(req)) return false;
  const declared = req.headers['content-length'];
  if (declared === undefined) return req.headers['transfer-encoding'] !== undefined;
  return Number(declared) > maxBodyBytes;
}
