import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { unstorableReason } from '@vellum/common';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { generateApiSecret, hashSecret, secretDigest, verifySecret } from './secret-hash';
import type { Principal } from './principal';
import { AuthThrottle, type ThrottleRefusal } from './auth-throttle';
import { HashGate, HashGateFullError } from './hash-gate';
import { ApiKeysRepository, type KeyForAuth } from './api-keys.repository';
import { RevocationFeed, RevocationLog } from './revocation-feed';

interface CacheEntry {
  digest: Buffer;
  principal: Principal;
  expires: number;
  /** When the key was last seen in Postgres (epoch ms). */
  checkedAt: number;
}

/** Maximum verified keys kept in memory (oldest evicted first). */
const CACHE_MAX = 10_000;

/** Why a verification did not produce a principal. */
export type AuthFailure =
  { kind: 'invalid' } | { kind: 'throttled'; refusal: ThrottleRefusal } | { kind: 'busy' };

/**
 * Verifies HTTP Basic `key:secret` pairs (SPEC.md §3.2) and issues keys.
 *
 * A scrypt verification costs tens of ms of CPU, so a verified pair is remembered in memory for
 * `VELLUM_AUTH_CACHE_TTL_MS` (default 30 s) as a SHA-256 digest of the secret; a later request with the same pair
 * is checked against the digest (constant time) without touching the database, which keeps `GET` under 10 ms.
 *
 * A deleted key stops working on every replica at once (SPEC.md §3.3 "Keys"): the deleting replica evicts it, and
 * the `customer.apikey.deleted.v1` event it writes through the outbox reaches every replica on its own
 * per-instance queue ({@link evictMany}). A replica that may have missed the event (its queue was down since the
 * key was checked, see {@link RevocationFeed}) re-checks a cached key in Postgres (one primary-key read) once the
 * check is `VELLUM_AUTH_RECHECK_MS` old (default 5 s): the bound on how long a deleted key works there. A
 * verification that read the key before a deletion heard meanwhile does not cache it ({@link RevocationLog}).
 *
 * Uncached verifications (SPEC.md §10 Security):
 * - an unknown key is verified against a dummy hash with the same scrypt parameters, so "no such key" and
 *   "wrong secret" take the same time (no timing oracle revealing which keys exist);
 * - failures are rate-limited per client address and per key ({@link AuthThrottle}; 429 + `Retry-After`);
 * - at most `VELLUM_AUTH_HASH_CONCURRENCY` scrypt runs at once, `VELLUM_AUTH_HASH_QUEUE` waiting
 *   ({@link HashGate}; beyond that 503 + `Retry-After`), so a flood cannot queue thousands of hashes.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit {
  private readonly cache = new Map<string, CacheEntry>();
  /** Verifications under way, by address, key and secret digest. */
  private readonly inFlight = new Map<string, Promise<Principal | AuthFailure>>();
  private readonly gate: HashGate;
  private readonly throttle: AuthThrottle;
  private dummyHash?: Promise<string>;
  private readonly revoked = new RevocationLog();

  constructor(
    private readonly keys: ApiKeysRepository,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    private readonly feed: RevocationFeed,
  ) {
    this.gate = new HashGate(env.VELLUM_AUTH_HASH_CONCURRENCY, env.VELLUM_AUTH_HASH_QUEUE);
    this.throttle = new AuthThrottle({
      failuresPerAddress: env.VELLUM_AUTH_FAILURES_PER_ADDRESS,
      failuresPerKey: env.VELLUM_AUTH_FAILURES_PER_KEY,
      windowSeconds: env.VELLUM_AUTH_FAILURE_WINDOW_S,
    });
  }

  /** Computes the dummy hash once at start-up (a fresh random secret; it can never verify). */
  onModuleInit(): void {
    this.dummyHash ??= hashSecret(generateApiSecret());
  }

  /**
   * Parses an `Authorization: Basic ...` header and verifies the pair.
   * @param address the client address (`req.ip`) the failures are counted against.
   * @returns the principal, or why not: `invalid` (missing/malformed header, unknown key, wrong secret),
   *   `throttled` (too many failures: 429), `busy` (hash queue full: 503).
   */
  async authenticate(
    authorization: string | undefined,
    address = 'unknown',
  ): Promise<Principal | AuthFailure> {
    const pair = parseBasic(authorization);
    if (!pair) return { kind: 'invalid' };
    return this.verify(pair.key, pair.secret, address);
  }

  /**
   * Verifies a key/secret pair (cache first, then, throttled and gated, scrypt against the stored or dummy hash).
   * Concurrent verifications of the same pair from the same address share one scrypt run (single flight), so a
   * client opening 64 connections at once costs one hash, not 64, and is not throttled for it.
   */
  async verify(key: string, secret: string, address = 'unknown'): Promise<Principal | AuthFailure> {
    const digest = secretDigest(secret);
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now() && timingSafeEqual(cached.digest, digest)) {
      if (this.feed.trusts(cached.checkedAt)) return cached.principal;
      // This replica may have missed a deletion: is the key still there? (Its secret cannot change.)
      const checkedAt = Date.now();
      if (await this.keys.exists(key)) {
        if (this.cache.get(key) === cached) cached.checkedAt = checkedAt;
        return cached.principal;
      }
      this.evict(key);
      return { kind: 'invalid' };
    }
    const flightKey = `${address}\u0000${key}\u0000${digest.toString('base64')}`;
    const inFlight = this.inFlight.get(flightKey);
    if (inFlight) return inFlight;
    const flight = this.verifyUncached(key, secret, digest, address).finally(() =>
      this.inFlight.delete(flightKey),
    );
    this.inFlight.set(flightKey, flight);
    return flight;
  }

  private async verifyUncached(
    key: string,
    secret: string,
    digest: Buffer,
    address: string,
  ): Promise<Principal | AuthFailure> {
    const reserved = await this.throttle.reserve(key, address);
    if (reserved.refusal) return { kind: 'throttled', refusal: reserved.refusal };
    let row: KeyForAuth | null;
    let ok: boolean;
    const readAt = Date.now();
    try {
      row = await this.keys.findForAuth(key);
      const stored = row?.secretHash ?? (await (this.dummyHash ??= hashSecret(generateApiSecret())));
      ok = (await this.gate.run(() => verifySecret(secret, stored))) && row !== null;
    } catch (err) {
      if (err instanceof HashGateFullError) return { kind: 'busy' };
      throw err;
    }
    if (!ok || !row) return { kind: 'invalid' };
    await this.throttle.succeeded(key, address, reserved.keyPoint);
    const principal: Principal = { key, customerId: row.customerId, isAdmin: row.customer.isAdmin };
    // Deleted while it was being verified (the event came before this answer): not remembered.
    if (this.env.VELLUM_AUTH_CACHE_TTL_MS > 0 && !this.revoked.revokedSince(key, readAt)) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, {
        digest,
        principal,
        expires: Date.now() + this.env.VELLUM_AUTH_CACHE_TTL_MS,
        checkedAt: readAt,
      });
    }
    // Best effort; a failure to record last use must not fail the request.
    this.keys.touch(key);
    return principal;
  }

  /** Forgets a deleted key at once (DELETE on this replica, or `customer.apikey.deleted.v1` from any). */
  evict(key: string): void {
    this.revoked.record(key);
    this.cache.delete(key);
    this.throttle.forget(key);
  }

  /** {@link evict} for each key. */
  evictMany(keys: readonly string[]): void {
    for (const key of keys) this.evict(key);
  }

  /** True while a verified pair for `key` is cached (for tests). */
  isCached(key: string): boolean {
    return this.cache.has(key);
  }
}

/** Parses `Basic base64(key:secret)`; returns null when malformed. */
export function parseBasic(authorization: string | undefined): { key: string; secret: string } | null {
  if (!authorization) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const key = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  // A key that no text column could hold (NUL, unpaired surrogate) can match no row: treated as wrong credentials.
  if (!secret || key.length > 200 || unstorableReason(key)) return null;
  return { key, secret };
}
