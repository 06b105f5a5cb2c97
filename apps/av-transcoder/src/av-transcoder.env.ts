import { availableParallelism } from 'node:os';
import { IsOptional, IsString, Matches } from 'class-validator';
import { EnvInt, IsPort, IsUrlLike, ObjectStoreEnv } from '@vellum/common';

/** An absolute path or a command name looked up on PATH (a relative path would depend on the working directory). */
const COMMAND = /^(\/[^\0\n]*|[^/\s\0]+)$/;

/**
 * av-transcoder configuration, validated at boot (SPEC.md §9); see `.env.example`. The object-store variables
 * (`S3_*`, `VELLUM_STORAGE_ROOT`) come from {@link ObjectStoreEnv}, the common ones from `BaseEnv`.
 */
export class AvTranscoderEnv extends ObjectStoreEnv {
  /** HTTP port for /health and /metrics; default 3005. */
  @IsPort() PORT: number = 3005;
  /** RabbitMQ URL. */
  @IsUrlLike(['amqp', 'amqps']) AMQP_URL!: string;
  /** Topic exchange; default `vellum`. */
  @IsOptional() @IsString() AMQP_EXCHANGE?: string;
  /**
   * Assets transcoded at once (the consumer prefetch; each runs its presets one after the other); default one per
   * core (`os.availableParallelism()`): ffmpeg's x264/VP9 encoders use every core of a job anyway.
   */
  @EnvInt(1, 64) AV_TRANSCODER_CONCURRENCY: number = availableParallelism();
  /**
   * An ffmpeg run that reports no progress for this many ms is killed and the attempt fails as retryable (SPEC.md
   * §4.4 "a transcode that hangs is killed at a timeout"); default 60000.
   */
  @EnvInt(1000, 3_600_000) AV_STALL_TIMEOUT_MS: number = 60_000;
  /**
   * A job publishes `av.transcode.progress.v1` at most once per this many ms (the first report at once; SPEC.md §4.4
   * "long transcodes report progress", shown on the asset's metadata); 0 = every ffmpeg progress block; default 5000.
   */
  @EnvInt(0, 3_600_000) AV_PROGRESS_INTERVAL_MS: number = 5_000;
  /** `ffmpeg` (Debian `ffmpeg`): an absolute path or a command name on PATH; default `ffmpeg`. */
  @IsString()
  @Matches(COMMAND, {
    message: '$property must be an absolute path or a command name on PATH (e.g. /usr/bin/ffmpeg)',
  })
  FFMPEG: string = 'ffmpeg';
  /** `ffprobe` (Debian `ffmpeg`): an absolute path or a command name on PATH; default `ffprobe`. */
  @IsString()
  @Matches(COMMAND, {
    message: '$property must be an absolute path or a command name on PATH (e.g. /usr/bin/ffprobe)',
  })
  FFPROBE: string = 'ffprobe';
  /**
   * Where each transcode makes its temporary directory `vellum-av-*` (the downloaded source, outputs before upload;
   * removed on success, failure and shutdown); default the OS temp dir.
   */
  @IsOptional() @IsString() VELLUM_TMP_DIR?: string;
}
