import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  buildLevel0InfoV2,
  buildLevel0InfoV3,
  type IiifVersion,
  infoContentType,
  parseSize,
  profileLinkHeader,
  resolveSize,
  versionFromAccept,
} from '@vellum/iiif';
import { assetKeyPrefix, ObjectNotFoundError } from '@vellum/storage';
import { AssetLookupService, type DeliveryAsset } from './asset-lookup.service';
import { customHeadersFor } from './custom-headers';
import { badRequest, iiif, notFound } from './delivery-errors';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryEnv } from './env';
import { etagOf } from './http-cache';
import {
  answerIfNotModified,
  CACHE_OPEN_IMAGE,
  CACHE_OPEN_INFO,
  type HttpRequest,
  type HttpResponse,
  redirect,
  redirectToUnversioned,
  sendCached,
} from './http-io';
import { type DeliveryPath, parseDeliveryPath, servicePath } from './image-path';
import { PublicUrls } from './public-url.service';
import { TileRenderer } from './tile-renderer.service';
import { ThumbnailStore } from './thumbnail-store.service';
import { DELIVERY_ENV } from './tokens';

const PREFIX = 'thumbs';

/**
 * The `thumbs` delivery channel (SPEC.md §5): a IIIF Image API **level 0** service over the asset's open
 * pre-made thumbnails (`derivatives.thumbnails.open`).
 *
 * - `GET /thumbs/[v2/|v3/]{c}/{s}/{id}` → 303 to info.json;
 * - `GET /thumbs/[v2/|v3/]{c}/{s}/{id}/info.json` → level-0 info.json: width/height = the largest open thumbnail,
 *   `sizes` = the open thumbnails (ascending);
 * - `GET /thumbs/[v2/|v3/]{c}/{s}/{id}/full/{size}/0/default.jpg` → a thumbnail. `size` is any IIIF size of the
 *   version (`w,h`, `w,`, `,h`, `!w,h`, `pct:n`, `max`, 2.1 `full`) resolved against the largest open thumbnail.
 *   A pre-made size (±1 px per edge, the rounding of `w,`/`,h`) is sent as stored; a smaller one is resized from
 *   the next larger pre-made one. Decision: a size larger than the largest open thumbnail is a 400 (level 0
 *   offers nothing above its `sizes`; with 3.0 that is also the "upscaling without ^" rule). Another region,
 *   rotation, quality or format → 400.
 */
