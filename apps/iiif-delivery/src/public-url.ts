/** Request headers as Node gives them. */
export type Headers = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const t = s?.split(',')[0]?.trim();
  return t ? t : undefined;
}

/**
 * The public base URL for ids in responses (SPEC.md §5: "this request's public base: honour
 * `X-Forwarded-Host`/`-Proto`"): the configured `VELLUM_DELIVERY_URL` with its scheme and host replaced by
 * `X-Forwarded-Proto` / `X-Forwarded-Host` when present and well-formed (first value of a list). The configured
 * path prefix (e.g. `https://example.org/dlcs`) is kept. No trailing slash.
 */
export function publicBase(configured: string, headers: Headers): string {
  const url = new URL(configured);
  const proto = first(headers['x-forwarded-proto'])?.toLowerCase();
  if (proto === 'http' || proto === 'https') url.protocol = `${proto}:`;
  const host = first(headers['x-forwarded-host']);
  if (host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) {
    url.host = host;
    // A forwarded host without a port means the scheme's default port.
    if (!/:\d+$/.test(host)) url.port = '';
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
