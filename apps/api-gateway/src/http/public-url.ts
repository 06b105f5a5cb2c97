import {
  formatHost,
  normaliseBaseUrl,
  type RequestLike,
  requestOrigin,
  type TrustProxy,
} from '@vellum/common';

/** The public base URLs of one request: this API's and iiif-delivery's (no trailing slash). */
export interface PublicBases {
  api: string;
  delivery: string;
}

/** The URL settings of {@link publicBases} (from GatewayEnv). */
export interface PublicUrlSettings {
  /** `VELLUM_API_URL` when set explicitly. */
  apiUrl?: string;
  /** `VELLUM_DELIVERY_URL` when set explicitly. */
  deliveryUrl?: string;
  /** `VELLUM_DELIVERY_PORT`: iiif-delivery's port on the request's host when `deliveryUrl` is unset. */
  deliveryPort: number;
  /** Compiled `VELLUM_TRUSTED_PROXIES`. */
  trust: TrustProxy;
}

/**
 * Absolute URLs for `@id`s and links (SPEC.md §3.1) and for the delivery services an asset names (§3.4, §5),
 * per request (SPEC.md §5 "public base"):
 * - `api`: `VELLUM_API_URL` when set (path prefix kept), else the request's origin: its `Host`, or
 *   `X-Forwarded-Host`/`-Proto` when the peer is a trusted proxy (@vellum/common `requestOrigin`);
 * - `delivery`: `VELLUM_DELIVERY_URL` when set, else the same scheme and host name with iiif-delivery's port
 *   (`VELLUM_DELIVERY_PORT`), so local mode gives `http://127.0.0.1:3001` to a client of `127.0.0.1:3000`
 *   and `http://localhost:3001` to one of `localhost:3000`.
 */
export function publicBases(req: RequestLike, settings: PublicUrlSettings): PublicBases {
  const origin = settings.apiUrl && settings.deliveryUrl ? undefined : requestOrigin(req, settings.trust);
  return {
    api: settings.apiUrl ? normaliseBaseUrl(settings.apiUrl) : origin!.origin,
    delivery: settings.deliveryUrl
      ? normaliseBaseUrl(settings.deliveryUrl)
      : `${origin!.protocol}://${formatHost(origin!.hostname, settings.deliveryPort)}`,
  };
}

/** Encodes one path segment (asset ids are already segment-safe, but keys and names are escaped too). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
