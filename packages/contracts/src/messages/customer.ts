import { IsArray, IsBoolean, IsInt, IsNotEmpty, IsString, Min, ValidateBy } from 'class-validator';
import { registerMessage } from '../registry';

/**
 * Event: API keys were deleted (SPEC.md §3.2, §3.3 "Keys"): one key by `DELETE C/keys/{key}`, or every key of a
 * customer by `DELETE C`. Every api-gateway replica hears it on its own per-instance queue and forgets the keys
 * at once (its verified-key cache would otherwise keep them for `VELLUM_AUTH_CACHE_TTL_MS`), and, when
 * `customerDeleted`, forgets the customer in its route cache too.
 */
export class CustomerApiKeyDeletedV1 {
  static readonly routingKey = 'customer.apikey.deleted.v1';
  static readonly description =
    'API keys were deleted (one key, or all keys of a deleted customer): every gateway replica stops accepting them at once.';
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['api-gateway (every replica)'];
  @IsInt() @Min(1) customerId!: number;
  /** The deleted keys (never secrets); empty only when a customer without keys was deleted. */
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @ValidateBy({
    name: 'keysGiven',
    validator: {
      validate: (v: unknown, args) =>
        Array.isArray(v) &&
        (v.length > 0 || (args?.object as { customerDeleted?: unknown }).customerDeleted === true),
      defaultMessage: () => 'keys must name at least one key unless customerDeleted',
    },
  })
  keys!: string[];
  /** True when the keys went because the customer itself was deleted. */
  @IsBoolean() customerDeleted!: boolean;
}
registerMessage(CustomerApiKeyDeletedV1);
