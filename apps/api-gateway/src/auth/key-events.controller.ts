import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { CustomerApiKeyDeletedV1 } from '@vellum/contracts';
import { ApiKeyService } from './api-key.service';
import { CustomerDirectory } from './customer-directory.service';

/**
 * Hears `customer.apikey.deleted.v1` on a per-instance exclusive queue (every gateway replica hears every
 * deletion, whichever replica made it) and forgets the keys, and a deleted customer, at once (SPEC.md §3.3
 * "Keys": a deleted key stops working on every replica at once).
 */
@Controller()
export class KeyEventsController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly directory: CustomerDirectory,
  ) {}

  @EventPattern(CustomerApiKeyDeletedV1.routingKey, { exclusive: true, prefetch: 50 })
  onKeysDeleted(@Payload() event: CustomerApiKeyDeletedV1): void {
    this.keys.evictMany(event.keys);
    if (event.customerDeleted) this.directory.forget({ id: event.customerId });
  }
}
