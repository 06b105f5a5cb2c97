import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { registerMessage } from '../registry';
import { AvTranscodeCompletedV1 } from './av';
import { AssetAttemptRef, ObjectLocation, StoredThumbnail } from './common';

/** Where and how to write the tile source (iiif-img channel). */
export class PyramidSpec {
  @ValidateNested() @Type(() => ObjectLocation) location!: ObjectLocation;
  /** Tile edge in pixels (the `tiles.width` info.json advertises; 512 by default). */
  @IsInt() @Min(64) tileSize!: number;
  /**
   * Policy `iiif-img/use-original` (SPEC.md §4.3): keep the staged origin as the tile source when it is already
   * tile-ready (a pyramidal tiled TIFF whose levels halve and whose JPEG tiles can be served as stored, or a JPEG
   * within one tile) and write nothing at `location`; otherwise write the pyramid there as for `default`. The reply
   * says which happened ({@link ImageDerivativesCreatedV1.useOriginal} or `pyramid`).
   */
  @IsOptional() @IsBoolean() useOriginal?: boolean;
}

/** The staged origin is the tile source as is (`iiif-img/use-original` and the origin was tile-ready). */
export class OriginalTileSource {
  /** The origin's own tile edge in pixels: what info.json advertises for this asset (`tiles.width`). */
  @IsInt() @Min(1) tileSize!: number;
}

/** Which thumbnails to make (thumbs channel) and where. */
export class ThumbnailSpec {
  /** IIIF size strings, e.g. `!1024,1024`, `!400,400`, `200,` (SPEC.md §4.3). */
  @IsArray()
  @IsString({ each: true })
  @Matches(/^(\^?!?\d*,\d*|max|\^max|full|pct:\d+(\.\d+)?)$/, { each: true })
  sizes!: string[];
  @IsString() @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/) bucket!: string;
  /** Thumbnails are written at `{keyPrefix}/full/{w},{h}/0/default.jpg`, plus `{keyPrefix}/sizes.json`. */
  @IsString() @IsNotEmpty() keyPrefix!: string;
  /** Longest edge (px) a thumbnail may have at all (`maxWidth`); absent = no limit. */
  @IsOptional() @IsInt() @Min(1) maxWidth?: number;
  /** Longest edge (px) up to which thumbnails are open; larger ones are the auth set. Absent = all open. */
  @IsOptional() @IsInt() @Min(0) openMax?: number;
}

/**
 * Command: make the image derivatives of one asset from its staged master (SPEC.md §4.1 step 3, §4.3).
 * Orchestrator → image-processor.
 */
export class ImageDerivativesCreateV1 extends AssetAttemptRef {
  static readonly routingKey = 'image.derivatives.create.v1';
  static readonly description =
    'Make the pyramidal TIFF and/or thumbnails of one image from its staged master.';
  static readonly producers = ['ingest-orchestrator'];
  static readonly consumers = ['image-processor'];
  @IsString() @IsNotEmpty() mediaType!: string;
  @ValidateNested() @Type(() => ObjectLocation) source!: ObjectLocation;
  @IsOptional() @ValidateNested() @Type(() => PyramidSpec) pyramid?: PyramidSpec;
  @IsOptional() @ValidateNested() @Type(() => ThumbnailSpec) thumbnails?: ThumbnailSpec;
  /**
   * A video's poster frame (SPEC.md §4.4): `source` is the poster JPEG the av-transcoder wrote, and this is the
   * transcoder's reply, carried through the image-processor unchanged (echoed in the created reply) so the
   * orchestrator finalises the asset with the transcodes and the poster's pyramid/thumbnails together, keeping no
   * state of its own between the two replies.
   */
  @IsOptional() @ValidateNested() @Type(() => AvTranscodeCompletedV1) avResult?: AvTranscodeCompletedV1;
}
registerMessage(ImageDerivativesCreateV1);

/** Reply: the derivatives were written. Image-processor → orchestrator. */
export class ImageDerivativesCreatedV1 extends AssetAttemptRef {
  static readonly routingKey = 'image.derivatives.created.v1';
  static readonly description = 'The image derivatives were written: dimensions, keys and byte sizes.';
  static readonly producers = ['image-processor'];
  static readonly consumers = ['ingest-orchestrator'];
  /** Pixels, after EXIF orientation. */
  @IsInt() @Min(1) width!: number;
  @IsInt() @Min(1) height!: number;
  /** The pyramidal TIFF written (policy `default`, or `use-original` with an origin that was not tile-ready). */
  @IsOptional() @ValidateNested() @Type(() => ObjectLocation) pyramid?: ObjectLocation;
  /** Present when the staged origin is kept as the tile source (`use-original`, tile-ready): no pyramid was written. */
  @IsOptional() @ValidateNested() @Type(() => OriginalTileSource) useOriginal?: OriginalTileSource;
  /** Thumbnails anyone may see, largest first. */
  @IsArray() @ValidateNested({ each: true }) @Type(() => StoredThumbnail) openThumbnails!: StoredThumbnail[];
  /** Thumbnails that need a role, largest first. */
  @IsArray() @ValidateNested({ each: true }) @Type(() => StoredThumbnail) authThumbnails!: StoredThumbnail[];
  /** Milliseconds spent processing, for metrics. */
  @IsInt() @Min(0) elapsedMs!: number;
  /**
   * The master the derivatives were made from: the command's `source`, echoed (absent from older workers). The
   * orchestrator finalises from it, so an optimised origin read in place is named as it was read.
   */
  @IsOptional() @ValidateNested() @Type(() => ObjectLocation) source?: ObjectLocation;
  /** The command's `avResult`, echoed: the derivatives were made from a video's poster. */
  @IsOptional() @ValidateNested() @Type(() => AvTranscodeCompletedV1) avResult?: AvTranscodeCompletedV1;
}
registerMessage(ImageDerivativesCreatedV1);

/** Reply: the derivatives could not be made. `retryable` false means the input itself is bad. */
export class ImageDerivativesFailedV1 extends AssetAttemptRef {
  static readonly routingKey = 'image.derivatives.failed.v1';
  static readonly description =
    'The image derivatives could not be made (corrupt or unsupported input, or retries exhausted).';
  static readonly producers = ['image-processor'];
  static readonly consumers = ['ingest-orchestrator'];
  @IsString() @IsNotEmpty() error!: string;
  @IsBoolean() retryable!: boolean;
}
registerMessage(ImageDerivativesFailedV1);
