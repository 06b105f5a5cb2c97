import { Inject, Injectable, Logger } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { assetKeyPrefix, OBJECT_STORE, type ObjectStore, type VellumBuckets } from '@vellum/storage';
import { BUCKETS } from './tokens';

/** An asset of the object store's key layout (SPEC.md §8). */
export interface AssetObjectsRef {
  customerId: number;
  spaceId: number;
  assetId: string;
}

/** One object to remove besides the key prefixes (e.g. from an `asset.deleted.v1` or a worker's reply). */
export interface NamedObject {
  bucket: string;
  key: string;
}

/** What {@link AssetObjectsService.purge} did. */
export type PurgeResult =
  | { purged: true; objects: number }
  /** The asset row exists (again): its objects are left alone. */
  | { purged: false };

/**
 * Removes every object of an asset that no longer exists (SPEC.md §3.3 DELETE, §8 "Clean-up"): the pyramid,
 * thumbnails and their sizes document, the stored original, transcodes and any staged origin. They all live
 * under the asset's deterministic key prefix `{customer}/{space}/{escaped id}/` in the platform's origins,
 * derivatives and thumbnails buckets; objects named explicitly (the `derivatives` JSON, a worker's reply) are
 * removed too, but only in those buckets (never a customer's own bucket). Idempotent: absent objects are not an
 * error, so a redelivered message purges again harmlessly.
 *
 * Used by the `asset.deleted.v1` consumer and wherever the orchestrator meets the results of an ingest whose asset
 * was deleted meanwhile (so a late attempt leaves nothing behind). Guard: when the asset row exists, e.g. the id
 * was registered again after the delete, nothing is removed (its new ingest writes the same keys).
 */
@Injectable()
export class AssetObjectsService {
  private readonly log = new Logger(AssetObjectsService.name);

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
  ) {}

  /**
   * Purges the objects of `ref` when its asset row does not exist.
   * @param named extra objects to delete (skipped unless in an own bucket).
   * @throws object store or database errors (the caller's message is retried; purging again is harmless).
   */
  async purge(ref: AssetObjectsRef, named: readonly NamedObject[] = []): Promise<PurgeResult> {
    const row = await this.prisma.asset.findUnique({
      where: { customerId_spaceId_id: { customerId: ref.customerId, spaceId: ref.spaceId, id: ref.assetId } },
      select: { ingestAttempt: true },
    });
    if (row) {
      this.log.log({ ...ref, msg: 'asset exists (registered again): its objects are kept' });
      return { purged: false };
    }
    const own = new Set([this.buckets.origins, this.buckets.derivatives, this.buckets.thumbnails]);
    let objects = 0;
    for (const o of named) {
      if (!own.has(o.bucket)) {
        this.log.warn({
          ...ref,
          bucket: o.bucket,
          key: o.key,
          msg: 'not a platform bucket: object left alone',
        });
        continue;
      }
      await this.store.delete(o.bucket, o.key);
      objects++;
    }
    const prefix = `${assetKeyPrefix(ref.customerId, ref.spaceId, ref.assetId)}/`;
    for (const bucket of own) objects += await this.store.deletePrefix(bucket, prefix);
    this.log.log({ ...ref, objects, msg: 'objects of a deleted asset removed' });
    return { purged: true, objects };
  }
}
