import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ProblemException } from '@vellum/common';
import { AssetLookupService, deliveredOn } from '../asset-lookup.service';
import { badRequest, notFound } from '../delivery-errors';
import { DeliveryEnv } from '../env';
import {
  answerIfNotModified,
  CACHE_OPEN_IMAGE,
  type HttpRequest,
  type HttpResponse,
  sendBody,
  sendCached,
} from '../http-io';
import { parseDeliveryPath, servicePath } from '../image-path';
import { PublicUrls } from '../public-url.service';
import { DELIVERY_ENV } from '../tokens';
import { miradorCsp, renderMiradorPage, resolveManifestParam } from './mirador-page';
import {
  MIRADOR_SCRIPT_NAME,
  VIEWER_SCRIPT_NAME,
  VIEWER_STYLE_NAME,
  ViewerAssets,
} from './viewer-assets.service';
import { renderErrorPage, renderViewerPage, viewerCsp } from './viewer-page';

const PREFIX = 'viewer';
const IMAGE_CHANNEL = 'iiif-img';

/**
 * A deep-zoom viewer page per image asset, for people with a browser (not a IIIF service):
 * - `GET /viewer/{c}/{s}/{id}` → `text/html`: OpenSeadragon opening the asset's Image API 3.0 service
 *   (`{public base}/iiif-img/{c}/{s}/{id}/info.json`, public base as for info.json ids: {@link PublicUrls}), a header with the info.json (3.0, 2.1) and thumbnail links. `Cache-Control: no-cache`,
 *   `Content-Security-Policy` from {@link viewerCsp}. An unknown customer/space/asset, one not ready, or one
 *   without the `iiif-img` channel (the lookup of the Image API, {@link AssetLookupService.resolve}) → an HTML
 *   page with the problem's status (4xx) and detail; 5xx → the usual problem document.
 * - `GET /viewer/mirador?manifest={url}` → `text/html`: Mirador opening a manifest of this service (an absolute URL
 *   on the public base's origin, or a path under the public base: {@link resolveManifestParam}), same headers as
 *   above with {@link miradorCsp}. A missing or foreign `manifest` → a 400 HTML page saying what is expected.
 * - `GET /viewer/assets/{name}` → the allow-listed files of {@link ViewerAssets} (OpenSeadragon, its button
 *   images, Mirador, the pages' scripts and stylesheet), `Cache-Control: public, max-age=31536000` with an ETag;
 *   anything else → 404 problem.
 * `/viewer/assets/{s}/{id}` with an integer `{s}` is the viewer page of a customer named `assets`.
 */
@Controller()
export class ViewerController {
  constructor(
    private readonly lookup: AssetLookupService,
    private readonly assets: ViewerAssets,
    private readonly urls: PublicUrls,
    @Inject(DELIVERY_ENV) private readonly env: DeliveryEnv,
  ) {}

  @Get(`${PREFIX}/assets/*file`)
  async asset(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const raw = req.path.split('/').slice(3);
    // `/viewer/assets/{s}/{id}`: the page of customer "assets" (no asset name starts with a digit).
    if (raw.length === 2 && /^\d+$/.test(raw[0])) return this.page(req, res);
    let name: string;
    try {
      name = raw.map((s) => decodeURIComponent(s)).join('/');
    } catch {
      throw badRequest(`Malformed percent-escape in path ${req.path}`);
    }
    const file = await this.assets.get(name);
    if (!file) throw notFound(`No viewer asset ${name}`);
    const meta = {
      etag: file.etag,
      cacheControl: CACHE_OPEN_IMAGE,
      headers: { 'X-Content-Type-Options': 'nosniff' },
    };
    if (answerIfNotModified(req, res, meta)) return;
    sendCached(res, meta, file.contentType, file.body);
  }

  @Get(`${PREFIX}/mirador`)
  mirador(@Req() req: HttpRequest, @Res() res: HttpResponse, @Query('manifest') manifest: unknown): void {
    // `/viewer/mirador` (or `/viewer/mirador/`): `/viewer/assets/` relative to the page, as for the other page.
    const assetsHref = `${'../'.repeat(req.path.split('/').length - 3)}assets/`;
    const base = this.urls.base(req);
    this.pageHeaders(res, miradorCsp(new URL(base).origin));
    const resolved = resolveManifestParam(manifest, base);
    if (!resolved.ok) {
      sendErrorPage(res, 400, 'Bad Request', resolved.detail, assetsHref);
      return;
    }
    const html = renderMiradorPage({
      manifest: resolved.url,
      assetsHref,
      versions: {
        mirador: this.assets.miradorVersion,
        script: this.assets.hashOf(MIRADOR_SCRIPT_NAME),
        style: this.assets.hashOf(VIEWER_STYLE_NAME),
      },
    });
    sendBody(res, 'text/html; charset=utf-8', html);
  }

  @Get(`${PREFIX}/:customer/:space/:id`)
  async page(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    // From the raw path: relative links to /viewer/assets/ keep working behind a path prefix or another host.
    const depth = req.path.split('/').length - 3;
    const assetsHref = `${'../'.repeat(depth)}assets/`;
    const base = this.urls.base(req);
    this.pageHeaders(res, viewerCsp(new URL(base).origin));
    let html: string;
    try {
      const path = parseDeliveryPath(req.path);
      if (path.slug !== undefined || path.kind !== 'base') throw notFound(`No such resource: ${req.path}`);
      const asset = await this.lookup.resolve(path.customer, path.space, path.id, IMAGE_CHANNEL);
      const v3 = this.env.VELLUM_IIIF_DEFAULT_VERSION === 3 ? undefined : 3;
      const v2 = this.env.VELLUM_IIIF_DEFAULT_VERSION === 2 ? undefined : 2;
      const hasThumbs = deliveredOn(asset, 'thumbs') && asset.thumbnails.length > 0;
      html = renderViewerPage({
        assetId: path.id,
        location: `${path.customer}/${path.space}`,
        infoJsonV3: `${base}${servicePath(IMAGE_CHANNEL, v3, path)}/info.json`,
        infoJsonV2: `${base}${servicePath(IMAGE_CHANNEL, v2, path)}/info.json`,
        thumbnail: hasThumbs
          ? `${base}${servicePath('thumbs', undefined, path)}/full/max/0/default.jpg`
          : undefined,
        assetsHref,
        versions: {
          openSeadragon: this.assets.openSeadragonVersion,
          script: this.assets.hashOf(VIEWER_SCRIPT_NAME),
          style: this.assets.hashOf(VIEWER_STYLE_NAME),
        },
      });
    } catch (err) {
      // 4xx as a page for the person who opened it; 5xx stays a logged problem document (with Retry-After).
      if (!(err instanceof ProblemException) || err.problem.status >= 500) throw err;
      const { status, title, detail } = err.problem;
      sendErrorPage(res, status, title, detail ?? '', assetsHref);
      return;
    }
    sendBody(res, 'text/html; charset=utf-8', html);
  }

  /** The headers of both pages: not cached, the page's CSP, no sniffing, no referrer to other origins. */
  private pageHeaders(res: HttpResponse, csp: string): void {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
  }
}

/** A 4xx HTML page for the person who opened a viewer page ({@link renderErrorPage}). */
function sendErrorPage(
  res: HttpResponse,
  status: number,
  title: string,
  detail: string,
  assetsHref: string,
): void {
  const html = renderErrorPage(status, title, detail, assetsHref);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}
