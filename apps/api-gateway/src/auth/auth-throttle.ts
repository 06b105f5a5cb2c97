import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Settings of {@link AuthThrottle} (from the gateway env, see README "Authentication"). */
export interface AuthThrottleOptions {
  /** Failed verifications one client address may cause per window (0 = no limit). */
  failuresPerAddress: number;
  /** Failed verifications one key may suffer per window from addresses that never used it successfully (0 = no limit). */
  failuresPerKey: number;
  /** The window, seconds. */
  windowSeconds: number;
  /** How long an address that authenticated with a key stays "known" for that key, ms; default 24 h. */
  knownAddressTtlMs?: number;
}

/** A refusal: the client should wait `retryAfterSeconds`. */
export interface ThrottleRefusal {
  retryAfterSeconds: number;
  scope: 'address' | 'key';
}

function refusal(err: unknown, scope: ThrottleRefusal['scope']): ThrottleRefusal {
  if (!(err instanceof RateLimiterRes)) throw err;
  return { retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)), scope };
}

const MAX_KNOWN_KEYS = 10_000;
const MAX_ADDRESSES_PER_KEY = 16;

/**
 * Rate limit of failed API-key verifications (SPEC.md §3.2, §10 Security), in memory per gateway replica
 * (rate-limiter-flexible's RateLimiterMemory). The policy:
 * - Only verifications that reach scrypt count (a cached, already verified pair costs nothing and is never
 *   limited). A point is taken from each applicable limiter *before* hashing, so 100 concurrent wrong secrets
 *   from one address get at most `failuresPerAddress` hashes, and it is given back when the secret is right, so
 *   successful requests never count.
 * - Per client address: at most `failuresPerAddress` failures per window, whatever the keys; then 429 with
 *   `Retry-After` for that address only.
 * - Per key: at most `failuresPerKey` failures per window across addresses (a distributed guess at one key); then
 *   429 — but not for addresses that authenticated with that key successfully in the last 24 h: an attacker
 *   hammering a key from elsewhere cannot lock out its owner's known clients. A new address of the owner is
 *   refused only while the key is under attack, for at most one window.
 */
export class AuthThrottle {
  private readonly perAddress?: RateLimiterMemory;
  private readonly perKey?: RateLimiterMemory;
  private readonly known = new Map<string, Map<string, number>>();
  private readonly knownTtl: number;

  constructor(opts: AuthThrottleOptions) {
    if (opts.failuresPerAddress > 0)
      this.perAddress = new RateLimiterMemory({
        points: opts.failuresPerAddress,
        duration: opts.windowSeconds,
      });
    if (opts.failuresPerKey > 0)
      this.perKey = new RateLimiterMemory({ points: opts.failuresPerKey, duration: opts.windowSeconds });
    this.knownTtl = opts.knownAddressTtlMs ?? 24 * 3600_000;
  }

  /** True when `address` authenticated with `key` within the known-address TTL. */
  isKnown(key: string, address: string): boolean {
    const expires = this.known.get(key)?.get(address);
    return expires !== undefined && expires > Date.now();
  }

  /**
   * Takes one point from the address limiter, and from the key limiter unless the address is known for the key,
   * for a verification about to be hashed.
   * @returns `refusal` when a limiter has no points left (then nothing stays taken); `keyPoint` tells whether a
   *   key point was taken (to give back on success).
   */
  async reserve(key: string, address: string): Promise<{ refusal?: ThrottleRefusal; keyPoint: boolean }> {
    const limitKey = this.perKey !== undefined && !this.isKnown(key, address);
    if (this.perAddress) {
      try {
        await this.perAddress.consume(address);
      } catch (err) {
        return { refusal: refusal(err, 'address'), keyPoint: false };
      }
    }
    if (limitKey) {
      try {
        await this.perKey.consume(key);
      } catch (err) {
        await this.perAddress?.reward(address, 1);
        return { refusal: refusal(err, 'key'), keyPoint: false };
      }
    }
    return { keyPoint: limitKey };
  }

  /** The secret was right: gives the reserved points back and remembers the address for this key. */
  async succeeded(key: string, address: string, reservedKeyPoint: boolean): Promise<void> {
    await Promise.all([
      this.perAddress?.reward(address, 1),
      reservedKeyPoint ? this.perKey?.reward(key, 1) : undefined,
    ]);
    let addresses = this.known.get(key);
    if (!addresses) {
      if (this.known.size >= MAX_KNOWN_KEYS) this.known.delete(this.known.keys().next().value as string);
      addresses = new Map();
      this.known.set(key, addresses);
    }
    addresses.delete(address);
    if (addresses.size >= MAX_ADDRESSES_PER_KEY) addresses.delete(addresses.keys().next().value as string);
    addresses.set(address, Date.now() + this.knownTtl);
  }

  /** Forgets a key (after DELETE). */
  forget(key: string): void {
    this.known.delete(key);
    void this.perKey?.delete(key);
  }
}
