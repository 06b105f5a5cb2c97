import { IsInt, IsNotEmpty, IsString, Min } from 'class-validator';
import { registerMessage } from '../registry';

/** Event: the last member of a batch landed (SPEC.md §4.1 step 4). */
export class BatchCompletedV1 {
  static readonly routingKey = 'batch.completed.v1';
  static readonly description = 'The last member of a batch landed; carries the final counters.';
  static readonly producers = ['ingest-orchestrator'];
  static readonly consumers = ['(subscribers)'];
  @IsInt() @Min(1) customerId!: number;
  @IsInt() @Min(1) batchId!: number;
  @IsInt() @Min(0) count!: number;
  @IsInt() @Min(0) completed!: number;
  @IsInt() @Min(0) errors!: number;
}
registerMessage(BatchCompletedV1);

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
