import { IsInt, IsNotEmpty, IsOptional, IsString, Min } from 'class-validator';
import { registerMessage } from '../registry';

/**
 * Event: the last member of a batch landed (SPEC.md §4.1 step 4), or a cancel took the last members still waiting
 * (`POST C/queue/batches/{b}/cancel`). Written exactly once per batch, by whichever transaction set `finished`.
 */
export class BatchCompletedV1 {
  static readonly routingKey = 'batch.completed.v1';
  static readonly description =
    'The last member of a batch landed (or was cancelled); carries the final counters, completed + errors + cancelled = count.';
  static readonly producers = ['ingest-orchestrator', 'api-gateway (batch cancellation, batch test)'];
  static readonly consumers = ['(subscribers)'];
  @IsInt() @Min(1) customerId!: number;
  @IsInt() @Min(1) batchId!: number;
  @IsInt() @Min(0) count!: number;
  @IsInt() @Min(0) completed!: number;
  @IsInt() @Min(0) errors!: number;
  /** Members cancelled before they started; present only when some were (older subscribers never see it otherwise). */
  @IsOptional() @IsInt() @Min(1) cancelled?: number;
}
registerMessage(BatchCompletedV1);

/**
 * The `batch.completed.v1` payload of a finished batch, as both of its producers write it (`cancelled` only when
 * some members were cancelled).
 * @param batch the batch's id, customer and final counters.
 */
export function batchCompletedEvent(batch: {
  id: number;
  customerId: number;
  count: number;
  completed: number;
  errors: number;
  cancelled: number;
}): BatchCompletedV1 {
  return Object.assign(new BatchCompletedV1(), {
    customerId: batch.customerId,
    batchId: batch.id,
    count: batch.count,
    completed: batch.completed,
    errors: batch.errors,
    ...(batch.cancelled > 0 ? { cancelled: batch.cancelled } : {}),
  });
}

/** Event: a customer was created. */
export class CustomerCreatedV1 {
  static readonly routingKey = 'customer.created.v1';
  static readonly description = 'A customer was created.';
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['(subscribers)'];
  @IsInt() @Min(1) customerId!: number;
  @IsString() @IsNotEmpty() name!: string;
}
registerMessage(CustomerCreatedV1);
