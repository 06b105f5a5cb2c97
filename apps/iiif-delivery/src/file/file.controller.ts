import { Controller, Get, Req, Res } from '@nestjs/common';
import { customHeadersFor } from '../custom-headers';
import { VARY_CREDENTIALS } from '../auth/access-control.service';
import { CACHE_RESTRICTED, type HttpRequest, type HttpResponse } from '../http-io';
import { sendRanged } from '../ranged/ranged-response';
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
 *   channel, original missing), 401/403 (restricted asset without a credential holding one of its roles, SPEC.md §6; restricted responses
 *   are `Cache-Control: private` with `Vary: Cookie, Authorization`), 503 (store or database
 *   unavailable). Once the body has started, a failure can only cut the response short.
 * The body is streamed from the object store (never buffered whole) by `sendRanged` (shared with `iiif-av`); a client that goes away releases the store
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
    const target = await this.files.resolve(parseFilePath(req.path), req.headers);
    const { asset, info } = target;
    const restricted = asset.roles.length > 0;
    const out = await sendRanged(
      req,
      res,
      {
        size: info.size,
        meta: {
          etag: target.etag,
          lastModified: target.lastModified,
          cacheControl: restricted ? CACHE_RESTRICTED : CACHE_OPEN_FILE,
          // Custom headers (SPEC.md §5) first, so that the ones delivery owns here always win.
          headers: {
            ...customHeadersFor(asset.customHeaders, restricted),
            ...safetyHeaders(target.contentType),
            ...(restricted ? { Vary: VARY_CREDENTIALS } : {}),
          },
        },
        contentType: target.contentType,
        headers: { 'Content-Disposition': inlineDisposition(asset.id) },
        describe: `the original of asset ${target.label}`,
        open: (range) => this.files.open(target, range),
      },
      (kind) => this.metrics.request(kind),
    );
    if (out.stream) this.files.report(out.stream, out.length, target.label);
  }
}
