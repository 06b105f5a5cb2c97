import { Inject, Injectable } from '@nestjs/common';
import {
  cancelBatch,
  isBatchComplete,
  markSuperseded,
  PRISMA,
  type Asset,
  type Batch,
  type BatchMemberOutcome,
  type CancelOutcome,
  type Prisma,
  type PrismaClient,
  type Space,
} from '@vellum/db';
import type { AssetFields } from '../assets/asset-builder';
import { ASSET_DECIDED_COLUMNS } from '../assets/asset.fields';
import { existingFields } from '../assets/asset.presenter';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { BATCH_DEFAULT_ORDER, BATCH_FIELDS } from './batch.fields';

/** $1 = JSON array of outbox rows ({ id, routingKey, envelope, priority }). */
const INSERT_OUTBOX_SQL = `
INSERT INTO "outbox_messages" ("id", "routingKey", "envelope", "priority")
SELECT "id", "routingKey", "envelope", "priority"
FROM jsonb_to_recordset($1::jsonb) AS x("id" uuid, "routingKey" text, "envelope" jsonb, "priority" int)`;

/** $1 = customerId, $2 = JSON array of { spaceId, id }: the batches those assets are in now. */
const CURRENT_BATCHES_SQL = `
SELECT DISTINCT a."batchId" FROM "assets" a
JOIN jsonb_to_recordset($2::jsonb) AS k("spaceId" int, "id" text) ON a."spaceId" = k."spaceId" AND a."id" = k."id"
WHERE a."customerId" = $1::int AND a."batchId" IS NOT NULL`;

/**
 * $1 = customerId, $2 = batchId: the failed members a `reingestErrors` may resubmit, their assets locked. Only
 * members whose asset still exists, still has this batch as its batch, is still on the failed attempt and is not
 * ingesting (a member superseded by a newer submission is not resubmitted).
 */
const FAILED_MEMBERS_SQL = `
SELECT a."spaceId", a."id", ${ASSET_DECIDED_COLUMNS.map((c) => (c === 'family' ? 'a."family"::text AS "family"' : `a."${c}"`)).join(', ')}
FROM "batch_members" m
JOIN "assets" a ON a."customerId" = m."customerId" AND a."spaceId" = m."spaceId" AND a."id" = m."assetId"
WHERE m."customerId" = $1::int AND m."batchId" = $2::int AND m."outcome" = 'error'
  AND a."batchId" = m."batchId" AND a."ingestAttempt" = m."attempt" AND NOT a."ingesting"
ORDER BY a."spaceId", a."id"
FOR UPDATE OF a`;

/** A member of a batch, as its sub-collections need it. */
export interface MemberKey {
  spaceId: number;
  assetId: string;
  /** The member's own error (failed members), which may differ from the asset's latest. */
  error: string | null;
}

/** Waiting work in one customer's queue (SPEC.md §3.3 `GET C/queue`). */
export interface QueueCounts {
  /** Unfinished batches. */
  batchesWaiting: number;
  /** Assets still ingesting in those batches (each counted once, in the batch it is now in). */
  imagesWaiting: number;
}

/** Waiting work across every customer (SPEC.md §3.2 `GET /queue`, admin). */
export interface PlatformQueueCounts extends QueueCounts {
  /** Every asset still ingesting (queued or immediate). */
  size: number;
  /** Images (family I) of normal batches. */
  incoming: number;
  /** Images and files on the priority lane: priority batches and immediate registrations. */
  priority: number;
  /** Audio and video (family T), whatever the lane. */
  timebased: number;
  /** Files (family F) of normal batches. */
  file: number;
}

/** What {@link BatchesRepository.retest} found and did. */
export interface RetestResult {
  batch: Batch;
  /** True when this call set `finished` (the caller writes `batch.completed.v1`). */
  justFinished: boolean;
}

/** A failed member resubmitted by `reingestErrors`: its key and its stored fields, unchanged. */
export interface ResubmittedMember {
  spaceId: number;
  id: string;
  fields: AssetFields;
}

