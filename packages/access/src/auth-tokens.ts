import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { keyId, parseKey } from '@vellum/secrets';

/**
 * The signed credentials of IIIF Auth 2.0 sessions (SPEC.md §6 "tokens are signed so that iiif-delivery verifies
 * them locally"): the session cookie auth-service sets and the access tokens its token service hands to clients
 * (IIIF Auth 2.0 §2.3 `AuthAccessToken2.accessToken`). Both are compact JWS (RFC 7515) with HMAC-SHA-256, made and
 * checked with `jose`, `kid` naming the key, so keys rotate: the current key signs, previous keys still verify.
 *
 * Claims: `sid` (session id), `cid` (customer id), `roles` (role names granted), `svc` (the access service that
 * opened the session), `iat`/`exp` (seconds since the epoch), `iss` `vellum-auth`, `aud` `vellum:session` or
 * `vellum:access`, so a cookie is never accepted as a token or the reverse.
 */

/** Issuer of every Vellum auth credential. */
export const AUTH_ISSUER = 'vellum-auth';

/** The two kinds of credential, as their `aud` claim. */
export type AuthCredentialKind = 'session' | 'access';

/** The development-only signing key used when none is configured outside production (never for real use). */
export const DEVELOPMENT_SIGNING_KEY = createHash('sha256')
  .update('vellum development auth signing key (not secret)')
  .digest();

/** What a verified credential says. */
export interface AuthClaims {
  /** Session id (`auth_sessions.id`). */
  readonly sid: string;
  /** Customer id: a credential of customer A is worth nothing on customer B's assets. */
  readonly cid: number;
  /** Role names granted. */
  readonly roles: readonly string[];
  /** Name of the access service that opened the session. */
  readonly svc: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** Why a credential was refused: `expired` (well signed, too late) or `invalid` (anything else). */
export type AuthVerifyFailure = 'expired' | 'invalid';

/** The result of {@link AuthSigner.verify}. */
export type AuthVerifyResult =
  | { readonly ok: true; readonly claims: AuthClaims }
  | { readonly ok: false; readonly reason: AuthVerifyFailure };

/** Thrown when the signing configuration is unusable (a malformed key, or no key in production). */
export class AuthKeyError extends Error {
  override readonly name = 'AuthKeyError';
}

/** Most verified credentials {@link AuthSigner} remembers (per process), so a tile burst verifies each once. */
const VERIFIED_CACHE_MAX = 10_000;

/** Signs and verifies Vellum's auth credentials with a current key and, during a rotation, previous keys. */
export class AuthSigner {
  private readonly current: { kid: string; key: Uint8Array };
  private readonly keys = new Map<string, Uint8Array>();
  private readonly verified = new Map<string, AuthClaims & { kind: AuthCredentialKind }>();

  /**
   * @param current the signing key, 32 bytes.
   * @param previous keys that still verify credentials signed before a rotation; never used to sign.
   */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    this.current = { kid: keyId(current), key: new Uint8Array(current) };
    for (const k of [current, ...previous]) this.keys.set(keyId(k), new Uint8Array(k));
  }

  /**
   * The signer of a service's configuration (env `VELLUM_AUTH_SIGNING_KEY` and `VELLUM_AUTH_SIGNING_PREVIOUS_KEYS`,
   * each key 64 hex digits or 43/44 base64 characters, previous keys comma-separated).
   * @param opts.production true when NODE_ENV=production: a key is then required.
   * @throws AuthKeyError when a key is malformed, or none is set in production.
   */
  static fromConfig(opts: { key?: string; previousKeys?: string; production: boolean }): AuthSigner {
    const parse = (text: string): Buffer => {
      try {
        return parseKey(text);
      } catch (err) {
        throw new AuthKeyError(`VELLUM_AUTH_SIGNING_KEY: ${(err as Error).message}`);
      }
    };
    if (!opts.key && opts.production) {
      throw new AuthKeyError('VELLUM_AUTH_SIGNING_KEY is required when NODE_ENV=production');
    }
    const current = opts.key ? parse(opts.key) : DEVELOPMENT_SIGNING_KEY;
    const previous = (opts.previousKeys ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(parse);
    return new AuthSigner(current, previous);
  }

  /** The key id that signs new credentials (first 8 hex digits of SHA-256 of the key). */
  get keyId(): string {
    return this.current.kid;
  }

  /**
   * Signs a credential.
   * @param kind `session` (the cookie) or `access` (the Auth 2.0 access token).
   * @param claims what it grants.
   * @param ttlSeconds lifetime in seconds (> 0).
   * @param now the current time in milliseconds since the epoch (tests); default `Date.now()`.
   * @returns the compact JWS (URL-safe, no `;` or `,`: fits a cookie value).
   */
  async sign(
    kind: AuthCredentialKind,
    claims: Omit<AuthClaims, 'exp'>,
    ttlSeconds: number,
    now: number = Date.now(),
  ): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ sid: claims.sid, cid: claims.cid, roles: [...claims.roles], svc: claims.svc })
      .setProtectedHeader({ alg: 'HS256', kid: this.current.kid, typ: 'JWT' })
      .setIssuer(AUTH_ISSUER)
      .setAudience(`vellum:${kind}`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.max(1, Math.floor(ttlSeconds)))
      .sign(this.current.key);
  }

  /**
   * Verifies a credential of `kind`: signature by a known key, issuer, audience, expiry, claim shapes. Never
   * throws for bad input. Verified credentials are remembered until they expire (at most 10,000 per process).
   * @param now the current time in milliseconds since the epoch (tests); default `Date.now()`.
   */
  async verify(kind: AuthCredentialKind, token: string, now: number = Date.now()): Promise<AuthVerifyResult> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      return { ok: false, reason: 'invalid' };
    }
    const nowS = Math.floor(now / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.kind !== kind) return { ok: false, reason: 'invalid' };
      if (hit.exp <= nowS) {
        this.verified.delete(token);
        return { ok: false, reason: 'expired' };
      }
      const { kind: _kind, ...claims } = hit;
      return { ok: true, claims };
    }
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? this.keys.get(header.kid) : undefined;
          if (!key) throw new errors.JWSSignatureVerificationFailed('unknown key id');
          return key;
        },
        {
          algorithms: ['HS256'],
          issuer: AUTH_ISSUER,
          audience: `vellum:${kind}`,
          currentDate: new Date(nowS * 1000),
          clockTolerance: 0,
        },
      );
      const { sid, cid, roles, svc, exp } = payload as Record<string, unknown>;
      if (
        typeof sid !== 'string' ||
        sid === '' ||
        typeof cid !== 'number' ||
        !Number.isInteger(cid) ||
        typeof svc !== 'string' ||
        typeof exp !== 'number' ||
        !Array.isArray(roles) ||
        !roles.every((r) => typeof r === 'string')
      ) {
        return { ok: false, reason: 'invalid' };
      }
      const claims: AuthClaims = { sid, cid, roles: roles, svc, exp };
      if (this.verified.size >= VERIFIED_CACHE_MAX) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      this.verified.set(token, { ...claims, kind });
      return { ok: true, claims };
    } catch (err) {
      return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
