/** Attributes of a `Set-Cookie` built by {@link setCookie}. */
export interface CookieOptions {
  /** `Max-Age` in seconds (0 clears the cookie). */
  maxAgeS: number;
  /** `Path`; default `/`. */
  path?: string;
  /** `Secure; SameSite=None` when true, else `SameSite=<sameSite>`. */
  secure: boolean;
  /** SameSite when not secure (or always, for `Strict`); default `Lax`. */
  sameSite?: 'Lax' | 'Strict';
}

/**
 * A host-only, `HttpOnly` `Set-Cookie` value (RFC 6265; issue 10 contract "Credentials"): `name=value; Path=/;
 * HttpOnly; Max-Age=N` plus `Secure; SameSite=None` (cross-site viewers over HTTPS) or `SameSite=Lax`. The value
 * must be cookie-safe already (base64url / compact JWS).
 */
export function setCookie(name: string, value: string, opts: CookieOptions): string {
  const maxAge = Math.max(0, Math.floor(opts.maxAgeS));
  const parts = [`${name}=${value}`, `Path=${opts.path ?? '/'}`, 'HttpOnly', `Max-Age=${maxAge}`];
  if (maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (opts.sameSite === 'Strict') parts.push(...(opts.secure ? ['Secure'] : []), 'SameSite=Strict');
  else if (opts.secure) parts.push('Secure', 'SameSite=None');
  else parts.push(`SameSite=${opts.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

/** The `Set-Cookie` value that deletes cookie `name` (same path and flags as it was set with). */
export function clearCookie(name: string, opts: Omit<CookieOptions, 'maxAgeS'>): string {
  return setCookie(name, '', { ...opts, maxAgeS: 0 });
}
