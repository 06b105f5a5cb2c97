/**
 * Pure arithmetic of finalising (SPEC.md §4.1 step 4, §8): batch counter transitions and storage deltas.
 * The finaliser applies the results in SQL inside one transaction.
 */

/** A batch's counters after an UPDATE, plus what this finalisation added. */
export interface BatchCounters {
  count: number;
  completed: number;
  errors: number;
}

/**
 * True when adding `addedCompleted`/`addedErrors` is what made the batch complete: after the update
 * `completed + errors >= count`, before it `< count`. Counters only ever grow, so exactly one finalisation per
 * batch sees `true` (and writes `finished` + `batch.completed`), however many run concurrently.
 */
export function crossedCompletion(
  after: BatchCounters,
  addedCompleted: number,
  addedErrors: number,
): boolean {
  const landed = after.completed + after.errors;
  const before = landed - addedCompleted - addedErrors;
  return landed >= after.count && before < after.count;
}

/** Per-asset storage record (bytes). */
export interface StorageRecord {
  size: bigint;
  thumbnailSize: bigint;
}

/** Change to apply to the per-space and per-customer `storage_usage` rows. */
export interface StorageDelta {
  numberOfStoredImages: bigint;
  totalSizeOfStoredImages: bigint;
  totalSizeOfThumbnails: bigint;
}

/**
 * The usage change caused by replacing an asset's storage record `previous` (absent before its first
 * successful ingest) with `next`. A reingest adds only the difference, so totals never drift; an asset counts
 * as one stored image from its first successful ingest on (the gateway's delete subtracts it again).
 */
export function storageDelta(previous: StorageRecord | null, next: StorageRecord): StorageDelta {
  return {
    numberOfStoredImages: previous ? 0n : 1n,
    totalSizeOfStoredImages: next.size - (previous?.size ?? 0n),
    totalSizeOfThumbnails: next.thumbnailSize - (previous?.thumbnailSize ?? 0n),
  };
}

/** True when a delta changes nothing (its UPDATEs can be skipped). */
export function isZeroDelta(d: StorageDelta): boolean {
  return d.numberOfStoredImages === 0n && d.totalSizeOfStoredImages === 0n && d.totalSizeOfThumbnails === 0n;
}

/** The error a pending batch member of an older attempt is closed with when a newer attempt finishes. */
export const SUPERSEDED_ERROR = 'superseded by a newer submission';
