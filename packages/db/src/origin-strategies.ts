import { queryPrepared } from './client';
import type { OriginStrategy, Prisma, PrismaClient } from './generated/prisma/client';

/**
 * The order in which a customer's origin strategies are evaluated (SPEC.md §1 "Origin strategy": "ordered regex
 * on the origin"): ascending `order`, then oldest first, then id, so ties are stable. The api-gateway lists them
 * in this order by default and the ingest-orchestrator matches in it.
 */
export const ORIGIN_STRATEGY_ORDER: Prisma.OriginStrategyOrderByWithRelationInput[] = [
  { order: 'asc' },
  { created: 'asc' },
  { id: 'asc' },
];

/**
 * Every origin strategy of one customer, in {@link ORIGIN_STRATEGY_ORDER}: what the ingest-orchestrator reads
 * before staging an origin, then hands to `resolveOriginStrategy(customerId, rules, origin, box)` from
 * @vellum/secrets (first regex match, credentials opened). At most `limit` rules (default 1000).
 * @param db the shared client or a transaction's `tx`.
 */
export function originStrategiesFor(
  db: PrismaClient | Prisma.TransactionClient,
  customerId: number,
  limit = 1000,
): Promise<OriginStrategy[]> {
  // ORIGIN_STRATEGY_ORDER as SQL: a prepared statement, since every ingest request resolves its origin here.
  return queryPrepared<OriginStrategy>(db, 'origin-strategies-for', ORIGIN_STRATEGIES_SQL, [
    customerId,
    limit,
  ]);
}

const ORIGIN_STRATEGIES_SQL = `SELECT * FROM "origin_strategies" WHERE "customerId" = $1::int
  ORDER BY "order" ASC, "created" ASC, "id" ASC LIMIT $2::int`;
