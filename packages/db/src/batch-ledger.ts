import { queryPrepared } from './client';
import type { Prisma, PrismaClient } from './generated/prisma/client';

/**
 * The batch ledger (SPEC.md §3.3 "Queue and batches", §4.1 step 4): the member-outcome transitions and batch
 * counters that two apps write, the ingest-orchestrator (a member lands: completed or error) and the api-gateway
 * (a batch is cancelled, a batch is tested, an asset is deleted), kept here once so that both follow one rule:
 *
 * - a member's `outcome` leaves `pending` exactly once, by a conditional UPDATE (`... AND "outcome" = 'pending'`),
 *   and the batch counter it feeds grows in the same transaction, so counters never drift;
 * - a batch is finished once `completed + errors + cancelled >= count` ({@link isBatchComplete}), and exactly one
 *   transaction sees `finished` go from null to a date ({@link LedgerUpdate.justFinished}): the one that writes
 *   `batch.completed.v1`;
 * - a deleted asset closes its pending members as errors ({@link closeMembersOfDeletedAssets});
 * - a cancel takes only members not yet started ({@link claimBatchMember} marks a member started before the
 *   orchestrator stages it), so members being processed finish normally.
 *
 * Lock order, the same in every function here and in the finaliser (no deadlocks): asset rows, then member rows,
 * then the batch row. Every statement filters on `customerId`.
 */

/** A Prisma client or the `tx` of a transaction. */
export type LedgerDb = PrismaClient | Prisma.TransactionClient;

/** The `error` a cancelled asset carries (SPEC.md §3.3 "cancel"; `asset.ingest.finished.v1` says the same). */
export const CANCELLED_ERROR = 'cancelled';

/** The counters of a batch. */
export interface BatchTotals {
  count: number;
  completed: number;
  errors: number;
  cancelled: number;
}

/** True once every member has an outcome: `completed + errors + cancelled >= count`. */
export function isBatchComplete(b: BatchTotals): boolean {
  return b.completed + b.errors + b.cancelled >= b.count;
}

/** A batch row as the ledger returns it (integers as numbers). */
export interface BatchLedgerRow extends BatchTotals {
  id: number;
  customerId: number;
  submitted: Date;
  finished: Date | null;
  superseded: boolean;
  priority: boolean;
}

/** What {@link addToBatch} did. */
export interface LedgerUpdate {
  /** The batch after the update. */
  row: BatchLedgerRow;
  /** True when this update set `finished` (it was null before): the caller writes `batch.completed.v1`. */
  justFinished: boolean;
}

/** How much a transaction adds to a batch's counters. */
export interface BatchDelta {
  completed?: number;
  errors?: number;
  cancelled?: number;
}

interface RawBatch {
  id: number | bigint;
  customerId: number | bigint;
  submitted: Date;
  count: number | bigint;
  completed: number | bigint;
  errors: number | bigint;
  cancelled: number | bigint;
  finished: Date | null;
  superseded: boolean;
  priority: boolean;
}

function toRow(r: RawBatch): BatchLedgerRow {
  return {
    id: Number(r.id),
    customerId: Number(r.customerId),
    submitted: r.submitted,
    count: Number(r.count),
    completed: Number(r.completed),
    errors: Number(r.errors),
    cancelled: Number(r.cancelled),
    finished: r.finished,
    superseded: Boolean(r.superseded),
    priority: Boolean(r.priority),
  };
}

/**
 * Adds `delta` to a batch's counters and sets `finished` (to `now`) when they reach `count`. Must run inside the
 * transaction that changed the member outcomes the delta counts: it locks the batch row (`FOR UPDATE`) first, so
 * concurrent callers serialise and exactly one of them sees {@link LedgerUpdate.justFinished}.
 * @param opts.checkSuperseded also set `superseded` when no asset still has this batch as its `batch`.
 * @returns the updated batch, or null when the customer has no such batch.
 */
