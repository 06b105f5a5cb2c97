import { Controller, Get, Req, Res } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../http-io';
import { PublicUrls } from '../public-url.service';
import { IIIF_MANIFEST, parseManifestPath } from './presentation-path';
import { sendDocument } from './presentation-response';
import { PresentationService } from './presentation.service';

/**
 * The single-asset IIIF Presentation manifest (SPEC.md §5): `GET /iiif-manifest/[v2/|v3/]{c}/{s}/{id}`.
 * 3.0 by default (`application/ld+json;profile=".../presentation/3/context.json"`); `/v2/`, or an `Accept` naming
 * the 2.1 context on the unversioned URL, gives 2.1 for image assets (else 404); an unknown version slug (`/v4/`)
 * → 400. Unknown customer/space/asset, still ingesting, failed → 404 problem documents, as on the image routes.
 * Ids come from the request's public base (`PublicUrls`: `VELLUM_DELIVERY_URL`, `Host` or trusted
 * `X-Forwarded-*`).
 */
@Controller()
export class ManifestController {
  constructor(
    private readonly presentation: PresentationService,
    private readonly urls: PublicUrls,
  ) {}

  @Get([IIIF_MANIFEST, `${IIIF_MANIFEST}/*rest`])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseManifestPath(req.path);
    const doc = await this.presentation.assetManifest(
      path,
      this.urls.base(req),
      req.headers.accept,
      this.urls.auth(req),
    );
    sendDocument(req, res, doc, true);
  }
}
