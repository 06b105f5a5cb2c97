import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  AssetDeletedV1,
  AssetIngestFinishedV1,
  AssetUpdatedV1,
  CustomerCustomHeadersChangedV1,
} from '@vellum/contracts';
import { assetKeyPrefix, pyramidKey, type VellumBuckets } from '@vellum/storage';
import { AssetLookupService } from './asset-lookup.service';
import { PresentationCache } from './presentation/presentation-cache.service';
import { PyramidCacheService } from './pyramid-cache.service';
import { ThumbnailStore } from './thumbnail-store.service';
import { BUCKETS } from './tokens';

/**
 * Keeps this replica's caches honest (SPEC.md §5 "Speed", §8 "Clean-up"): every replica hears every
 * `asset.ingest.finished.v1`, `asset.updated.v1` and `asset.deleted.v1` on its own exclusive queue and drops the
 * asset's cached lookup (with its info.json documents and manifest) and every cached named-query projection of the
 * customer; a finished ingest also evicts the pyramid from the disk cache, and a delete evicts every cache entry of
 * the asset ({@link onDeleted});
 * `customer.custom-headers.changed.v1` drops the lookups of every asset of that customer (they carry its headers).
 * (Disk and thumbnail entries are also keyed by the asset's `finished` time, so a missed event cannot serve a
 * stale pyramid beyond the lookup TTL.)
 */
@Controller()
export class CacheInvalidationHandler {
  private readonly logger = new Logger(CacheInvalidationHandler.name);

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly pyramids: PyramidCacheService,
    private readonly thumbnails: ThumbnailStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    private readonly presentations: PresentationCache,
  ) {}

  @EventPattern(AssetIngestFinishedV1.routingKey, { exclusive: true })
  onIngestFinished(@Payload() msg: AssetIngestFinishedV1): void {
    this.invalidate(msg, true);
  }

  @EventPattern(AssetUpdatedV1.routingKey, { exclusive: true })
  onUpdated(@Payload() msg: AssetUpdatedV1): void {
    this.invalidate(msg, false);
  }

  /**
   * An asset was deleted (SPEC.md §3.3 DELETE, §8 "Clean-up"): whatever `deleteFrom` says, this replica drops the
   * asset's lookup and info.json documents, every disk-cache (pyramid) entry of the asset (the objects the event
   * names, e.g. a use-original source, and anything under its key prefix in any bucket, downloads in flight
   * included) and every cached thumbnail and derived thumbnail of it.
   */
  @EventPattern(AssetDeletedV1.routingKey, { exclusive: true })
  onDeleted(@Payload() msg: AssetDeletedV1): void {
    this.invalidate(msg, true);
    for (const o of msg.objects ?? []) if (o.kind === 'pyramid') this.pyramids.evict(o.bucket, o.key);
    const prefix = `${assetKeyPrefix(msg.customerId, msg.spaceId, msg.assetId)}/`;
    const pyramids = this.pyramids.evictKeyPrefix(prefix);
    const thumbnails = this.thumbnails.evictKeyPrefix(prefix);
    this.logger.debug(`deleted ${prefix}: ${pyramids} pyramid(s), ${thumbnails} thumbnail(s) evicted`);
  }

  /** A customer's custom headers changed: its assets' cached lookups (which carry them) go (SPEC.md §3.3, §5). */
  @EventPattern(CustomerCustomHeadersChangedV1.routingKey, { exclusive: true })
  onCustomHeadersChanged(@Payload() msg: CustomerCustomHeadersChangedV1): void {
    const dropped = this.lookup.invalidateCustomer(msg.customerId);
    this.logger.debug(
      `custom headers of customer ${msg.customerId} changed: ${dropped} cached lookups dropped`,
    );
  }

  private invalidate(
    ref: { customerId: number; spaceId: number; assetId: string },
    evictPyramid: boolean,
  ): void {
    this.lookup.invalidateAsset(ref.customerId, ref.spaceId, ref.assetId);
    // Any change to any asset of the customer may add, drop or reorder members of its named-query projections.
    this.presentations.invalidateCustomer(ref.customerId);
    if (evictPyramid) this.pyramids.evict(this.buckets.derivatives, pyramidKey(ref));
    this.logger.debug(`caches invalidated for ${ref.customerId}/${ref.spaceId}/${ref.assetId}`);
  }
}
