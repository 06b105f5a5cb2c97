import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';
import { registerMessage } from '../registry';
import { AssetAttemptRef, ObjectLocation } from './common';

/** One transcode written by the av-transcoder: its preset, where it is, and its media facts (SPEC.md §4.4). */
export class TranscodeOutput {
  /** Preset name, e.g. `video-mp4-720p` (SPEC.md §4.4). */
  @IsString() @IsNotEmpty() preset!: string;
  @ValidateNested() @Type(() => ObjectLocation) location!: ObjectLocation;
  @IsString() @IsNotEmpty() mediaType!: string;
  @IsOptional() @IsInt() @Min(0) width?: number;
  @IsOptional() @IsInt() @Min(0) height?: number;
  /** Milliseconds. */
  @IsOptional() @IsInt() @Min(0) duration?: number;
}

/** Command: transcode one audio/video asset per preset. Orchestrator → av-transcoder. */
export class AvTranscodeCreateV1 extends AssetAttemptRef {
  static readonly routingKey = 'av.transcode.create.v1';
  static readonly description = 'Transcode one audio/video asset with each preset of its iiif-av policy.';
  static readonly producers = ['ingest-orchestrator'];
  static readonly consumers = ['av-transcoder'];
  @IsString() @IsNotEmpty() mediaType!: string;
  @ValidateNested() @Type(() => ObjectLocation) source!: ObjectLocation;
  @IsArray() @IsString({ each: true }) presets!: string[];
  @IsString() @IsNotEmpty() bucket!: string;
  @IsString() @IsNotEmpty() keyPrefix!: string;
}
registerMessage(AvTranscodeCreateV1);

/** Reply: the transcodes were written. */
export class AvTranscodeCompletedV1 extends AssetAttemptRef {
  static readonly routingKey = 'av.transcode.completed.v1';
  static readonly description = 'The transcodes were written: duration, dimensions, outputs.';
  static readonly producers = ['av-transcoder'];
  static readonly consumers = ['ingest-orchestrator'];
  /** Milliseconds. */
  @IsInt() @Min(0) duration!: number;
  @IsOptional() @IsInt() @Min(0) width?: number;
  @IsOptional() @IsInt() @Min(0) height?: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TranscodeOutput) outputs!: TranscodeOutput[];
  /**
   * The master the transcodes were made from: the command's `source`, echoed (absent from older workers). The
   * orchestrator finalises from it, so an optimised origin read in place is named as it was read.
   */
  @IsOptional() @ValidateNested() @Type(() => ObjectLocation) source?: ObjectLocation;
}
registerMessage(AvTranscodeCompletedV1);

/** Reply: the transcode failed. */
export class AvTranscodeFailedV1 extends AssetAttemptRef {
  static readonly routingKey = 'av.transcode.failed.v1';
  static readonly description = 'The transcode failed (bad input, unknown preset, timeout after retries).';
  static readonly producers = ['av-transcoder'];
  static readonly consumers = ['ingest-orchestrator'];
  @IsString() @IsNotEmpty() error!: string;
  @IsBoolean() retryable!: boolean;
}
registerMessage(AvTranscodeFailedV1);
