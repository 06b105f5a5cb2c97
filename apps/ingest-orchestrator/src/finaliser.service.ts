import { Inject, Injectable, Logger } from '@nestjs/common';
import { AssetIngestFinishedV1, batchCompletedEvent } from '@vellum/contracts';
import { addToBatch, PRISMA, Prisma, type BatchLedgerRow, type PrismaClient } from '@vellum/db';
import { insertOutboxRows, OutboxRelay, outboxRow, PRIORITY_LANE } from '@vellum/messaging';
import { OBJECT_STORE, originKey, type ObjectStore, type VellumBuckets } from '@vellum/storage';
import { isZeroDelta, storageDelta, SUPERSEDED_ERROR, type StorageRecord } from './accounting';
import { AssetObjectsService, type NamedObject } from './asset-objects.service';
import { BatchWindow } from './batch-window/batch-window';
import type { AssetDerivatives, AssetStorageSizes } from './derivatives';
import { IngestMetrics, type IngestOutcomeLabel } from './ingest-metrics';
import { BUCKETS, CLOCK, type Clock, SERVICE_NAME } from './tokens';

/** Identifies one ingest attempt. */
export interface AttemptRef {
  customerId: number;
  spaceId: number;
  assetId: string;
  attempt: number;
}

/** What an attempt ended with. */
export type FinaliseOutcome =
  | {
      success: true;
      /** Pixels (images, video). */
      width?: number;
      height?: number;
      /** Milliseconds (audio, video). */
      duration?: number;
      derivatives: AssetDerivatives | null;
      /** Bytes to record in `asset_storage` (and by delta in `storage_usage`); absent = leave accounting alone. */
      storage?: AssetStorageSizes;
    }
  | { success: false; error: string };

/** Input of {@link FinaliserService.finalise}. */
export interface FinaliseInput extends AttemptRef {
  outcome: FinaliseOutcome;
  /** Delete the staged origin after commit (false when `file`/`use-original` keeps it). */
  deleteStagedOrigin: boolean;
  /** Metrics label; default `completed`/`error` from the outcome. */
  label?: IngestOutcomeLabel;
  /** Objects this attempt wrote (a worker's reply), removed with the rest when the asset turns out deleted. */
  written?: readonly NamedObject[];
}

/** What {@link FinaliserService.finalise} did. */
export interface FinaliseResult {
  /** False when the attempt was not in progress (stale, already finalised, asset gone): nothing changed. */
  applied: boolean;
  /** The batch whose member waited for this attempt, if any. */
  batchId?: number;
  /** Batches this finalisation completed (their `batch.completed.v1` was written). */
  completedBatches: number[];
  /** Older pending members closed as superseded, by batch id. */
  supersededBatches: number[];
}

/** Error text stored on an asset is bounded (it is shown in the API and carried in messages). */
const MAX_ERROR_LENGTH = 2000;

/**
 * Finalises ingest attempts (SPEC.md §4.1 step 4) in ONE Postgres transaction:
 *
 * 1. the asset: a conditional UPDATE `WHERE ingestAttempt = attempt AND ingesting` (so a stale or redelivered
 *    result changes nothing) sets `ingesting: false`, `finished`, `error`, and on success `width`, `height`,
 *    `duration`, `derivatives`;
 * 2. storage accounting on success (SPEC.md §8): `asset_storage` replaced, `storage_usage` of (customer, space)
 *    and (customer, 0) moved by the difference, so reingests never drift;
 * 3. the batch member waiting for this attempt moves from `pending` exactly once (conditional UPDATE) and its
 *    batch counter grows; older pending members of the same asset are closed as superseded (error
 *    "superseded by a newer submission"; the batch becomes `superseded` once no asset still has it as `batch`);
 *    a batch whose counters reach `count` (`completed + errors + cancelled`, the batch ledger of `@vellum/db`,
 *    shared with the gateway's cancel) gets `finished` and a `batch.completed.v1` outbox row, exactly once;
 * 4. an `asset.ingest.finished.v1` outbox row (priority lane when the request was a priority one: an immediate
 *    registration, i.e. no batch member, or a member of a priority batch).
 *
 * After commit: kicks the outbox relay and deletes the staged origin unless kept. An attempt whose asset row is
 * gone (deleted while it ran) records nothing and removes every object of the asset, including what the attempt
 * wrote ({@link AssetObjectsService}), so a late result never resurrects a deleted asset or its accounting.
 */
