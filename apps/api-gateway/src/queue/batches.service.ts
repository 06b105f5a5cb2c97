import { Injectable } from '@nestjs/common';
import { AssetIngestFinishedV1, batchCompletedEvent } from '@vellum/contracts';
import { CANCELLED_ERROR, type Batch, type BatchLedgerRow, type Prisma } from '@vellum/db';
import { OutboxRelay, outboxRow, PRIORITY_LANE } from '@vellum/messaging';
import { AssetsRepository } from '../assets/assets.repository';
import { SERVICE_NAME } from '../customers/customers.service';
import { conflict, notFound } from '../http/problems';
import { BatchesRepository } from './batches.repository';
import { ingestRequests } from './queue.service';

/** What `POST .../cancel` answers with: the batch after the cancel and how many members this call took. */
export interface CancelResult {
  batch: Batch;
  /** Members this call cancelled (0 when every unfinished member was already being processed). */
  taken: number;
}

/**
 * Operations on one existing batch (SPEC.md §3.3 "Queue and batches"): `cancel` (beyond the reference), `test`
 * and `reingestErrors`. Each runs in one transaction with the outbox rows it causes.
 */
@Injectable()
export class BatchesService {
  constructor(
    private readonly batches: BatchesRepository,
    private readonly assets: AssetsRepository,
    private readonly relay: OutboxRelay,
  ) {}

  /** The batch, or 404. */
  async get(customerId: number, batchId: number): Promise<Batch> {
    const batch = await this.batches.get(customerId, batchId);
    if (!batch) throw notFound(`Batch ${batchId} not found.`);
    return batch;
  }

  /**
   * Cancels a running batch: members not yet started are never processed (outcome `cancelled`, counted in
   * `cancelled`); their assets end `ingesting: false` with `error: "cancelled"`, each with an
   * `asset.ingest.finished.v1` (success false); members already being processed finish normally. When this makes
   * the counters reach `count`, `finished` is set and `batch.completed.v1` written, exactly once (the ledger).
   * A second cancel of a running batch takes nothing more and answers the batch as it is.
   * @throws 404 unknown batch; 409 the batch had already finished.
   */
  async cancel(customerId: number, batchId: number): Promise<CancelResult> {
    const now = new Date();
    const result = await this.batches.transaction(async (tx) => {
      const outcome = await this.batches.cancel(customerId, batchId, now, tx);
      if (outcome.kind === 'not-found') throw notFound(`Batch ${batchId} not found.`);
      if (outcome.kind === 'finished')
        throw conflict(
          `Batch ${batchId} finished at ${outcome.row.finished?.toISOString()}; there is nothing left to cancel.`,
        );
      const { row, justFinished } = outcome.update;
      const rows: Prisma.OutboxMessageCreateInput[] = outcome.members
        .filter((m) => m.assetStopped)
        .map((m) =>
          outboxRow(
            Object.assign(new AssetIngestFinishedV1(), {
              customerId,
              spaceId: m.spaceId,
              assetId: m.assetId,
              attempt: m.attempt,
              success: false,
              error: CANCELLED_ERROR,
              batchId,
            }),
            { producer: SERVICE_NAME, priority: row.priority ? PRIORITY_LANE : 0 },
          ),
        );
      if (justFinished) rows.push(this.completedRow(row));
      await this.batches.writeOutbox(rows, tx);
      return { taken: outcome.members.length, batch: (await this.batches.get(customerId, batchId, tx))! };
    });
    this.relay.kick();
    return result;
  }

  /**
   * `POST .../test` (SPEC.md §3.3): re-evaluates completion and supersession (see
   * {@link BatchesRepository.retest}); when that sets `finished`, writes `batch.completed.v1` (exactly once).
   * @returns `success`: true when the batch is (now) finished or superseded.
   * @throws 404 unknown batch.
   */
  async test(customerId: number, batchId: number): Promise<{ success: boolean; batch: Batch }> {
    const result = await this.batches.transaction(async (tx) => {
      const r = await this.batches.retest(customerId, batchId, new Date(), tx);
      if (!r) throw notFound(`Batch ${batchId} not found.`);
      if (r.justFinished) await this.batches.writeOutbox([this.completedRow(r.batch)], tx);
      return r;
    });
    if (result.justFinished) this.relay.kick();
    return { success: result.batch.finished !== null || result.batch.superseded, batch: result.batch };
  }

  /**
   * `POST .../reingestErrors`: resubmits the batch's failed members, and only them, as a **new batch** (same lane
   * as the original), exactly as if they had been POSTed to the queue again with their stored fields: each asset
   * gets a new ingest attempt in the new batch (its `batch` link moves there), the new batch counts only them, and
   * the original batch keeps its counters and its failed members' history (`.../errors`, `.../assets`); it becomes
   * `superseded` when none of its assets is left in it. A failed member whose asset has since been resubmitted,
   * reingested or deleted is not resubmitted.
   * @returns the new batch.
   * @throws 404 unknown batch; 409 no failed member to resubmit.
   */
  async reingestErrors(customerId: number, batchId: number): Promise<Batch> {
    const batch = await this.batches.transaction(async (tx) => {
      const original = await this.batches.get(customerId, batchId, tx);
      if (!original) throw notFound(`Batch ${batchId} not found.`);
      const failed = await this.batches.failedMembers(customerId, batchId, tx);
      if (!failed.length)
        throw conflict(`Batch ${batchId} has no failed members to reingest (errors: ${original.errors}).`);
      const created = await this.batches.create(customerId, failed.length, original.priority, tx);
      const landed = await this.assets.upsertBatchMembers(customerId, created.id, failed, tx);
      if (landed.length !== failed.length)
        throw new Error(`batch ${created.id}: wrote ${landed.length} of ${failed.length} members`);
      await this.batches.writeOutbox(ingestRequests(customerId, created, landed), tx);
      await this.batches.markSuperseded(customerId, [batchId], tx);
      return created;
    }, 30_000);
    this.relay.kick();
    return batch;
  }

  private completedRow(b: BatchLedgerRow): Prisma.OutboxMessageCreateInput {
    return outboxRow(batchCompletedEvent(b), {
      producer: SERVICE_NAME,
      priority: b.priority ? PRIORITY_LANE : 0,
    });
  }
}
