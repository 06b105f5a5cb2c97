import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AssetIngestFinishedV1 } from '@vellum/contracts';
import { IngestWaiter } from './ingest-waiter.service';

/**
 * Hears `asset.ingest.finished.v1` on a per-instance exclusive queue (every gateway replica sees every event) and
 * wakes the immediate registrations waiting on it (SPEC.md §4.1).
 */
@Controller()
export class IngestEventsController {
  constructor(private readonly waiter: IngestWaiter) {}

  @EventPattern(AssetIngestFinishedV1.routingKey, { exclusive: true, prefetch: 50 })
  onIngestFinished(@Payload() event: AssetIngestFinishedV1): void {
    this.waiter.notify(event);
  }
}
