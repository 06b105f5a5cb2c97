import { IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Min } from 'class-validator';
import { registerMessage } from '../registry';

/**
 * Why a message was dead-lettered (also the `x-vellum-dead-letter-reason` header): `invalid` (failed validation),
 * `permanent` (a permanent error), `exhausted` (retries used up), `timeout` (retries used up, the last attempt past
 * the handler deadline: it hung its consumer), `crashed` (its consumer died handling it, repeatedly).
 */
export const DEAD_LETTER_REASONS = ['invalid', 'permanent', 'exhausted', 'timeout', 'crashed'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/**
 * Event: a consumer gave up on a message and moved it to its service's dead-letter queue (SPEC.md §2 "Bus",
 * §4.1 step 5). Published by the transport of the consuming service, so that whoever owns the state the message
 * was about can close it: the ingest-orchestrator fails the asset attempt of a dead-lettered
 * `asset.ingest.requested.v1`, `image.derivatives.create.v1` or `av.transcode.create.v1`, so no asset stays
 * `ingesting` because a worker crashed on it or ran out of retries; the image-processor fails the projection control
 * record of a dead-lettered `named-query.projection.build.v1`, so no PDF or ZIP stays "in process".
 */
export class BusMessageDeadLetteredV1 {
  static readonly routingKey = 'bus.message.dead-lettered.v1';
  static readonly description =
    'A consumer dead-lettered a message (invalid, permanent failure, retries exhausted, handler deadline passed, or it crashed its consumer repeatedly).';
  static readonly producers = ['every consuming service'];
  static readonly consumers = ['ingest-orchestrator', 'image-processor (projection control records)'];
  /** The service whose consumer gave up, e.g. `image-processor`. */
  @IsString() @IsNotEmpty() service!: string;
  /** The queue it was consumed from. */
  @IsString() @IsNotEmpty() queue!: string;
  /** The dead-lettered message's type (routing key without lane suffix). */
  @IsString() @IsNotEmpty() messageType!: string;
  /** Its envelope id (AMQP `messageId`), when known. */
  @IsOptional() @IsString() messageId?: string;
  @IsIn(DEAD_LETTER_REASONS) reason!: DeadLetterReason;
  /** The last error, for people (≤ 1000 characters). */
  @IsString() error!: string;
  /** Delivery attempts the message had (retries + 1). */
  @IsInt() @Min(1) attempts!: number;
  /** Times the message was being handled when its consumer died (0 unless `reason` is `crashed` or it crashed before). */
  @IsInt() @Min(0) crashes!: number;
  /** The dead-lettered message's payload (`envelope.data`), absent when it was not a valid envelope. */
  @IsOptional() @IsObject() data?: Record<string, unknown>;
}
registerMessage(BusMessageDeadLetteredV1);