export async function addToBatch(
  tx: Prisma.TransactionClient,
  customerId: number,
  batchId: number,
  delta: BatchDelta,
  now: Date,
  opts: { checkSuperseded?: boolean } = {},
): Promise<LedgerUpdate | null> {
  const before = await tx.$queryRaw<{ finished: Date | null }[]>`
    SELECT "finished" FROM "batches" WHERE "id" = ${batchId} AND "customerId" = ${customerId} FOR UPDATE`;
  if (!before[0]) return null;
  const c = delta.completed ?? 0;
  const e = delta.errors ?? 0;
  const x = delta.cancelled ?? 0;
  const check = opts.checkSuperseded ?? false;
  const rows = await tx.$queryRaw<RawBatch[]>`
    UPDATE "batches" b SET
      "completed" = b."completed" + ${c}::int,
      "errors" = b."errors" + ${e}::int,
      "cancelled" = b."cancelled" + ${x}::int,
      "superseded" = b."superseded" OR (${check}::boolean AND NOT EXISTS (
        SELECT 1 FROM "assets" a WHERE a."customerId" = b."customerId" AND a."batchId" = b."id")),
      "finished" = CASE
        WHEN b."finished" IS NULL
         AND b."completed" + ${c}::int + b."errors" + ${e}::int + b."cancelled" + ${x}::int >= b."count"
        THEN ${now}::timestamptz ELSE b."finished" END
    WHERE b."id" = ${batchId} AND b."customerId" = ${customerId}
    RETURNING b."id", b."customerId", b."submitted", b."count", b."completed", b."errors", b."cancelled",
              b."finished", b."superseded", b."priority"`;
  const row = toRow(rows[0]);
  return { row, justFinished: before[0].finished === null && row.finished !== null };
}

/** Identifies the batch member an ingest request is for. */
export interface MemberRef {
  customerId: number;
  spaceId: number;
  assetId: string;
  attempt: number;
  /** Absent for immediate registrations (no member). */
  batchId?: number;
}

/**
 * What {@link claimBatchMember} found: `claimed` (pending, now marked started: go on), `cancelled` (the batch was
 * cancelled before this member started: skip it), `closed` (it already has another outcome), `full` (pending and
 * not started, but the customer already has `window` members in flight: try again later), `none` (no member: an
 * immediate registration, or a request without a batch).
 */
export type ClaimResult = 'claimed' | 'cancelled' | 'closed' | 'full' | 'none';

/** Options of {@link claimBatchMember}. */
export interface ClaimOptions {
  /**
   * The customer's batch window: members started and not yet finished, across all its batches, beyond which a
   * member not yet started is not claimed (`full`). 0 or absent: no window. A member already started (a retry or a
   * redelivery) is always claimed again.
   */
  window?: number;
}

const CLAIM_SQL = `
  UPDATE "batch_members" m SET "started" = COALESCE(m."started", $6::timestamptz)
  WHERE m."batchId" = $1 AND m."customerId" = $2 AND m."spaceId" = $3 AND m."assetId" = $4 AND m."attempt" = $5
    AND m."outcome" = 'pending'
    AND ($7::int <= 0 OR m."started" IS NOT NULL OR (
      SELECT count(*) FROM (
        SELECT 1 FROM "batch_members" f
        WHERE f."customerId" = $2 AND f."outcome" = 'pending' AND f."started" IS NOT NULL
        LIMIT $7::int) w) < $7::int)
  RETURNING 1 AS "claimed"`;

const MEMBER_STATE_SQL = `
  SELECT "outcome"::text AS "outcome", "started" FROM "batch_members"
  WHERE "batchId" = $1 AND "customerId" = $2 AND "spaceId" = $3 AND "assetId" = $4 AND "attempt" = $5`;

/**
 * Marks a pending batch member as started (keeping the first start time across redeliveries), the orchestrator's
 * step before it stages an origin. A cancel and a claim of the same member serialise on its row: whichever comes
 * first wins, so a member is either processed or counted as cancelled, never both.
 *
 * With `opts.window`, a member not yet started is claimed only while the customer has fewer members in flight
 * (`started` set, `outcome` pending; counted on the partial index `batch_members_customerId_in_flight_idx`, at
 * most `window` rows read). Concurrent claims of one customer may each see room, so the window can be exceeded by
 * the number of claims running at once; it is a fair-share bound, not a quota.
 * Runs as prepared statements outside transactions ({@link queryPrepared}).
 */
