import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AssetDeletedV1 } from '@vellum/contracts';
import type { VellumRmqContext } from '@vellum/messaging';
import { AssetObjectsService } from './asset-objects.service';
import { IngestMetrics } from './ingest-metrics';

/**
 * Consumes `asset.deleted.v1` (SPEC.md §3.3 DELETE, §8 "Clean-up"), written by the api-gateway in the transaction
 * that deleted the asset row: removes every object of the asset from the object store ({@link AssetObjectsService}:
 * the objects the event names plus the asset's key prefix in the origins, derivatives and thumbnails buckets).
 * A store failure is thrown, so the transport retries the message; purging twice is harmless. `deleteFrom` names
 * places outside the store (CDN, delivery caches): iiif-delivery evicts its own caches from the same event.
 */
@Controller()
export class AssetDeletedHandler {
  constructor(
    private readonly objects: AssetObjectsService,
    private readonly metrics: IngestMetrics,
  ) {}

  @EventPattern(AssetDeletedV1.routingKey, { prefetch: 16 })
  async onDeleted(@Payload() msg: AssetDeletedV1, @Ctx() _ctx: VellumRmqContext): Promise<void> {
    const result = await this.objects.purge(
      { customerId: msg.customerId, spaceId: msg.spaceId, assetId: msg.assetId },
      msg.objects ?? [],
    );
    if (result.purged) this.metrics.outcome('deleted');
  }
}
