import { Inject, Injectable } from '@nestjs/common';
import { publicBaseUrl, type RequestLike, trustedProxies, type TrustProxy } from '@vellum/common';
import { DeliveryEnv } from './env';
import { DELIVERY_ENV } from './tokens';

/**
 * The public base URL of every absolute URL delivery renders (info.json `id`, the 303/302 `Location`, `Link`
 * headers, the viewer page), per request (SPEC.md §5): `VELLUM_DELIVERY_URL` when it is set (path prefix kept);
 * otherwise the request's `Host`, or `X-Forwarded-Host`/`-Proto` when the peer is one of
 * `VELLUM_TRUSTED_PROXIES` (see @vellum/common `requestOrigin`). No trailing slash.
 */
@Injectable()
export class PublicUrls {
  private readonly trust: TrustProxy;
  private readonly configured?: string;
  private readonly authConfigured?: string;

  constructor(@Inject(DELIVERY_ENV) env: DeliveryEnv) {
    this.trust = trustedProxies(env.VELLUM_TRUSTED_PROXIES);
    this.configured = env.VELLUM_DELIVERY_URL;
    this.authConfigured = env.VELLUM_AUTH_URL?.replace(/\/+$/, '');
  }

  /** The public base of `req`, e.g. `http://127.0.0.1:3001` or `https://iiif.example.org/dlcs`. */
  base(req: RequestLike): string {
    return publicBaseUrl(req, this.trust, this.configured);
  }

  /**
   * The public base of auth-service for `req` (the IIIF Auth 2.0 access, token and logout services, SPEC.md §6):
   * `VELLUM_AUTH_URL` when set, else {@link base}. No trailing slash.
   */
  auth(req: RequestLike): string {
    return this.authConfigured ?? this.base(req);
  }
}
