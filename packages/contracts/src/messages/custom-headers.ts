import { IsInt, Min } from 'class-validator';
import { registerMessage } from '../registry';

/**
 * Event: a customer's custom headers changed (one was created, replaced, patched or deleted; SPEC.md §3.3
 * "Custom headers", §5). Every iiif-delivery replica drops its cached lookups of that customer's assets, which
 * carry the resolved headers, so the change shows within seconds everywhere.
 */
export class CustomerCustomHeadersChangedV1 {
  static readonly routingKey = 'customer.custom-headers.changed.v1';
  static readonly description =
    "A customer's custom headers changed; delivery replicas drop the cached asset lookups that carry them.";
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['iiif-delivery (cache invalidation)'];
  @IsInt() @Min(1) customerId!: number;
}
registerMessage(CustomerCustomHeadersChangedV1);
