import { Controller, Get, Req, Res } from '@nestjs/common';
import { customHeadersFor } from '../custom-headers';
import { VARY_CREDENTIALS } from '../auth/access-control.service';
import { CACHE_RESTRICTED, type HttpRequest, type HttpResponse } from '../http-io';
import { sendRanged } from '../ranged/ranged-response';
import { AvDeliveryService } from './av-delivery.service';
import { AvMetrics } from './av-metrics';
import { AV_PREFIX, parseAvRequestPath } from './av-path';

/**
 * `Cache-Control` of an open transcode: public, one day (a reingest overwrites it at the same key; the ETag
 * follows the stored object, so a revalidation is one metadata read).
 */
export const CACHE_OPEN_AV = 'public, max-age=86400';

/**
 * The `iiif-av` delivery channel (SPEC.md §4.4, §5): `GET`/`HEAD`
 * `/iiif-av/{c}/{s}/{id}/full/max/default.{mp3|m4a}` and `/iiif-av/{c}/{s}/{id}/full/full/max/max/0/default.{mp4|webm}`
 * (the DLCS names: the first transcode of that extension), or the same with a preset name in place of `default`
 * (e.g. `.../0/video-mp4-480p.mp4`), and a video's poster frame at `/iiif-av/{c}/{s}/{id}/poster.jpg` (`image/jpeg`). Answers the transcode with `Content-Type` from the extension
 * (`audio/mpeg`, `audio/mp4`, `video/mp4`, `video/webm`), `Content-Length`, `Accept-Ranges: bytes`,
 * `ETag`/`Last-Modified`/`Cache-Control` and the customer's custom headers; CORS (with `Range` allowed and
 * `Content-Range`/`Accept-Ranges` exposed) from `configureDeliveryApp`.
 *
 * - Conditional requests → 304, before `Range`; one `Range` → 206; none satisfiable → 416 problem with
 *   `Content-Range: bytes *\/size`; several disjoint → 200 whole; `If-Range` honoured (`sendRanged`, shared with
 *   `/file/`).
 * - Errors are problem documents: 404 (unknown asset, not on `iiif-av`, no such transcode, object missing), 401/403
 *   (restricted asset without a credential holding one of its roles, SPEC.md §6; restricted responses are
 *   `Cache-Control: private` with `Vary: Cookie, Authorization`), 503 (store or database unavailable).
 * The body is a ranged read of the object store, streamed; a client going away (a media element seeking)
 * releases the store stream at once.
 */
@Controller()
export class AvController {
  constructor(
    private readonly av: AvDeliveryService,
    private readonly metrics: AvMetrics,
  ) {}

  @Get([AV_PREFIX, `${AV_PREFIX}/*rest`])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const target = await this.av.resolve(parseAvRequestPath(req.path), req.headers);
    const restricted = target.asset.roles.length > 0;
    const out = await sendRanged(
      req,
      res,
      {
        size: target.info.size,
        meta: {
          etag: target.etag,
          lastModified: target.lastModified,
          cacheControl: restricted ? CACHE_RESTRICTED : CACHE_OPEN_AV,
          headers: {
            ...customHeadersFor(target.asset.customHeaders, restricted),
            'X-Content-Type-Options': 'nosniff',
            ...(restricted ? { Vary: VARY_CREDENTIALS } : {}),
          },
        },
        contentType: target.contentType,
        describe: `the ${target.what} of asset ${target.label}`,
        open: (range) => this.av.open(target, range),
      },
      (kind) => this.metrics.request(kind, target.extension),
    );
    if (out.stream) this.av.report(out.stream, out.length, target);
  }
}
