/**
 * The public paths of Vellum's IIIF Authorization Flow 2.0 services (SPEC.md §5, §6), written by iiif-delivery
 * (into info.json, probe results and manifests) and served by auth-service (access, token, logout) and
 * iiif-delivery (probe). `{c}` is the customer's integer id; names are the customer's access-service names
 * (`^[a-z0-9][a-z0-9-]*$`, so they need no escaping).
 */

/** `/auth/v2/access/{c}/{service}`: the access service (IIIF Auth 2.0 §2.2 `AuthAccessService2`). */
export function accessServicePath(customerId: number, service: string): string {
  return `/auth/v2/access/${customerId}/${service}`;
}

/** `/auth/v2/access/{c}/{service}/logout`: its logout service (IIIF Auth 2.0 §2.4 `AuthLogoutService2`). */
export function logoutServicePath(customerId: number, service: string): string {
  return `${accessServicePath(customerId, service)}/logout`;
}

/**
 * `/auth/v2/token/{c}`: the customer's access token service (IIIF Auth 2.0 §2.3 `AuthAccessTokenService2`), one
 * per customer: the session cookie of the customer, whichever access service set it, yields the token.
 */
export function tokenServicePath(customerId: number): string {
  return `/auth/v2/token/${customerId}`;
}

/** `/auth/v2/probe/{c}/{s}/{id}`: the probe service of an asset (IIIF Auth 2.0 §2.1), on iiif-delivery. */
export function probeServicePath(customerId: number, spaceId: number, assetId: string): string {
  return `/auth/v2/probe/${customerId}/${spaceId}/${encodeURIComponent(assetId)}`;
}

/**
 * The name of a customer's session cookie (`vellum-auth-{c}`), set by auth-service for the customer's public host
 * and read by iiif-delivery on the image, AV and file responses of that customer's restricted assets.
 */
export function sessionCookieName(customerId: number): string {
  return `vellum-auth-${customerId}`;
}

/** The `Authorization` scheme of access tokens on probe and content requests (IIIF Auth 2.0 §2.1). */
export const BEARER_PREFIX = 'Bearer ';

/**
 * The access token of a request's `Authorization: Bearer <token>` header, or `undefined`.
 * @param header the header's value (as Node gives it).
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length <= BEARER_PREFIX.length) return undefined;
  if (value.slice(0, BEARER_PREFIX.length).toLowerCase() !== BEARER_PREFIX.toLowerCase()) return undefined;
  const token = value.slice(BEARER_PREFIX.length).trim();
  return token === '' ? undefined : token;
}

/**
 * The value of cookie `name` in a request's `Cookie` header (RFC 6265 §5.4), or `undefined`; the first wins.
 * @param header the `Cookie` header's value.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v === '' ? undefined : v;
  }
  return undefined;
}
