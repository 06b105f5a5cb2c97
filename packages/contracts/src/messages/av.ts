import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
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
  /** The output's codecs as ffprobe names them, video first: `h264+aac`, `vp9+opus`, `mp3`. */
  @IsOptional() @IsString() codec?: string;
}

/** The poster frame of a video (SPEC.md §4.4): a JPEG at 10 % of the duration, next to the transcodes. */
export class PosterOutput {
  @ValidateNested() @Type(() => ObjectLocation) location!: ObjectLocation;
  /** Always `image/jpeg`. */
  @IsString() @IsNotEmpty() mediaType!: string;
  /** Pixels. */
  @IsInt() @Min(1) width!: number;
  @IsInt() @Min(1) height!: number;
}

/** One stream of the source, as ffprobe reported it. */
export class ProbedStream {
  @IsIn(['audio', 'video', 'subtitle', 'data', 'attachment', 'unknown']) type!: string;
  /** ffprobe's `codec_name`, e.g. `h264`, `vp9`, `mp3`, `aac`, `opus`. */
  @IsString() codec!: string;
  /** Pixels (video). */
  @IsOptional() @IsInt() @Min(0) width?: number;
  @IsOptional() @IsInt() @Min(0) height?: number;
  /** Frames per second (video). */
  @IsOptional() @IsNumber() @Min(0) frameRate?: number;
  /** Hz (audio). */
  @IsOptional() @IsInt() @Min(0) sampleRate?: number;
  @IsOptional() @IsInt() @Min(0) channels?: number;
  /** bit/s, when the container says. */
  @IsOptional() @IsInt() @Min(0) bitRate?: number;
}

/** The ffprobe summary of the source (SPEC.md §4.4; shown by `GET .../metadata`). */
export class ProbeSummary {
  /** ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mp3`. */
  @IsString() formatName!: string;
  /** Milliseconds. */
  @IsInt() @Min(0) duration!: number;
  /** bit/s, when known. */
  @IsOptional() @IsInt() @Min(0) bitRate?: number;
  /** Bytes. */
  @IsOptional() @IsInt() @Min(0) size?: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ProbedStream) streams!: ProbedStream[];
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
  /** The poster frame of a video source; absent for audio. */
  @IsOptional() @ValidateNested() @Type(() => PosterOutput) poster?: PosterOutput;
  /** What ffprobe found in the source. */
  @IsOptional() @ValidateNested() @Type(() => ProbeSummary) probe?: ProbeSummary;
}
registerMessage(AvTranscodeCompletedV1);

/**
 * Event: how far a running transcode is (SPEC.md §4.4 "long transcodes report progress"), from ffmpeg
 * `-progress`, at most one per `AV_PROGRESS_INTERVAL_MS` (5 s) per job. The orchestrator stores it on the asset
 * while the attempt is ingesting; the gateway shows it in `GET .../metadata`.
 */
export class AvTranscodeProgressV1 extends AssetAttemptRef {
  static readonly routingKey = 'av.transcode.progress.v1';
  static readonly description =
    'How far a running transcode is: the preset running, its place and fraction done.';
  static readonly producers = ['av-transcoder'];
  static readonly consumers = ['ingest-orchestrator'];
  /** The preset running now. */
  @IsString() @IsNotEmpty() preset!: string;
  /** 1-based place of `preset` among the job's `presetCount` presets. */
  @IsInt() @Min(1) presetIndex!: number;
  @IsInt() @Min(1) presetCount!: number;
  /** 0..1 of `preset` done (ffmpeg's output time over the source's duration). */
  @IsNumber() @Min(0) @Max(1) fraction!: number;
  /** ffmpeg's speed, × real time, when it reports one. */
  @IsOptional() @IsNumber() @Min(0) speed?: number;
  /** When the transcoder read it: ISO 8601. */
  @IsString() @IsNotEmpty() at!: string;
}
registerMessage(AvTranscodeProgressV1);

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

/** One preset as the transcoder announces it (the fields of `AV_PRESETS` delivery and policies need). */
export class AnnouncedAvPreset {
  @IsString() @IsNotEmpty() name!: string;
  @IsIn(['audio', 'video']) kind!: string;
  @IsString() @IsNotEmpty() mediaType!: string;
  @IsString() @IsNotEmpty() extension!: string;
  /** Largest output height, pixels (video presets). */
  @IsOptional() @IsInt() @Min(1) maxHeight?: number;
}

/**
 * Event: the av-transcoder's preset list, published once at every start (SPEC.md §4.4 "The transcoder's preset
 * list is published"). The management API serves the same list (`AV_PRESETS`, shared code) at `GET /avPresets`;
 * this event lets operators and other subscribers see what a running transcoder offers.
 */
export class AvPresetsPublishedV1 {
  static readonly routingKey = 'av.presets.published.v1';
  static readonly description =
    'The presets a starting av-transcoder offers (name, kind, media type, extension).';
  static readonly producers = ['av-transcoder'];
  static readonly consumers: string[] = [];
  /** The transcoder instance (`SERVICE_INSTANCE`). */
  @IsString() @IsNotEmpty() instance!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => AnnouncedAvPreset) presets!: AnnouncedAvPreset[];
}
registerMessage(AvPresetsPublishedV1);
