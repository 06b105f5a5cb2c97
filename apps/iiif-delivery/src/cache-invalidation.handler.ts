import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  AssetDeletedV1,
  AssetIngestFinishedV1,
  AssetUpdatedV1,
  CustomerCustomHeadersChangedV1,
} from '@vellum/contracts';
import { pyramidKey, type VellumBuckets } from '@vellum/storage';
import { AssetLookupService } from './asset-lookup.service';
import { PyramidCacheService } from './pyramid-cache.service';
import { BUCKETS } from './tokens';

/**
 * Keeps this replica's caches honest (SPEC.md §5 "Speed", §8 "Clean-up"): every replica hears every
 * `asset.ingest.finished.v1`, `asset.updated.v1` and `asset.deleted.v1` on its own exclusive queue and drops the
 * asset's cached lookup (and info.json); a finished ingest or a delete also evicts the pyramid from the disk cache;
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
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
  ) {}

  @EventPattern(AssetIngestFinishedV1.routingKey, { exclusive: true })
  onIngestFinished(@Payload() msg: AssetIngestFinishedV1): void {
    this.invalidate(msg, true);
  }

  @EventPattern(AssetUpdatedV1.routingKey, { exclusive: true })
  onUpdated(@Payload() msg: AssetUpdatedV1): void {
    this.invalidate(msg, false);
  }

  @EventPattern(AssetDeletedV1.routingKey, { exclusive: true })
  onDeleted(@Payload() msg: AssetDeletedV1): void {
    this.invalidate(msg, true);
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
    if (evictPyramid) this.pyramids.evict(this.buckets.derivatives, pyramidKey(ref));
    this.logger.debug(`caches invalidated for ${ref.customerId}/${ref.spaceId}/${ref.assetId}`);
  }
}
