import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Min, IsNotEmpty } from 'class-validator';
import { registerMessage } from '../registry';
import { AssetAttemptRef, AssetRef } from './common';

/**
 * Command: ingest (or reingest) one asset. Gateway → orchestrator, written to the outbox in the same
 * transaction as the asset row (SPEC.md §4.1 step 1). Published with AMQP priority 5 for immediate
 * registrations and the priority queue, 0 for normal batches (the priority lane, SPEC.md §2).
 */
export class AssetIngestRequestedV1 extends AssetAttemptRef {
  static readonly routingKey = 'asset.ingest.requested.v1';
  static readonly description =
    'Ingest (or reingest) one asset: plan per delivery channel, stage the origin, dispatch work.';
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['ingest-orchestrator'];
  /** The batch the asset was submitted in, when queued. */
  @IsOptional() @IsInt() @Min(1) batchId?: number;
  /** True for immediate registrations and the priority queue. */
  @IsBoolean() priority!: boolean;
}
registerMessage(AssetIngestRequestedV1);

/** Event: an ingest attempt ended, successfully or not (SPEC.md §2 "Events others can subscribe to"). */
export class AssetIngestFinishedV1 extends AssetAttemptRef {
  static readonly routingKey = 'asset.ingest.finished.v1';
  static readonly description =
    'An ingest attempt ended: success, or the error the asset now carries ("cancelled" when its batch was cancelled before it started).';
  static readonly producers = ['ingest-orchestrator', 'api-gateway (batch cancellation)'];
  static readonly consumers = [
    'api-gateway (immediate registration replies)',
    'iiif-delivery (cache invalidation)',
  ];
  @IsBoolean() success!: boolean;
  /** Human-readable error when `success` is false. */
  @IsOptional() @IsString() error?: string;
  @IsOptional() @IsInt() @Min(1) batchId?: number;
  /** Pixels, for images. */
  @IsOptional() @IsInt() @Min(0) width?: number;
  @IsOptional() @IsInt() @Min(0) height?: number;
  /** Milliseconds, for audio/video. */
  @IsOptional() @IsInt() @Min(0) duration?: number;
}
registerMessage(AssetIngestFinishedV1);

/** Event: an asset was created through the API (before ingest). */
export class AssetCreatedV1 extends AssetRef {
  static readonly routingKey = 'asset.created.v1';
  static readonly description = 'An asset was created through the API (ingest follows).';
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['(subscribers)'];
  @IsString() @IsNotEmpty() mediaType!: string;
}
registerMessage(AssetCreatedV1);

/** Event: an asset's fields changed (replace, PATCH, reingest); carries before/after snapshots. */
export class AssetUpdatedV1 extends AssetRef {
  static readonly routingKey = 'asset.updated.v1';
  static readonly description = 'An asset changed; carries the API representation before and after.';
  static readonly producers = ['api-gateway', 'ingest-orchestrator'];
  static readonly consumers = ['iiif-delivery (cache invalidation)', '(subscribers)'];
  @IsOptional() before?: Record<string, unknown>;
  @IsOptional() after?: Record<string, unknown>;
}
registerMessage(AssetUpdatedV1);

/** Event: an asset was deleted; `deleteFrom` passes on `?deleteFrom=cdn,internalCache`. */
export class AssetDeletedV1 extends AssetRef {
  static readonly routingKey = 'asset.deleted.v1';
  static readonly description =
    'An asset was deleted; derivatives and caches must go (deleteFrom names extra places).';
  static readonly producers = ['api-gateway'];
  static readonly consumers = [
    'ingest-orchestrator (derivative clean-up)',
    'iiif-delivery (cache invalidation)',
  ];
  @IsArray() @IsIn(['cdn', 'internalCache'], { each: true }) deleteFrom!: string[];
}
registerMessage(AssetDeletedV1);