@Injectable()
export class FinaliserService {
  private readonly log = new Logger(FinaliserService.name);

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly outboxRelay: OutboxRelay,
    private readonly metrics: IngestMetrics,
    private readonly objects: AssetObjectsService,
    private readonly window: BatchWindow,
  ) {}

  /**
   * Finalises one attempt. Idempotent: a second call for the same attempt returns `{ applied: false }`.
   * @throws database errors (the caller's transport retries the message).
   */
  async finalise(input: FinaliseInput): Promise<FinaliseResult> {
    const now = this.clock.now();
    const outcome = input.outcome;
    let startedAt: Date | undefined;
    let assetGone = false;
    const result = await this.prisma.$transaction(
      async (tx) => {
        // Raw statements on this hot path (every asset): Prisma's query compiler costs more CPU than the queries.
        const current = await tx.$queryRaw<Array<{ updated: Date }>>`
          SELECT "updated" FROM "assets"
          WHERE "customerId" = ${input.customerId} AND "spaceId" = ${input.spaceId} AND "id" = ${input.assetId}`;
        startedAt = current[0]?.updated;
        assetGone = current.length === 0;
        // `updated` is set as Prisma's @updatedAt would.
        const won = outcome.success
          ? await tx.$executeRaw`
              UPDATE "assets" SET "ingesting" = false, "finished" = ${now}::timestamptz, "updated" = ${now}::timestamptz,
                "error" = NULL, "width" = ${outcome.width ?? null}::int, "height" = ${outcome.height ?? null}::int,
                "duration" = ${outcome.duration ?? null}::int,
                "derivatives" = ${outcome.derivatives == null ? null : JSON.stringify(outcome.derivatives)}::jsonb
              WHERE "customerId" = ${input.customerId} AND "spaceId" = ${input.spaceId} AND "id" = ${input.assetId}
                AND "ingestAttempt" = ${input.attempt} AND "ingesting"`
          : await tx.$executeRaw`
              UPDATE "assets" SET "ingesting" = false, "finished" = ${now}::timestamptz, "updated" = ${now}::timestamptz,
                "error" = ${truncate(outcome.error)}
              WHERE "customerId" = ${input.customerId} AND "spaceId" = ${input.spaceId} AND "id" = ${input.assetId}
                AND "ingestAttempt" = ${input.attempt} AND "ingesting"`;
        if (won !== 1)
          return { applied: false, completedBatches: [], supersededBatches: [] } satisfies FinaliseResult;

        if (outcome.success && outcome.storage) await this.account(tx, input, outcome.storage);
        return this.closeMembers(tx, input, now);
      },
      { timeout: 20000, maxWait: 10000 },
    );

    if (!result.applied && assetGone) {
      // The asset was deleted while this attempt ran: nothing is recorded (no row, no storage accounting, no
      // batch counter: the delete closed its member), and what the attempt wrote goes (SPEC.md §8).
      this.metrics.outcome('stale');
      this.log.log({
        ...refOf(input),
        msg: 'attempt of a deleted asset: its objects are removed, nothing recorded',
      });
      const purged = await this.objects.purge(input, input.written ?? []);
      if (purged.purged) this.metrics.outcome('deleted');
      return result;
    }
    if (!result.applied) {
      this.metrics.outcome('duplicate');
      this.log.log({
        ...refOf(input),
        msg: 'attempt not in progress (stale or already finalised): no change',
      });
      return result;
    }
    const label = input.label ?? (outcome.success ? 'completed' : 'error');
    this.metrics.outcome(label);
    if (startedAt)
      this.metrics.duration.observe(
        { outcome: label },
        Math.max(0, (now.getTime() - startedAt.getTime()) / 1000),
      );
    this.log.log({
      ...refOf(input),
      success: outcome.success,
      error: outcome.success ? undefined : outcome.error,
      batchId: result.batchId,
      completedBatches: result.completedBatches,
      supersededBatches: result.supersededBatches,
      msg: outcome.success ? 'ingest finalised: success' : 'ingest finalised: error',
    });
    this.outboxRelay.kick();
    // A member of the customer's window finished: one of its parked members may come forward.
    if (result.batchId !== undefined) this.window.release(input.customerId);
    if (input.deleteStagedOrigin) await this.deleteStagedOrigin(input);
    return result;
  }

  /** Replaces the asset's storage record and moves the space and customer totals by the difference. */
  private async account(
    tx: Prisma.TransactionClient,
    ref: AttemptRef,
    sizes: AssetStorageSizes,
  ): Promise<void> {
    const prevRows = await tx.$queryRaw<
      Array<{ size: bigint | number | string; thumbnailSize: bigint | number | string }>
    >`
      SELECT "size", "thumbnailSize" FROM "asset_storage"
      WHERE "customerId" = ${ref.customerId} AND "spaceId" = ${ref.spaceId} AND "assetId" = ${ref.assetId}
      FOR UPDATE`;
    const previous: StorageRecord | null = prevRows[0]
      ? { size: BigInt(prevRows[0].size), thumbnailSize: BigInt(prevRows[0].thumbnailSize) }
      : null;
    const next: StorageRecord = {
      size: BigInt(Math.round(sizes.size)),
      thumbnailSize: BigInt(Math.round(sizes.thumbnailSize)),
    };
    await tx.$executeRaw`
      INSERT INTO "asset_storage" ("customerId", "spaceId", "assetId", "size", "thumbnailSize", "checked")
      VALUES (${ref.customerId}, ${ref.spaceId}, ${ref.assetId}, ${next.size.toString()}::bigint, ${next.thumbnailSize.toString()}::bigint, now())
      ON CONFLICT ("customerId", "spaceId", "assetId")
      DO UPDATE SET "size" = EXCLUDED."size", "thumbnailSize" = EXCLUDED."thumbnailSize", "checked" = EXCLUDED."checked"`;
    const delta = storageDelta(previous, next);
    if (isZeroDelta(delta)) return;
    // Space row first, then the customer row (spaceId 0): a fixed order, so concurrent finalisations never deadlock.
    for (const spaceId of ref.spaceId === 0 ? [0] : [ref.spaceId, 0]) {
      await tx.$executeRaw`
        INSERT INTO "storage_usage" ("customerId", "spaceId", "numberOfStoredImages", "totalSizeOfStoredImages", "totalSizeOfThumbnails", "lastCalculated")
        VALUES (${ref.customerId}, ${spaceId}, ${delta.numberOfStoredImages.toString()}::bigint,
                ${delta.totalSizeOfStoredImages.toString()}::bigint, ${delta.totalSizeOfThumbnails.toString()}::bigint, now())
        ON CONFLICT ("customerId", "spaceId") DO UPDATE SET
          "lastCalculated" = now(),
          "numberOfStoredImages" = "storage_usage"."numberOfStoredImages" + EXCLUDED."numberOfStoredImages",
          "totalSizeOfStoredImages" = "storage_usage"."totalSizeOfStoredImages" + EXCLUDED."totalSizeOfStoredImages",
          "totalSizeOfThumbnails" = "storage_usage"."totalSizeOfThumbnails" + EXCLUDED."totalSizeOfThumbnails"`;
    }
  }

  /** Batch members, batch counters, outbox rows (steps 3 and 4 of the class doc). */
  private async closeMembers(
    tx: Prisma.TransactionClient,
    input: FinaliseInput,
    now: Date,
  ): Promise<FinaliseResult> {
    const { outcome } = input;
    const memberOutcome = outcome.success ? 'completed' : 'error';
    const memberError = outcome.success ? null : truncate(outcome.error);
    const own = await tx.$queryRaw<Array<{ batchId: number }>>`
      UPDATE "batch_members"
      SET "outcome" = ${memberOutcome}::"BatchMemberOutcome", "error" = ${memberError}, "finished" = ${now}
      WHERE "customerId" = ${input.customerId} AND "spaceId" = ${input.spaceId} AND "assetId" = ${input.assetId}
        AND "attempt" = ${input.attempt} AND "outcome" = 'pending'
      RETURNING "batchId"`;
    const older = await tx.$queryRaw<Array<{ batchId: number }>>`
      UPDATE "batch_members"
      SET "outcome" = 'error'::"BatchMemberOutcome", "error" = ${SUPERSEDED_ERROR}, "finished" = ${now}
      WHERE "customerId" = ${input.customerId} AND "spaceId" = ${input.spaceId} AND "assetId" = ${input.assetId}
        AND "attempt" < ${input.attempt} AND "outcome" = 'pending'
      RETURNING "batchId"`;

    // Per batch: how many completed/errors this transaction adds, and whether it supersedes a member.
    const changes = new Map<number, { completed: number; errors: number; superseded: boolean }>();
    const change = (id: number) => {
      const c = changes.get(id) ?? { completed: 0, errors: 0, superseded: false };
      changes.set(id, c);
      return c;
    };
    for (const m of own) {
      if (outcome.success) change(Number(m.batchId)).completed++;
      else change(Number(m.batchId)).errors++;
    }
    for (const m of older) {
      const c = change(Number(m.batchId));
      c.errors++;
      c.superseded = true;
    }

    const completedBatches: number[] = [];
    const batches = new Map<number, BatchLedgerRow>();
    // Ascending id order: concurrent finalisations lock batch rows in the same order (no deadlocks).
    for (const id of [...changes.keys()].sort((a, b) => a - b)) {
      const c = changes.get(id)!;
      // The ledger's rule (shared with the gateway's cancel): finished once completed + errors + cancelled reach
      // count; superseded once no asset still has the batch as its `batch` (SPEC.md §3.3).
      const update = await addToBatch(
        tx,
        input.customerId,
        id,
        { completed: c.completed, errors: c.errors },
        now,
        { checkSuperseded: c.superseded },
      );
      if (!update) continue;
      const batch = update.row;
      batches.set(batch.id, batch);
      if (update.justFinished) {
        completedBatches.push(batch.id);
        await insertOutboxRows(tx, [
          outboxRow(batchCompletedEvent(batch), {
            producer: SERVICE_NAME,
            priority: batch.priority ? PRIORITY_LANE : 0,
          }),
        ]);
      }
    }

    // The batch of this attempt (if queued); no member at all = an immediate registration (the priority lane).
    const ownBatchId = own.length > 0 ? Math.min(...own.map((m) => Number(m.batchId))) : undefined;
    let priority: boolean;
    if (ownBatchId === undefined) {
      const member = await tx.batchMember.findFirst({
        where: {
          customerId: input.customerId,
          spaceId: input.spaceId,
          assetId: input.assetId,
          attempt: input.attempt,
        },
        select: { batchId: true, batch: { select: { priority: true } } },
      });
      priority = member ? member.batch.priority : true;
    } else {
      priority = batches.get(ownBatchId)?.priority ?? false;
    }
    const finished = Object.assign(new AssetIngestFinishedV1(), {
      customerId: input.customerId,
      spaceId: input.spaceId,
      assetId: input.assetId,
      attempt: input.attempt,
      success: outcome.success,
      ...(outcome.success ? {} : { error: truncate(outcome.error) }),
      ...(ownBatchId !== undefined ? { batchId: ownBatchId } : {}),
      ...(outcome.success && outcome.width !== undefined ? { width: outcome.width } : {}),
      ...(outcome.success && outcome.height !== undefined ? { height: outcome.height } : {}),
      ...(outcome.success && outcome.duration !== undefined ? { duration: outcome.duration } : {}),
    });
    await insertOutboxRows(tx, [
      outboxRow(finished, { producer: SERVICE_NAME, priority: priority ? PRIORITY_LANE : 0 }),
    ]);

    return {
      applied: true,
      batchId: ownBatchId,
      completedBatches,
      supersededBatches: [...new Set(older.map((m) => Number(m.batchId)))],
    };
  }

  private async deleteStagedOrigin(ref: AttemptRef): Promise<void> {
    const key = originKey(ref);
    try {
      await this.store.delete(this.buckets.origins, key);
    } catch (err) {
      // Not fatal: the next reingest overwrites it in place; the asset delete removes it.
      this.log.warn({
        ...refOf(ref),
        err,
        msg: `could not delete the staged origin ${this.buckets.origins}/${key}`,
      });
    }
  }
}

function refOf(ref: AttemptRef): Record<string, unknown> {
  return { customerId: ref.customerId, spaceId: ref.spaceId, assetId: ref.assetId, attempt: ref.attempt };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
