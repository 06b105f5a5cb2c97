import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { probeOutcome } from '@vellum/access';
import type { IiifVersion } from '@vellum/iiif';
import { AssetLookupService, deliveredOn } from '../asset-lookup.service';
import { badRequest, notFound } from '../delivery-errors';
import { DeliveryEnv } from '../env';
import { etagOf } from '../http-cache';
import { CACHE_OPEN_INFO, type HttpRequest, type HttpResponse, sendBody } from '../http-io';
import { PublicUrls } from '../public-url.service';
import { DELIVERY_ENV } from '../tokens';
import { AccessControlService, REFUSAL_HEADERS } from './access-control.service';
import { probeResult, probeUrl, substituteServices } from './auth-services';

/** The route prefix of probe services. */
export const PROBE_PREFIX = 'auth/v2/probe';

/** Content-Type of probe results (JSON-LD in the Auth 2.0 context, served as plain JSON like info.json). */
export const PROBE_CONTENT_TYPE = 'application/json';

/**
 * `{c}/{s}/{id}` of a raw probe path `/auth/v2/probe/{c}/{s}/{id}`, each segment decoded on its own (an id with
 * a `/` is escaped, `%2F`).
 * @throws ProblemException 404 for any other shape; 400 for a malformed percent-escape.
 */
export function parseProbePath(rawPath: string): { customer: string; space: string; id: string } {
  const segs = rawPath.split('/').filter((s, i) => i > 0 || s !== '');
  if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
  const rest = segs.slice(3);
  if (segs.slice(0, 3).join('/') !== PROBE_PREFIX || rest.length !== 3 || rest.some((s) => s === ''))
    throw notFound(`No such resource: ${rawPath}`);
  try {
    const [customer, space, id] = rest.map((s) => decodeURIComponent(s));
    return { customer, space, id };
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
}

/**
 * The IIIF Authorization Flow 2.0 probe service of every asset (SPEC.md §5, §6; Auth 2.0 §2.1):
 * `GET`/`HEAD /auth/v2/probe/{c}/{s}/{id}` answers HTTP 200 with an `AuthProbeResult2` whose `status` is what the
 * asset's content would answer the caller (bearer access token, or the customer's session cookie): 200 (open
 * asset, or a role held), 401 (no valid credential), 403 (a credential without the roles), with `heading`/`note`
 * when refused and the open `substitute` image services when the asset has `openMaxWidth` (images only). Images,
 * AV and files alike; 404 problem for an unknown asset. CORS `*` (preflight with `Authorization` allowed) comes
 * from `configureDeliveryApp`. Results of restricted assets are `private, no-store` with
 * `Vary: Cookie, Authorization`.
 */
@Controller()
export class ProbeController {
  private readonly imageDefault: IiifVersion;

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly access: AccessControlService,
    private readonly urls: PublicUrls,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.imageDefault = env.VELLUM_IIIF_DEFAULT_VERSION;
  }

  @Get(`${PROBE_PREFIX}/*rest`)
  async probe(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseProbePath(req.path);
    const asset = await this.lookup.resolve(path.customer, path.space, path.id);
    const base = this.urls.base(req);
    const caller = await this.access.callerFor(req.headers, asset);
    const outcome = probeOutcome(asset, caller);
    const restricted = asset.roles.length > 0;
    const image = deliveredOn(asset, 'iiif-img') && asset.width > 0 && asset.height > 0;
    const services =
      outcome.status === 401 ? await this.access.accessServices(asset, this.access.authBase(req)) : [];
    const body = JSON.stringify(
      probeResult(
        probeUrl(base, asset),
        { status: outcome.status, substitute: outcome.substitute && image },
        services,
        image ? substituteServices(base, asset, this.imageDefault) : [],
      ),
    );
    res.setHeader('ETag', etagOf(body));
    if (restricted) for (const [k, v] of Object.entries(REFUSAL_HEADERS)) res.setHeader(k, v);
    else res.setHeader('Cache-Control', CACHE_OPEN_INFO);
    sendBody(res, PROBE_CONTENT_TYPE, body);
  }
}