export async function claimBatchMember(
  db: LedgerDb,
  ref: MemberRef,
  now: Date,
  opts: ClaimOptions = {},
): Promise<ClaimResult> {
  if (ref.batchId === undefined) return 'none';
  const key = [ref.batchId, ref.customerId, ref.spaceId, ref.assetId, ref.attempt];
  const claimed = await queryPrepared<{ claimed: number }>(db, 'claim-batch-member', CLAIM_SQL, [
    ...key,
    now,
    opts.window ?? 0,
  ]);
  if (claimed.length > 0) return 'claimed';
  const rows = await queryPrepared<{ outcome: string; started: Date | null }>(
    db,
    'batch-member-state',
    MEMBER_STATE_SQL,
    key,
  );
  if (!rows[0]) return 'none';
  if (rows[0].outcome === 'pending') return 'full';
  return rows[0].outcome === 'cancelled' ? 'cancelled' : 'closed';
}

const IN_FLIGHT_SQL = `
  SELECT count(*)::int AS "n" FROM (
    SELECT 1 FROM "batch_members"
    WHERE "customerId" = $1 AND "outcome" = 'pending' AND "started" IS NOT NULL
    LIMIT $2::int) w`;

/**
 * The customer's batch members in flight (started, not finished), counted up to `limit` (the window: more are
 * never read). Prepared statement on the partial index `batch_members_customerId_in_flight_idx`.
 */
export async function batchMembersInFlight(db: LedgerDb, customerId: number, limit: number): Promise<number> {
  const rows = await queryPrepared<{ n: number }>(db, 'batch-members-in-flight', IN_FLIGHT_SQL, [
    customerId,
    limit,
  ]);
  return rows[0]?.n ?? 0;
}

const WINDOW_USAGE_SQL = `
  SELECT c."customerId", (
    SELECT count(*)::int FROM (
      SELECT 1 FROM "batch_members" f
      WHERE f."customerId" = c."customerId" AND f."outcome" = 'pending' AND f."started" IS NOT NULL
      LIMIT $1::int) w) AS "inFlight"
  FROM (SELECT DISTINCT "customerId" FROM "batches" WHERE "finished" IS NULL) c`;

/**
 * Every customer with an unfinished batch and its members in flight (counted up to `limit`): what the
 * orchestrator's window sweeper reads to move parked members back when a customer has room.
 */
export async function batchWindowUsage(
  db: LedgerDb,
  limit: number,
): Promise<Array<{ customerId: number; inFlight: number }>> {
  const rows = await queryPrepared<{ customerId: number; inFlight: number }>(
    db,
    'batch-window-usage',
    WINDOW_USAGE_SQL,
    [limit],
  );
  return rows.map((r) => ({ customerId: Number(r.customerId), inFlight: Number(r.inFlight) }));
}

/** A member a cancel took. */
export interface CancelledMember {
  spaceId: number;
  assetId: string;
  attempt: number;
  /** True when the asset was still on this attempt and ingesting, and now ends `ingesting: false, error: cancelled`. */
  assetStopped: boolean;
}

/** What {@link cancelBatch} did. */
export type CancelOutcome =
  | { kind: 'not-found' }
  /** The batch had finished before this cancel (nothing changed). */
  | { kind: 'finished'; row: BatchLedgerRow }
  | { kind: 'cancelled'; members: CancelledMember[]; update: LedgerUpdate };

