import { Controller, Get, Req, Res } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../http-io';
import { PublicUrls } from '../public-url.service';
import { IIIF_RESOURCE, parseNamedQueryPath, RAW_RESOURCE } from './presentation-path';
import { sendDocument } from './presentation-response';
import { PresentationService } from './presentation.service';

/**
 * Named-query projections (SPEC.md §7), the customer by id or name, the arguments the percent-decoded path
 * segments after the query name:
 * - `GET /iiif-resource/[v2/|v3/]{c}/{query}/{args...}`: a IIIF Presentation manifest, one canvas per asset in
 *   the query's order (3.0 default; 2.1 with `/v2/` or `Accept`; `/v4/` → 400);
 * - `GET /raw-resource/{c}/{query}/{args...}`: the JSON array of `"{customerId}/{space}/{id}"` in order.
 * Errors (problem documents): bad arguments → 400 naming the argument; unknown customer or query → 404; no match
 * → 404. Both are cached in memory per customer and invalidated by the customer's asset events.
 */
@Controller()
export class NamedQueryController {
  constructor(
    private readonly presentation: PresentationService,
    private readonly urls: PublicUrls,
  ) {}

  @Get([IIIF_RESOURCE, `${IIIF_RESOURCE}/*rest`])
  async manifest(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseNamedQueryPath(req.path, true);
    const doc = await this.presentation.namedQuery(
      'manifest',
      path,
      this.urls.base(req),
      req.headers.accept,
      this.urls.auth(req),
    );
    sendDocument(req, res, doc, true);
  }

  @Get([RAW_RESOURCE, `${RAW_RESOURCE}/*rest`])
  async raw(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseNamedQueryPath(req.path, false);
    const doc = await this.presentation.namedQuery('raw', path, this.urls.base(req));
    sendDocument(req, res, doc, false);
  }
}