/**
 * Batches and batch members of one customer (SPEC.md §3.3 "Queue and batches"): every read and write of the
 * `batches` and `batch_members` tables by the gateway, scoped to the customer. Member-outcome transitions and
 * counters go through the batch ledger of `@vellum/db`, which the orchestrator's finaliser shares, so both apply
 * one rule (`finished` once completed + errors + cancelled = count, `batch.completed.v1` exactly once).
 */
@Injectable()
export class BatchesRepository extends CustomerScopedRepository<Batch, Prisma.BatchWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, BATCH_FIELDS, BATCH_DEFAULT_ORDER);
  }

  protected delegate(db: Db): unknown {
    return db.batch;
  }

  /** One batch of the customer, or null. */
  get(customerId: number, id: number, db: Db = this.prisma): Promise<Batch | null> {
    return this.findOne(customerId, { id }, db);
  }

  /** Creates a batch of `count` members (counters at 0). */
  create(customerId: number, count: number, priority: boolean, db: Db): Promise<Batch> {
    return this.insert(customerId, { count, priority }, db);
  }

  /** The spaces (of the customer) a batch's members name, for validation. */
  spaces(customerId: number, ids: number[]): Promise<Space[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.prisma.space.findMany({ where: { customerId, id: { in: ids } } });
  }

  /** Writes outbox rows (built by `outboxRow`) in one statement, whatever their number. */
  async writeOutbox(rows: Prisma.OutboxMessageCreateInput[], db: Db): Promise<void> {
    if (rows.length) await db.$executeRawUnsafe(INSERT_OUTBOX_SQL, JSON.stringify(rows));
  }

  /** The batches the given assets of the customer are in now (before a resubmission moves them). */
  async currentBatchIds(
    customerId: number,
    keys: { spaceId: number; id: string }[],
    db: Db,
  ): Promise<number[]> {
    if (!keys.length) return [];
    const rows = await db.$queryRawUnsafe<{ batchId: number }[]>(
      CURRENT_BATCHES_SQL,
      customerId,
      JSON.stringify(keys),
    );
    return rows.map((r) => Number(r.batchId));
  }

  /** Marks those of `batchIds` that no asset still has as its batch as superseded (SPEC.md §3.3). */
  markSuperseded(customerId: number, batchIds: number[], tx: Prisma.TransactionClient): Promise<number[]> {
    return markSuperseded(tx, customerId, batchIds);
  }

  /**
   * The members of a batch (≤ 500, the most one batch holds), optionally only those with one outcome, in key
   * order.
   */
  members(customerId: number, batchId: number, outcome?: BatchMemberOutcome): Promise<MemberKey[]> {
    return this.prisma.batchMember.findMany({
      where: { customerId, batchId, ...(outcome ? { outcome } : {}) },
      select: { spaceId: true, assetId: true, error: true },
      orderBy: [{ spaceId: 'asc' }, { assetId: 'asc' }],
    });
  }

  /** Waiting work in the customer's queue; `priority` restricts it to the priority queue. */
  async queueCounts(customerId: number, priority?: boolean): Promise<QueueCounts> {
    const lane = priority ? { priority: true } : {};
    const [batchesWaiting, imagesWaiting] = await Promise.all([
      this.countWhere(customerId, { finished: null, ...lane }),
      this.prisma.asset.count({
        where: { customerId, ingesting: true, batchId: { not: null }, ...(priority ? { batch: lane } : {}) },
      }),
    ]);
    return { batchesWaiting, imagesWaiting };
  }

  /**
   * Waiting work across every customer: a platform-wide read, by design (the admin-only `GET /queue`,
   * SPEC.md §3.2), and the one method here not scoped to a customer.
   */
  async platformQueueCounts(): Promise<PlatformQueueCounts> {
    const [counts, batches] = await this.prisma.$transaction([
      this.prisma.$queryRaw<Record<keyof Omit<PlatformQueueCounts, 'batchesWaiting'>, bigint>[]>`
        SELECT count(*) AS "size",
               count(*) FILTER (WHERE a."batchId" IS NOT NULL) AS "imagesWaiting",
               count(*) FILTER (WHERE a."family" = 'I' AND a."batchId" IS NOT NULL AND NOT b."priority") AS "incoming",
               count(*) FILTER (WHERE a."family" <> 'T' AND (a."batchId" IS NULL OR b."priority")) AS "priority",
               count(*) FILTER (WHERE a."family" = 'T') AS "timebased",
               count(*) FILTER (WHERE a."family" = 'F' AND a."batchId" IS NOT NULL AND NOT b."priority") AS "file"
        FROM "assets" a LEFT JOIN "batches" b ON b."id" = a."batchId"
        WHERE a."ingesting"`,
      this.prisma.batch.count({ where: { finished: null } }),
    ]);
    const c = counts[0];
    return {
      size: Number(c.size),
      imagesWaiting: Number(c.imagesWaiting),
      incoming: Number(c.incoming),
      priority: Number(c.priority),
      timebased: Number(c.timebased),
      file: Number(c.file),
      batchesWaiting: batches,
    };
  }

  /**
   * Cancels the batch's members not yet started (the ledger's `cancelBatch`: members → `cancelled`, their assets
   * `ingesting: false, error: "cancelled"`, the batch's `cancelled` counter, `finished` when complete).
   */
  cancel(
    customerId: number,
    batchId: number,
    now: Date,
    tx: Prisma.TransactionClient,
  ): Promise<CancelOutcome> {
    return cancelBatch(tx, customerId, batchId, now);
  }

  /**
   * Re-evaluates a batch (`POST .../test`, SPEC.md §3.3), under its row lock: the counters from its members'
   * outcomes (they are maintained exactly; this repairs a drifted row), `superseded` = no asset still has the batch
   * as its batch, and `finished` set (to `now`) when the counters reach `count` and it was not yet set.
   * @returns null when the customer has no such batch.
   */
  async retest(
    customerId: number,
    batchId: number,
    now: Date,
    tx: Prisma.TransactionClient,
  ): Promise<RetestResult | null> {
    const locked = await tx.$queryRaw<{ id: number }[]>`
      SELECT "id" FROM "batches" WHERE "id" = ${batchId} AND "customerId" = ${customerId} FOR UPDATE`;
    if (!locked[0]) return null;
    const batch = (await this.get(customerId, batchId, tx))!;
    const [outcomes, current] = await Promise.all([
      tx.batchMember.groupBy({
        by: ['outcome'],
        where: { customerId, batchId },
        orderBy: { outcome: 'asc' },
        _count: { _all: true },
      }),
      tx.asset.count({ where: { customerId, batchId } }),
    ]);
    const n = (o: BatchMemberOutcome) => outcomes.find((r) => r.outcome === o)?._count._all ?? 0;
    const members = outcomes.reduce((sum, r) => sum + r._count._all, 0);
    const counters = members
      ? { completed: n('completed'), errors: n('error'), cancelled: n('cancelled') }
      : { completed: batch.completed, errors: batch.errors, cancelled: batch.cancelled };
    const superseded = current === 0;
    const finished = batch.finished ?? (isBatchComplete({ count: batch.count, ...counters }) ? now : null);
    const changed =
      counters.completed !== batch.completed ||
      counters.errors !== batch.errors ||
      counters.cancelled !== batch.cancelled ||
      superseded !== batch.superseded ||
      finished !== batch.finished;
    if (!changed) return { batch, justFinished: false };
    await this.updateWhere(customerId, { id: batchId }, { ...counters, superseded, finished }, tx);
    return {
      batch: (await this.get(customerId, batchId, tx))!,
      justFinished: batch.finished === null && finished !== null,
    };
  }

  /**
   * The failed members of a batch that `reingestErrors` resubmits, with their stored fields; locks their assets
   * until the transaction ends (so a concurrent write cannot slip between the read and the resubmission).
   */
  async failedMembers(
    customerId: number,
    batchId: number,
    tx: Prisma.TransactionClient,
  ): Promise<ResubmittedMember[]> {
    const rows = await tx.$queryRawUnsafe<(Asset & { spaceId: number; id: string })[]>(
      FAILED_MEMBERS_SQL,
      customerId,
      batchId,
    );
    return rows.map((r) => ({ spaceId: Number(r.spaceId), id: r.id, fields: existingFields(r) }));
  }
}