@Controller()
export class ThumbsController {
  private readonly defaultVersion: IiifVersion;

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly store: ThumbnailStore,
    private readonly renderer: TileRenderer,
    private readonly metrics: DeliveryMetrics,
    private readonly urls: PublicUrls,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.defaultVersion = env.VELLUM_IIIF_DEFAULT_VERSION;
  }

  @Get([PREFIX, `${PREFIX}/*rest`])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseDeliveryPath(req.path);
    // Substitute image services (IIIF Auth 2.0) live under iiif-img only; thumbnails are open anyway.
    if (path.substitute) throw notFound(`No such resource: ${req.path}`);
    const base = this.urls.base(req);
    if (path.slug === this.defaultVersion) return redirectToUnversioned(req, res, PREFIX, base);
    const version = path.slug ?? this.defaultVersion;
    if (path.kind === 'base') {
      await this.thumbnailsOf(path);
      return redirect(res, 303, `${base}${servicePath(PREFIX, path.slug, path)}/info.json`);
    }
    if (path.kind === 'info') return this.info(req, res, path, base);

    const [region, size, rotation, qualityFormat] = path.params!;
    if (region !== 'full')
      throw badRequest(`The thumbs service (level 0) serves only the full region, not "${region}"`);
    if (rotation !== '0')
      throw badRequest(`The thumbs service (level 0) serves only rotation 0, not "${rotation}"`);
    if (qualityFormat !== 'default.jpg') {
      throw badRequest(`The thumbs service (level 0) serves only default.jpg, not "${qualityFormat}"`);
    }
    const sizeRequest = iiif(() => parseSize(size, version));
    const { asset, thumbs } = await this.thumbnailsOf(path);
    const largest = thumbs[thumbs.length - 1];
    const out = iiif(() => resolveSize(sizeRequest, { w: largest.width, h: largest.height }, version));
    if (out.w > largest.width || out.h > largest.height) {
      throw badRequest(
        `Size ${out.w}x${out.h} is larger than the largest thumbnail (${largest.width}x${largest.height})`,
      );
    }
    const stored = thumbs.find((t) => Math.abs(t.width - out.w) <= 1 && Math.abs(t.height - out.h) <= 1);
    const source = stored ?? thumbs.find((t) => t.width >= out.w && t.height >= out.h) ?? largest;
    const outW = stored ? stored.width : out.w;
    const outH = stored ? stored.height : out.h;
    const meta = {
      etag: etagOf(
        `${asset.customerId}/${asset.spaceId}/${asset.id}`,
        asset.version,
        'thumbs',
        `${outW},${outH}`,
      ),
      lastModified: asset.finished,
      cacheControl: CACHE_OPEN_IMAGE,
      // The thumbs channel is always open (SPEC.md §6); custom headers (§5) last, so they may override.
      headers: { Link: profileLinkHeader(version, 0), ...customHeadersFor(asset.customHeaders, false) },
    };
    if (answerIfNotModified(req, res, meta)) {
      this.metrics.request('not-modified');
      return;
    }
    const started = process.hrtime.bigint();
    let bytes: Buffer;
    try {
      bytes = await this.store.get(asset.thumbnailBucket!, source.key, asset.version);
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        throw notFound(`Thumbnail ${source.width},${source.height} of this asset is missing`);
      throw err;
    }
    const kind = stored ? 'thumbnail' : 'thumbnail-derived';
    const body = stored
      ? bytes
      : await this.store.derived(
          `${assetKeyPrefix(asset.customerId, asset.spaceId, asset.id)}/${meta.etag}`,
          () =>
            this.renderer.renderFromImage(bytes, {
              width: outW,
              height: outH,
              degrees: 0,
              mirror: false,
              quality: 'default',
              format: 'jpg',
            }),
        );
    this.metrics.request(kind);
    this.metrics.rendered(kind, Number(process.hrtime.bigint() - started) / 1e9);
    sendCached(res, meta, 'image/jpeg', body);
  }

  private info(req: HttpRequest, res: HttpResponse, path: DeliveryPath, base: string): Promise<void> {
    return this.thumbnailsOf(path).then(({ asset, thumbs }) => {
      const accept = req.headers.accept;
      const served =
        (path.slug === undefined ? versionFromAccept(accept) : undefined) ?? path.slug ?? this.defaultVersion;
      const idSlug = path.slug ?? (served !== this.defaultVersion ? served : undefined);
      const id = `${base}${servicePath(PREFIX, idSlug, path)}`;
      const cacheKey = `thumbs ${served} ${id}`;
      let body = asset.infoCache.get(cacheKey);
      if (!body) {
        const largest = thumbs[thumbs.length - 1];
        const input = {
          id,
          width: largest.width,
          height: largest.height,
          sizes: thumbs.map((t) => ({ width: t.width, height: t.height })),
        };
        body = JSON.stringify(served === 3 ? buildLevel0InfoV3(input) : buildLevel0InfoV2(input));
        if (asset.infoCache.size < 16) asset.infoCache.set(cacheKey, body);
      }
      const contentType = infoContentType(served, accept);
      // Accept selects the content type (and, unversioned, the version): caches must key on it.
      const headers: Record<string, string> = {
        Link: profileLinkHeader(served, 0),
        Vary: 'Accept',
        ...customHeadersFor(asset.customHeaders, false),
      };
      const meta = {
        etag: etagOf(body, contentType),
        lastModified: asset.finished,
        cacheControl: CACHE_OPEN_INFO,
        headers,
      };
      if (answerIfNotModified(req, res, meta)) return;
      sendCached(res, meta, contentType, body);
    });
  }

  private async thumbnailsOf(
    path: DeliveryPath,
  ): Promise<{ asset: DeliveryAsset; thumbs: DeliveryAsset['thumbnails'] }> {
    const asset = await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
    if (asset.thumbnails.length === 0 || !asset.thumbnailBucket) {
      throw notFound(`Asset ${path.customer}/${path.space}/${path.id} has no open thumbnails`);
    }
    return { asset, thumbs: asset.thumbnails };
  }
}
