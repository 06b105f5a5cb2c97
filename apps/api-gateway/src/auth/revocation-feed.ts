import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';

/**
 * True when a cached credential (or customer) last checked in Postgres at `checkedAt` may be used without
 * checking it again (SPEC.md §3.2, §10 Security: a deleted key stops working on every replica at once):
 * - this replica hears `customer.apikey.deleted.v1` on its own per-instance queue since `liveSince` (epoch ms), and
 *   it was checked after that: any deletion since the check reaches this replica as an event and evicts it;
 * - otherwise (the bus is down, or was down after the check so an event may have been missed) only while it was
 *   checked less than `recheckMs` ago: a deleted key keeps working on such a replica at most `recheckMs` after
 *   its deletion, and each cached key costs at most one primary-key read per `recheckMs`.
 * @param now, checkedAt, liveSince epoch ms; `liveSince` undefined while the per-instance queue does not exist.
 */
export function trustedWithoutRecheck(
  checkedAt: number,
  now: number,
  liveSince: number | undefined,
  recheckMs: number,
): boolean {
  if (liveSince !== undefined && checkedAt >= liveSince) return true;
  return now - checkedAt < recheckMs;
}

/**
 * Whether this replica hears deletions of API keys and customers (`customer.apikey.deleted.v1`), for the caches
 * of {@link ApiKeyService} and {@link CustomerDirectory}. The gateway attaches the bus transport's
 * `broadcastSince` at start-up; until then (or without a transport) nothing is heard and every cached entry is
 * re-checked in Postgres once it is `VELLUM_AUTH_RECHECK_MS` old.
 */
@Injectable()
export class RevocationFeed {
  private liveSince: () => number | undefined = () => undefined;
  private readonly recheckMs: number;

  constructor(@Inject(GATEWAY_ENV) env: Pick<GatewayEnv, 'VELLUM_AUTH_RECHECK_MS'>) {
    this.recheckMs = env.VELLUM_AUTH_RECHECK_MS;
  }

  /** @param liveSince when the per-instance queue of `customer.apikey.deleted.v1` was bound (undefined: none). */
  attach(liveSince: () => number | undefined): void {
    this.liveSince = liveSince;
  }

  /** See {@link trustedWithoutRecheck}. @param checkedAt epoch ms of the last Postgres check. */
  trusts(checkedAt: number, now = Date.now()): boolean {
    return trustedWithoutRecheck(checkedAt, now, this.liveSince(), this.recheckMs);
  }
}

/**
 * Times at which names (keys, customer ids) were revoked, kept for `keepMs`, so that a verification that read
 * Postgres before a revocation and finishes after it does not put the revoked entry back into a cache.
 */
export class RevocationLog {
  private readonly at = new Map<string, number>();

  constructor(
    private readonly keepMs = 120_000,
    private readonly max = 10_000,
  ) {}

  /** Records that `name` was revoked now. */
  record(name: string, now = Date.now()): void {
    this.at.delete(name);
    this.at.set(name, now);
    if (this.at.size > this.max) this.prune(now);
    while (this.at.size > this.max) this.at.delete(this.at.keys().next().value as string);
  }

  /** True when `name` was revoked at or after `since` (epoch ms). */
  revokedSince(name: string, since: number): boolean {
    const t = this.at.get(name);
    return t !== undefined && t >= since;
  }

  private prune(now: number): void {
    for (const [name, t] of this.at) {
      if (now - t < this.keepMs) break;
      this.at.delete(name);
    }
  }
}
