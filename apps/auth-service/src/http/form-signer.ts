import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs the short-lived values auth-service hands to a browser and reads back: the CSRF token of the access
 * service forms and the OIDC transient state (state, nonce, PKCE verifier). `base64url(JSON payload)` `.`
 * `base64url(HMAC-SHA-256)`, with a purpose (`p`) and an expiry (`exp`, seconds since the epoch) inside, under a
 * key derived from the auth signing key (never the key itself).
 */
export class FormSigner {
  private readonly key: Buffer;

  /** @param signingKey the current auth signing key (32 bytes). */
  constructor(signingKey: Buffer) {
    this.key = createHmac('sha256', signingKey).update('vellum-auth forms v1').digest();
  }

  /**
   * @param purpose e.g. `form`, `oidc`.
   * @param payload JSON-serialisable fields (not secret from the browser: it can read them).
   * @param ttlS lifetime in seconds.
   */
  sign(purpose: string, payload: Record<string, unknown>, ttlS: number, now = Date.now()): string {
    const body = Buffer.from(
      JSON.stringify({ ...payload, p: purpose, exp: Math.floor(now / 1000) + ttlS }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The payload of a value signed for `purpose` and not expired, else `undefined` (never throws). */
  verify(purpose: string, value: unknown, now = Date.now()): Record<string, unknown> | undefined {
    if (typeof value !== 'string' || value.length > 4096) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.mac(body), 'base64url');
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (payload.p !== purpose || typeof payload.exp !== 'number' || payload.exp <= now / 1000)
        return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
