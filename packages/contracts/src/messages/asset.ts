import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';
import { DERIVATIVE_OBJECT_KINDS, type DerivativeObjectKind } from '../derivatives';
import { registerMessage } from '../registry';
import { AssetAttemptRef, AssetRef, ObjectLocation } from './common';

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

/** Where `deleteFrom` may ask an asset to be removed from besides the platform's own store (SPEC.md §3.3 DELETE). */
export const DELETE_FROM_VALUES = ['cdn', 'internalCache'] as const;
export type DeleteFrom = (typeof DELETE_FROM_VALUES)[number];

/** One object of a deleted asset, as its `derivatives` JSON named it (see `derivativeObjects`). */
export class DeletedAssetObject extends ObjectLocation {
  @IsIn(DERIVATIVE_OBJECT_KINDS) kind!: DerivativeObjectKind;
}

/**
 * Event: an asset was deleted (SPEC.md §3.3 DELETE, §8 clean-up), written through the outbox in the transaction
 * that deleted the row (single `DELETE` and `POST C/deleteImages` alike). `deleteFrom` passes on
 * `?deleteFrom=cdn,internalCache` for subscribers (the platform's own clean-up happens whatever it says);
 * `objects` lists what the asset's `derivatives` JSON named, so consumers need no lookup of a row that is gone.
 * Every other object of the asset lives under its deterministic key prefix (`assetKeyPrefix`) in the origins,
 * derivatives and thumbnails buckets.
 */
export class AssetDeletedV1 extends AssetRef {
  static readonly routingKey = 'asset.deleted.v1';
  static readonly description =
    'An asset was deleted; its objects (listed, plus its key prefix in every bucket) and every cache entry must go (deleteFrom names extra places).';
  static readonly producers = ['api-gateway'];
  static readonly consumers = [
    'ingest-orchestrator (object clean-up)',
    'iiif-delivery (memory and disk cache eviction)',
  ];
  @IsArray() @IsIn(DELETE_FROM_VALUES, { each: true }) deleteFrom!: string[];
  /** The objects named by the asset's `derivatives` (pyramid, thumbnails, original, transcodes); absent = none. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DeletedAssetObject)
  objects?: DeletedAssetObject[];
}
registerMessage(AssetDeletedV1);
