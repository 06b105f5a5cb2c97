import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  type IiifVersion,
  infoContentType,
  parseImageRequest,
  profileLinkHeader,
  versionFromAccept,
} from '@vellum/iiif';
import { holdsRole, substituteMaxWidth } from '@vellum/access';
import { AssetLookupService, type DeliveryAsset } from './asset-lookup.service';
import { AccessControlService, VARY_CREDENTIALS } from './auth/access-control.service';
import { imageAuthServices, probeUrl } from './auth/auth-services';
import { customHeadersFor } from './custom-headers';
import { iiif, notFound } from './delivery-errors';
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
import { ImageDeliveryService, type InfoVariant } from './image-delivery.service';
import { parseDeliveryPath, servicePath, SUBSTITUTE } from './image-path';
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
 *
 * Access control (SPEC.md §6, IIIF Auth 2.0): the image requests of an asset with roles are decided by
 * @vellum/access for the request's caller (bearer access token or session cookie): 401/403 problems beyond the open
 * sizes, `Cache-Control: private` and `Vary: Cookie, Authorization`; its info.json (always 200) carries the Auth 2.0
 * probe service tree. `.../{id}/substitute[/info.json|/{region}/{size}/{rotation}/{quality}.{format}]` is the open
 * substitute service (maxWidth = the asset's substitute size), 404 when the asset has none.
 */
@Controller()
export class ImageApiController {
  private readonly defaultVersion: IiifVersion;

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly images: ImageDeliveryService,
    private readonly metrics: DeliveryMetrics,
    private readonly urls: PublicUrls,
    private readonly access: AccessControlService,
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
    const substitute = path.substitute === true;
    const tail = substitute ? `/${SUBSTITUTE}` : '';

    if (path.kind === 'base') {
      const asset = await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
      if (substitute) this.assertSubstitute(asset);
      return redirect(res, 303, `${base}${servicePath(PREFIX, path.slug, path)}${tail}/info.json`);
    }

    if (path.kind === 'info') {
      const asset = await this.lookup.resolve(path.customer, path.space, path.id, PREFIX);
      if (substitute) this.assertSubstitute(asset);
      const accept = req.headers.accept;
      // Unversioned URL: an Accept header naming an Image API context may select the version (3.0 §5.1).
      const asked = path.slug === undefined ? versionFromAccept(accept) : undefined;
      const served = asked ?? version;
      const idSlug = path.slug ?? (served !== this.defaultVersion ? served : undefined);
      const id = `${base}${servicePath(PREFIX, idSlug, path)}${tail}`;
      // The substitute is open (seed 004: "has no access control"); the asset's own service is not.
      const restricted = asset.roles.length > 0 && !substitute;
      let variant: InfoVariant = { substitute };
      if (restricted) {
        const caller = await this.access.callerFor(req.headers, asset);
        const authBase = this.access.authBase(req);
        const services = await this.access.accessServices(asset, authBase);
        variant = {
          services: imageAuthServices(served, probeUrl(base, asset), services),
          authorised: holdsRole(asset, caller),
          key: `${base} ${authBase}`,
        };
      }
      const body = this.images.infoJson(asset, served, id, variant);
      const contentType = infoContentType(served, accept);
      // Accept selects the content type (and, unversioned, the version): caches must key on it; a restricted
      // document lists the auth sizes to authorised callers only.
      // Custom headers (SPEC.md §5) come last, so that a customer's Cache-Control overrides the default one.
      const headers: Record<string, string> = {
        Link: profileLinkHeader(served, 2),
        Vary: restricted ? `Accept, ${VARY_CREDENTIALS}` : 'Accept',
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
    const caller = substitute ? undefined : await this.access.callerFor(req.headers, asset);
    const plan = this.images.plan(asset, request, caller, substitute);
    const serviceId = `${base}${servicePath(PREFIX, path.slug, path)}${tail}`;
    const restricted = asset.roles.length > 0 && !substitute;
    const headers: Record<string, string> = {
      Link: `${profileLinkHeader(version, 2)}, <${serviceId}/${plan.canonical}>;rel="canonical"`,
    };
    if (restricted) headers.Vary = VARY_CREDENTIALS;
    const meta = {
      etag: plan.etag,
      lastModified: asset.finished,
      cacheControl: restricted ? CACHE_RESTRICTED : CACHE_OPEN_IMAGE,
      headers: { ...headers, ...customHeadersFor(asset.customHeaders, restricted) },
    };
    if (answerIfNotModified(req, res, meta)) {
      this.metrics.request('not-modified');
      return;
    }
    const result = await this.images.render(asset, plan);
    sendCached(res, meta, result.contentType, result.body);
  }

  /** @throws ProblemException 404 when the asset offers no substitute (open, or `openMaxWidth` unset). */
  private assertSubstitute(asset: DeliveryAsset): void {
    if (substituteMaxWidth(asset) === undefined)
      throw notFound(
        `Asset ${asset.customerId}/${asset.spaceId}/${asset.id} has no substitute image service ` +
          `(it is open, or has no openMaxWidth)`,
      );
  }
}