/**
 * Cancels a batch (beyond the reference; SPEC.md §3.3): every member still `pending` and not yet started becomes
 * `cancelled`; its asset, when still on that attempt and ingesting, ends `ingesting: false`, `error: "cancelled"`,
 * `finished: now`; the batch's `cancelled` counter grows by the number of members taken, and `finished` is set
 * when the counters reach `count`. Members already started are left alone and finish normally. Must run inside a
 * transaction; lock order assets → members → batch, like the finaliser.
 * @returns `not-found` (no such batch of the customer), `finished` (it was finished already: the caller answers
 *   409), or the members taken (possibly none, when every unfinished member is already being processed) and the
 *   batch after the update.
 */
export async function cancelBatch(
  tx: Prisma.TransactionClient,
  customerId: number,
  batchId: number,
  now: Date,
): Promise<CancelOutcome> {
  const found = await tx.$queryRaw<RawBatch[]>`
    SELECT "id", "customerId", "submitted", "count", "completed", "errors", "cancelled", "finished", "superseded",
           "priority"
    FROM "batches" WHERE "id" = ${batchId} AND "customerId" = ${customerId}`;
  if (!found[0]) return { kind: 'not-found' };
  if (found[0].finished) return { kind: 'finished', row: toRow(found[0]) };

  // 1. Lock the assets of the members a cancel may take, in key order (the finaliser locks an asset first too).
  await tx.$queryRaw`
    SELECT a."spaceId" FROM "assets" a
    JOIN "batch_members" m ON m."customerId" = a."customerId" AND m."spaceId" = a."spaceId" AND m."assetId" = a."id"
    WHERE m."batchId" = ${batchId} AND m."customerId" = ${customerId} AND m."outcome" = 'pending'
      AND m."started" IS NULL
    ORDER BY a."spaceId", a."id"
    FOR UPDATE OF a`;
  // 2. Take the members (re-checked under their row locks: a member claimed meanwhile stays), stop their assets.
  const taken = await tx.$queryRaw<{ spaceId: number; assetId: string; attempt: number; stopped: boolean }[]>`
    WITH m AS (
      UPDATE "batch_members" SET "outcome" = 'cancelled'::"BatchMemberOutcome", "error" = NULL, "finished" = ${now}
      WHERE "batchId" = ${batchId} AND "customerId" = ${customerId} AND "outcome" = 'pending' AND "started" IS NULL
      RETURNING "spaceId", "assetId", "attempt"
    ), a AS (
      UPDATE "assets" x SET "ingesting" = false, "error" = ${CANCELLED_ERROR}, "finished" = ${now}, "updated" = ${now}
      FROM m
      WHERE x."customerId" = ${customerId} AND x."spaceId" = m."spaceId" AND x."id" = m."assetId"
        AND x."ingestAttempt" = m."attempt" AND x."ingesting"
      RETURNING x."spaceId", x."id"
    )
    SELECT m."spaceId", m."assetId", m."attempt", (a."id" IS NOT NULL) AS "stopped"
    FROM m LEFT JOIN a ON a."spaceId" = m."spaceId" AND a."id" = m."assetId"
    ORDER BY m."spaceId", m."assetId"`;
  // 3. The counters (locks the batch row last).
  const update = await addToBatch(tx, customerId, batchId, { cancelled: taken.length }, now);
  if (!update) return { kind: 'not-found' };
  if (taken.length === 0 && !update.justFinished && update.row.finished)
    return { kind: 'finished', row: update.row };
  return {
    kind: 'cancelled',
    members: taken.map((t) => ({
      spaceId: Number(t.spaceId),
      assetId: t.assetId,
      attempt: Number(t.attempt),
      assetStopped: Boolean(t.stopped),
    })),
    update,
  };
}

/**
 * Sets `superseded` on those of the customer's batches (`batchIds`) that no asset still has as its `batch`
 * (SPEC.md §3.3: "a batch is superseded once none of its members still has it as batch"). For the writes that
 * move assets to another batch (queue submissions, `reingestErrors`). Returns the ids it set.
 */
