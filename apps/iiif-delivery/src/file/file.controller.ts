import { Controller, Get, Req, Res } from '@nestjs/common';
import { customHeadersFor } from '../custom-headers';
import { deliveryError } from '../delivery-errors';
import {
  answerIfNotModified,
  type CachedResponseMeta,
  type HttpRequest,
  type HttpResponse,
  setCacheHeaders,
} from '../http-io';
import { decideRange, type RangeDecision } from './byte-range';
import { FileDeliveryService } from './file-delivery.service';
import { inlineDisposition, safetyHeaders } from './file-headers';
import { FileMetrics } from './file-metrics';
import { FILE_PREFIX, parseFilePath } from './file-path';

/**
 * `Cache-Control` of an open original: public, one day. Shorter than the year of tiles: an original is replaced
 * in place by a reingest, or by its owner for an optimised origin (the ETag follows the stored object), and a
 * revalidation (304) costs one metadata read.
 */
export const CACHE_OPEN_FILE = 'public, max-age=86400';

/** The first value of a request header. */
function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The `file` delivery channel (SPEC.md §4.5, §5): `GET`/`HEAD /file/{c}/{s}/{id}` answer the asset's original as
 * stored, with `Content-Type` = the asset's `mediaType`, `Content-Length`, `Accept-Ranges: bytes`,
 * `Content-Disposition: inline; filename="<id>"`, `ETag`/`Last-Modified`/`Cache-Control` and the customer's custom
 * headers (as on image responses); CORS and the preflight come from `configureDeliveryApp`.
 *
 * - Conditional requests (RFC 9110 §13): `If-None-Match` / `If-Modified-Since` → 304, evaluated before `Range`.
 * - `Range` on GET (RFC 9110 §14, {@link decideRange}): one range → 206 with `Content-Range`; none satisfiable →
 *   416 problem with `Content-Range: bytes *\/size`; several disjoint → 200 with the whole file (no
 *   multipart/byteranges); `If-Range` honoured. HEAD ignores `Range` (RFC 9110 §14.2: ranges are defined for GET).
 * - Errors are problem documents: 404 (unknown customer/space/asset, still ingesting, errored, not on the `file`
 *   channel, original missing), 401 (restricted asset: IIIF Auth 2.0 is not served yet), 503 (store or database
 *   unavailable). Once the body has started, a failure can only cut the response short.
 * The body is streamed from the object store (never buffered whole); a client that goes away releases the store
 * stream at once.
 */
@Controller()
export class FileController {
  constructor(
    private readonly files: FileDeliveryService,
    private readonly metrics: FileMetrics,
  ) {}

  @Get([FILE_PREFIX, `${FILE_PREFIX}/*rest`])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const target = await this.files.resolve(parseFilePath(req.path));
    const { asset, info } = target;
    const meta: CachedResponseMeta = {
      etag: target.etag,
      lastModified: target.lastModified,
      cacheControl: CACHE_OPEN_FILE,
      // Custom headers (SPEC.md §5) first, so that the ones delivery owns here always win.
      headers: {
        ...customHeadersFor(asset.customHeaders, false),
        'Accept-Ranges': 'bytes',
        ...safetyHeaders(target.contentType),
      },
    };
    if (answerIfNotModified(req, res, meta)) {
      this.metrics.request('not-modified');
      return;
    }
    const head = req.method === 'HEAD';
    const size = info.size;
    const decision: RangeDecision = head
      ? { kind: 'whole' }
      : decideRange(size, header(req, 'range'), header(req, 'if-range'), meta);
    if (decision.kind === 'unsatisfiable') {
      this.metrics.request('unsatisfiable');
      throw deliveryError(
        416,
        `Range ${header(req, 'range')} is outside the ${size} bytes of the original of asset ${target.label}`,
        { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' },
      );
    }
    const partial = decision.kind === 'partial';
    const start = partial ? decision.start : 0;
    const length = partial ? decision.end - decision.start + 1 : size;
    // Opened before any header is set: a store failure here is still answered as a problem (404/503).
    const body =
      head || length === 0
        ? undefined
        : await this.files.open(target, partial ? { start, end: decision.end } : undefined);
    setCacheHeaders(res, meta);
    res.statusCode = partial ? 206 : 200;
    res.setHeader('Content-Type', target.contentType);
    res.setHeader('Content-Length', length);
    res.setHeader('Content-Disposition', inlineDisposition(asset.id));
    if (partial) res.setHeader('Content-Range', `bytes ${start}-${decision.end}/${size}`);
    this.metrics.request(head ? 'head' : partial ? 'partial' : 'whole');
    if (!body) {
      res.end();
      return;
    }
    await this.files.stream(body, res, length, target.label);
  }
}
