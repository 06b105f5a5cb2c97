import type { PrismaClient } from './generated/prisma/client';

/** Options of {@link analyzeStaleTables}. */
export interface AnalyzeOptions {
  /** Rows changed since the last ANALYZE that always make a table stale (autovacuum's analyze threshold: 50). */
  threshold?: number;
  /** Fraction of a table's live rows that, changed, make it stale (autovacuum's analyze scale factor: 0.1). */
  scaleFactor?: number;
  /** Analyze even while autovacuum is on (tests). */
  force?: boolean;
}

/**
 * Keeps the planner's statistics current where PostgreSQL's autovacuum does not (`autovacuum = off`). Without
 * them a table filled after its last ANALYZE looks empty to the planner, which may then pick the wrong index: a
 * `GET` of one asset by its primary key was planned on `(customerId, spaceId, created)` and filtered every row of
 * the space, ≈ 7 ms of PostgreSQL CPU at 10,000 assets instead of 0.1 ms.
 *
 * Does nothing while autovacuum is on (it analyzes by itself) unless `force`. Otherwise runs `ANALYZE` on every
 * table of the current schema with more than `threshold + scaleFactor × live rows` changes since its last analyze,
 * the rule autovacuum applies.
 * @returns the tables analyzed.
 * @throws database errors (the caller retries on its next round).
 */
export async function analyzeStaleTables(db: PrismaClient, opts: AnalyzeOptions = {}): Promise<string[]> {
  if (!opts.force) {
    const rows = await db.$queryRawUnsafe<Array<{ setting: string }>>(
      `SELECT setting FROM pg_settings WHERE name = 'autovacuum'`,
    );
    if (rows[0]?.setting === 'on') return [];
  }
  const stale = await db.$queryRawUnsafe<Array<{ relname: string }>>(
    `SELECT relname::text AS relname FROM pg_stat_user_tables
     WHERE schemaname = current_schema()
       AND n_mod_since_analyze > $1::float8 + $2::float8 * GREATEST(n_live_tup, 0)
     ORDER BY n_mod_since_analyze DESC`,
    opts.threshold ?? 50,
    opts.scaleFactor ?? 0.1,
  );
  for (const { relname } of stale) await db.$executeRawUnsafe(`ANALYZE "${relname.replace(/"/g, '""')}"`);
  return stale.map((t) => t.relname);
}
