import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  type IiifVersion,
  infoContentType,
  parseImageRequest,
  profileLinkHeader,
  versionFromAccept,
} from '@vellum/iiif';
import { AssetLookupService } from './asset-lookup.service';
import { customHeadersFor } from './custom-headers';
import { iiif } from './delivery-errors';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryEnv } from './env';
import { etagOf } from './http-cache';
import {
  answerIfNotModified,
  CACHE_OPEN_IMAGE,
  CACHE_OPEN_INFO,
  CACHE_RESTRICTED,
  type HttpRequest,
  type HttpResponse,
  redirect,
  redirectToUnversioned,
  sendCached,
} from './http-io';
import { ImageDeliveryService } from './image-delivery.service';
import { parseDeliveryPath, servicePath } from './image-path';
import { PublicUrls } from './public-url.service';
import { DELIVERY_ENV } from './tokens';

const PREFIX = 'iiif-img';

/**
 * The IIIF Image API service (SPEC.md §5), versions 2.1 and 3.0:
 * - `GET /iiif-img/[v2/|v3/]{c}/{s}/{id}` → 303 to its info.json;
 * - `GET /iiif-img/[v2/|v3/]{c}/{s}/{id}/info.json` → the image information document;
 * - `GET /iiif-img/[v2/|v3/]{c}/{s}/{id}/{region}/{size}/{rotation}/{quality}.{format}` → the image.
 * A version slug equal to the default version (`VELLUM_IIIF_DEFAULT_VERSION`) redirects (302) to the unversioned
 * URL. The raw path is split and each segment decoded here, so ids with `%`-escapes work.
 */
@Controller()
export class ImageApiController {
  private readonly defaultVersion: IiifVersion;

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly images: ImageDeliveryService,
    private readonly metrics: DeliveryMetrics,
    private readonly urls: PublicUrls,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.defaultVersion = env.VELLUM_IIIF_DEFAULT_VERSION;
  }

  @Get([PREFIX, `${PREFIX}/*rest`])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseDeliveryPath(req.path);
    const base = this.urls.base(req);
    if (path.slug === this.defaultVersion) return redirectToUnversioned(req, res, PREFIX, base);
    const version = path.slug ?? this.defaultVersion;

    if (path.kind === 'base') {
      await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
      return redirect(res, 303, `${base}${servicePath(PREFIX, path.slug, path)}/info.json`);
    }

    if (path.kind === 'info') {
      const asset = await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
      const accept = req.headers.accept;
      // Unversioned URL: an Accept header naming an Image API context may select the version (3.0 §5.1).
      const asked = path.slug === undefined ? versionFromAccept(accept) : undefined;
      const served = asked ?? version;
      const idSlug = path.slug ?? (served !== this.defaultVersion ? served : undefined);
      const id = `${base}${servicePath(PREFIX, idSlug, path)}`;
      const body = this.images.infoJson(asset, served, id);
      const contentType = infoContentType(served, accept);
      // Accept selects the content type (and, unversioned, the version): caches must key on it.
      const restricted = asset.roles.length > 0;
      // Custom headers (SPEC.md §5) come last, so that a customer's Cache-Control overrides the default one.
      const headers: Record<string, string> = {
        Link: profileLinkHeader(served, 2),
        Vary: 'Accept',
        ...customHeadersFor(asset.customHeaders, restricted),
      };
      const meta = {
        etag: etagOf(body, contentType),
        lastModified: asset.finished,
        cacheControl: restricted ? CACHE_RESTRICTED : CACHE_OPEN_INFO,
        headers,
      };
      if (answerIfNotModified(req, res, meta)) return;
      return sendCached(res, meta, contentType, body);
    }

    const [region, size, rotation, qualityFormat] = path.params!;
    const request = iiif(() => parseImageRequest(version, region, size, rotation, qualityFormat));
    const asset = await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
    const plan = this.images.plan(asset, request);
    const serviceId = `${base}${servicePath(PREFIX, path.slug, path)}`;
    const restricted = asset.roles.length > 0;
    const meta = {
      etag: plan.etag,
      lastModified: asset.finished,
      cacheControl: restricted ? CACHE_RESTRICTED : CACHE_OPEN_IMAGE,
      headers: {
        Link: `${profileLinkHeader(version, 2)}, <${serviceId}/${plan.canonical}>;rel="canonical"`,
        ...customHeadersFor(asset.customHeaders, restricted),
      },
    };
    if (answerIfNotModified(req, res, meta)) {
      this.metrics.request('not-modified');
      return;
    }
    const result = await this.images.render(asset, plan);
    sendCached(res, meta, result.contentType, result.body);
  }
}