export async function markSuperseded(
  tx: Prisma.TransactionClient,
  customerId: number,
  batchIds: readonly number[],
): Promise<number[]> {
  if (!batchIds.length) return [];
  const rows = await tx.$queryRaw<{ id: number }[]>`
    UPDATE "batches" b SET "superseded" = true
    WHERE b."customerId" = ${customerId} AND b."id" = ANY(${[...batchIds]}::int[]) AND NOT b."superseded"
      AND NOT EXISTS (SELECT 1 FROM "assets" a WHERE a."customerId" = b."customerId" AND a."batchId" = b."id")
    RETURNING b."id"`;
  return rows.map((r) => Number(r.id));
}

/** The `error` a pending batch member is closed with when its asset is deleted (SPEC.md §3.3 DELETE). */
export const DELETED_ERROR = 'deleted';

/**
 * Closes, for assets being deleted (`DELETE .../images/{id}`, `POST C/deleteImages`), their batch members still
 * `pending` as `error` {@link DELETED_ERROR}, and adds exactly the members closed to their batches' `errors`,
 * setting `finished` when `completed + errors + cancelled` reaches `count` (the ledger's rule). Three statements,
 * whatever the number of assets and batches: the members (conditional UPDATE, `... AND "outcome" = 'pending'`),
 * the batch rows locked in ascending id, one UPDATE of every batch touched. Lock order as everywhere in the ledger:
 * the caller has locked the asset rows; then member rows; then batch rows.
 * @param keys the assets (of `customerId`) being deleted, in the same transaction.
 * @returns the batches moved (ascending id); `justFinished` marks those for which the caller writes
 *   `batch.completed.v1`.
 */
export async function closeMembersOfDeletedAssets(
  tx: Prisma.TransactionClient,
  customerId: number,
  keys: readonly { spaceId: number; id: string }[],
  now: Date,
): Promise<LedgerUpdate[]> {
  if (!keys.length) return [];
  const closed = await tx.$queryRawUnsafe<{ batchId: number }[]>(
    `UPDATE "batch_members" m
     SET "outcome" = 'error'::"BatchMemberOutcome", "error" = $3::text, "finished" = $4::timestamptz
     FROM jsonb_to_recordset($2::jsonb) AS k("spaceId" int, "id" text)
     WHERE m."customerId" = $1::int AND m."spaceId" = k."spaceId" AND m."assetId" = k."id" AND m."outcome" = 'pending'
     RETURNING m."batchId"`,
    customerId,
    JSON.stringify(keys.map((k) => ({ spaceId: k.spaceId, id: k.id }))),
    DELETED_ERROR,
    now,
  );
  if (!closed.length) return [];
  const perBatch = new Map<number, number>();
  for (const m of closed) perBatch.set(Number(m.batchId), (perBatch.get(Number(m.batchId)) ?? 0) + 1);
  const ids = [...perBatch.keys()].sort((a, b) => a - b);
  const before = await tx.$queryRawUnsafe<{ id: number; finished: Date | null }[]>(
    `SELECT "id", "finished" FROM "batches" WHERE "customerId" = $1::int AND "id" = ANY($2::int[])
     ORDER BY "id" FOR UPDATE`,
    customerId,
    ids,
  );
  const wasFinished = new Map(before.map((b) => [Number(b.id), b.finished !== null]));
  const rows = await tx.$queryRawUnsafe<RawBatch[]>(
    `UPDATE "batches" b SET
       "errors" = b."errors" + d."n",
       "finished" = CASE WHEN b."finished" IS NULL AND b."completed" + b."errors" + d."n" + b."cancelled" >= b."count"
                         THEN $3::timestamptz ELSE b."finished" END
     FROM jsonb_to_recordset($2::jsonb) AS d("id" int, "n" int)
     WHERE b."customerId" = $1::int AND b."id" = d."id"
     RETURNING b."id", b."customerId", b."submitted", b."count", b."completed", b."errors", b."cancelled",
               b."finished", b."superseded", b."priority"`,
    customerId,
    JSON.stringify(ids.map((id) => ({ id, n: perBatch.get(id) }))),
    now,
  );
  return rows
    .map(toRow)
    .sort((a, b) => a.id - b.id)
    .map((row) => ({ row, justFinished: wasFinished.get(row.id) === false && row.finished !== null }));
}
