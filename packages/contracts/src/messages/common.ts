import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';

/** Identifies one asset: `(customer, space, id)` (SPEC.md §1 "Asset"). */
export class AssetRef {
  @IsInt() @Min(1) customerId!: number;
  @IsInt() @Min(0) spaceId!: number;
  @IsString() @IsNotEmpty() assetId!: string;
}

/** Identifies one ingest attempt of an asset; results of an older attempt are ignored (idempotency key). */
export class AssetAttemptRef extends AssetRef {
  /** 1-based ingest attempt number, incremented by every (re)ingest request. */
  @IsInt() @Min(1) attempt!: number;
}

/** What a bucket name must look like in a message (S3 bucket naming: 3–63 lower-case letters, digits, `.`, `-`). */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An object in the object store. */
export class ObjectLocation {
  @IsString() @Matches(BUCKET_NAME) bucket!: string;
  @IsString() @IsNotEmpty() key!: string;
  /** Size in bytes, when known. */
  @IsOptional() @IsInt() @Min(0) size?: number;
}

/** A pixel size `[width, height]`. */
export type PixelSize = [number, number];

/** A thumbnail written by the image-processor: its pixel size and where it is (SPEC.md §4.3). */
export class StoredThumbnail {
  @IsInt() @Min(1) width!: number;
  @IsInt() @Min(1) height!: number;
  @ValidateNested() @Type(() => ObjectLocation) location!: ObjectLocation;
}
