import { Inject, Injectable } from '@nestjs/common';
import { AuthSigner, bearerToken, type Caller, cookieValue, sessionCookieName } from '@vellum/access';
import { DeliveryEnv } from '../env';
import { DELIVERY_ENV } from '../tokens';

/** Most ended sessions a replica remembers (each until its `expires`); beyond it the soonest to expire go first. */
const REVOKED_MAX = 100_000;

/** The credential parts of a request (Node's header values). */
export interface CredentialHeaders {
  authorization?: string | string[];
  cookie?: string | string[];
}

/**
 * Who is asking (SPEC.md §6, IIIF Auth 2.0 §2.1): the `Authorization: Bearer <access token>` of a request, else
 * its session cookie `vellum-auth-{c}`, verified locally with @vellum/access `AuthSigner` (keys
 * `VELLUM_AUTH_SIGNING_KEY`, `VELLUM_AUTH_SIGNING_PREVIOUS_KEYS`; no call to auth-service). A credential counts
 * only for assets of the customer it names (`cid`), and not once its session ended (`auth.session.ended.v1`,
 * remembered in memory until the session's `expires`).
 */
@Injectable()
export class CallerService {
  private readonly signer: AuthSigner;
  /** Ended session id → when it would have expired anyway (ms since the epoch). */
  private readonly revoked = new Map<string, number>();

  constructor(@Inject(DELIVERY_ENV) env: DeliveryEnv) {
    this.signer = AuthSigner.fromConfig({
      key: env.VELLUM_AUTH_SIGNING_KEY,
      previousKeys: env.VELLUM_AUTH_SIGNING_PREVIOUS_KEYS,
      production: env.NODE_ENV === 'production',
    });
  }

  /**
   * The caller of a request for an asset of customer `customerId`: `{roles}` of a valid, unrevoked credential of
   * that customer (the bearer token wins over the cookie when both are valid), else `undefined`.
   * @param now milliseconds since the epoch (tests).
   */
  async callerOf(headers: CredentialHeaders, customerId: number, now: number = Date.now()): Promise<Caller> {
    const token = bearerToken(headers.authorization);
    if (token !== undefined) {
      const caller = await this.verify('access', token, customerId, now);
      if (caller) return caller;
    }
    const cookieHeader = Array.isArray(headers.cookie) ? headers.cookie.join('; ') : headers.cookie;
    const cookie = cookieValue(cookieHeader, sessionCookieName(customerId));
    if (cookie !== undefined) return this.verify('session', cookie, customerId, now);
    return undefined;
  }

  /**
   * Refuses every credential of session `sessionId` until `expires` (an `auth.session.ended.v1`).
   * @param expires ISO 8601; a past or unreadable value is ignored (the credentials expired already).
   */
  revoke(sessionId: string, expires: string, now: number = Date.now()): void {
    const until = Date.parse(expires);
    if (!Number.isFinite(until) || until <= now) return;
    this.prune(now);
    if (this.revoked.size >= REVOKED_MAX) {
      let soonest: string | undefined;
      let at = Infinity;
      for (const [sid, t] of this.revoked) if (t < at) [soonest, at] = [sid, t];
      if (soonest !== undefined) this.revoked.delete(soonest);
    }
    this.revoked.set(sessionId, Math.max(until, this.revoked.get(sessionId) ?? 0));
  }

  /** True when `sessionId` ended and its credentials have not all expired yet. */
  isRevoked(sessionId: string, now: number = Date.now()): boolean {
    const until = this.revoked.get(sessionId);
    if (until === undefined) return false;
    if (until <= now) {
      this.revoked.delete(sessionId);
      return false;
    }
    return true;
  }

  /** How many ended sessions are remembered (metrics, tests). */
  get revokedCount(): number {
    return this.revoked.size;
  }

  private async verify(
    kind: 'session' | 'access',
    token: string,
    customerId: number,
    now: number,
  ): Promise<Caller> {
    const result = await this.signer.verify(kind, token, now);
    if (!result.ok || result.claims.cid !== customerId) return undefined;
    if (this.revoked.size > 0 && this.isRevoked(result.claims.sid, now)) return undefined;
    return { roles: result.claims.roles };
  }

  /** Forgets ended sessions whose credentials have all expired. */
  private prune(now: number): void {
    for (const [sid, until] of this.revoked) if (until <= now) this.revoked.delete(sid);
  }
}
