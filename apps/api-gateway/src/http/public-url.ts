import type { Request } from 'express';

/**
 * Absolute URLs for `@id` and links (SPEC.md §3.1). The base is `VELLUM_API_URL`; when a proxy sends
 * `X-Forwarded-Host` (and optionally `X-Forwarded-Proto`), those win so links match what the client used.
 * The path prefix of `VELLUM_API_URL` (if any) is kept.
 */
export function apiBaseUrl(configured: string, req?: Pick<Request, 'headers'>): string {
  const base = new URL(configured);
  const fwdHost = first(req?.headers['x-forwarded-host']);
  const fwdProto = first(req?.headers['x-forwarded-proto']);
  const protocol = fwdProto === 'http' || fwdProto === 'https' ? `${fwdProto}:` : base.protocol;
  const host = fwdHost && /^[A-Za-z0-9.\-:[\]]+$/.test(fwdHost) ? fwdHost : base.host;
  return `${protocol}//${host}${base.pathname}`.replace(/\/+$/, '');
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}

/** The absolute URL of the current request (its path and query) on the public base. */
export function requestUrl(base: string, req: Pick<Request, 'originalUrl'>): string {
  return base + req.originalUrl;
}

/** Encodes one path segment (asset ids are already segment-safe, but keys and names are escaped too). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
