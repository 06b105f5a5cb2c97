/**
 * Pure arithmetic of finalising (SPEC.md §4.1 step 4, §8): storage deltas. The finaliser applies them in SQL inside
 * one transaction; batch counters follow the batch ledger of `@vellum/db` (`addToBatch`).
 */

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
