import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import {
  avPreset,
  type AvPreset,
  type PosterOutput,
  type ProbeSummary,
  type TranscodeOutput,
} from '@vellum/contracts';
import type { ObjectStore } from '@vellum/storage';
import { type FfmpegConfig, type FfmpegProgress, probe, type ProbeResult, runFfmpeg } from './ffmpeg';
import { MediaError } from './media-error';
import { posterArgs, presetArgs } from './preset-args';

/** Settings of {@link AvTranscodeService}. */
export interface AvTranscodeConfig extends FfmpegConfig {
  /** Directory each job makes its `vellum-av-*` temporary directory in. */
  tmpRoot: string;
}

/** One transcode job: the fields of `av.transcode.create.v1` the service needs. */
export interface AvJob {
  mediaType: string;
  source: { bucket: string; key: string };
  presets: string[];
  /** Derivatives bucket and the asset's key prefix (`<customer>/<space>/<id>`). */
  bucket: string;
  keyPrefix: string;
}

/** What a finished job produced: the facts of `av.transcode.completed.v1`. */
export interface AvJobResult {
  /** ms, of the source (ffprobe). */
  duration: number;
  width?: number;
  height?: number;
  outputs: TranscodeOutput[];
  poster?: PosterOutput;
  probe: ProbeSummary;
}

/** Progress of the current job: which preset (1-based of `total`) and how far into it, 0..1. */
export interface JobProgress {
  preset: string;
  index: number;
  total: number;
  fraction: number;
  speed?: number;
}

/** Deterministic key of a preset's output: `<keyPrefix>/av/<preset>.<extension>` (a retry overwrites it). */
export const transcodeKey = (keyPrefix: string, preset: AvPreset): string =>
  `${keyPrefix}/av/${preset.name}.${preset.extension}`;
/** Deterministic key of a video's poster: `<keyPrefix>/av/poster.jpg`. */
export const posterKey = (keyPrefix: string): string => `${keyPrefix}/av/poster.jpg`;

const codecOf = (p: ProbeResult): string =>
  ['video', 'audio']
    .map((t) => p.streams.find((s) => s.type === t)?.codec)
    .filter(Boolean)
    .join('+');

/**
 * The transcoder (SPEC.md §4.4, issue 9): downloads the source to a temporary directory, probes it, runs each
 * preset through the ffmpeg seam (`ffmpeg.ts`), probes each output for its real facts, makes the poster of a video
 * (a JPEG frame at 10 % of the duration), uploads everything under deterministic keys in the derivatives bucket and
 * removes the directory, on success and failure alike. {@link shutdown} kills running ffmpeg children and removes
 * their directories.
 */
export class AvTranscodeService {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly store: ObjectStore,
    private readonly cfg: AvTranscodeConfig,
  ) {}

  /**
   * Runs one job.
   * @throws MediaError `retryable: false`: unknown preset, unreadable input, a video preset on a file without a
   *   video stream, an audio preset on one without audio, ffmpeg failing on the input; `retryable: true`: stalled
   *   or stopped ffmpeg; store errors are thrown as they are (the handler treats them as retryable).
   */
  async transcode(job: AvJob, onProgress?: (p: JobProgress) => void): Promise<AvJobResult> {
    const presets = job.presets.map((name) => {
      const p = avPreset(name);
      if (!p) throw new MediaError(`Unknown AV preset "${name.slice(0, 100)}"`, false);
      return p;
    });
    if (presets.length === 0) throw new MediaError('The iiif-av policy names no preset', false);
    const dir = await mkdtemp(path.join(this.cfg.tmpRoot, 'vellum-av-'));
    const abort = new AbortController();
    this.running.set(dir, abort);
    try {
      const input = path.join(dir, 'source');
      await this.store.download(job.source.bucket, job.source.key, input);
      if (abort.signal.aborted) throw new MediaError('The transcode was stopped (shutdown)', true);
      const src = await probe(this.cfg, input, abort.signal);
      const video = src.streams.find((s) => s.type === 'video');
      const hasAudio = src.streams.some((s) => s.type === 'audio');
      for (const p of presets) {
        if (p.kind === 'video' && !video)
          throw new MediaError(
            `Preset ${p.name} needs a video stream, and the file has none (audio only)`,
            false,
          );
        if (p.kind === 'audio' && !hasAudio)
          throw new MediaError(`Preset ${p.name} needs an audio stream, and the file has none`, false);
      }
      await this.store.ensureBucket(job.bucket);
      const outputs: TranscodeOutput[] = [];
      for (const [i, p] of presets.entries()) {
        const out = path.join(dir, `${p.name}.${p.extension}`);
        await runFfmpeg(this.cfg, presetArgs(p, input, out), {
          signal: abort.signal,
          onProgress: (pr: FfmpegProgress) =>
            onProgress?.({
              preset: p.name,
              index: i + 1,
              total: presets.length,
              fraction: Math.min(1, pr.outTimeMs / src.duration),
              ...(pr.speed !== undefined ? { speed: pr.speed } : {}),
            }),
        });
        const facts = await probe(this.cfg, out, abort.signal);
        const key = transcodeKey(job.keyPrefix, p);
        const { size } = await this.store.putFile(job.bucket, key, out, { contentType: p.mediaType });
        const v = facts.streams.find((s) => s.type === 'video');
        outputs.push({
          preset: p.name,
          location: { bucket: job.bucket, key, size },
          mediaType: p.mediaType,
          ...(v?.width && v.height ? { width: v.width, height: v.height } : {}),
          duration: facts.duration,
          codec: codecOf(facts),
        });
        await rm(out, { force: true });
      }
      let poster: PosterOutput | undefined;
      if (video) {
        const out = path.join(dir, 'poster.jpg');
        await runFfmpeg(this.cfg, posterArgs(input, Math.floor(src.duration * 0.1), out), {
          signal: abort.signal,
        });
        const key = posterKey(job.keyPrefix);
        const { size } = await this.store.putFile(job.bucket, key, out, { contentType: 'image/jpeg' });
        // A full-size frame: the source's pixel size.
        poster = {
          location: { bucket: job.bucket, key, size },
          mediaType: 'image/jpeg',
          width: video.width || 1,
          height: video.height || 1,
        };
      }
      return {
        duration: src.duration,
        ...(video?.width && video.height ? { width: video.width, height: video.height } : {}),
        outputs,
        ...(poster ? { poster } : {}),
        probe: src,
      };
    } catch (err) {
      // Whatever a shutdown interrupted (a download whose directory it removed, a killed child) is worth retrying.
      if (abort.signal.aborted && !(err instanceof MediaError && err.retryable))
        throw new MediaError('The transcode was stopped (shutdown)', true);
      throw err;
    } finally {
      this.running.delete(dir);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /** Kills running ffmpeg children (their jobs fail as retryable) and removes their temporary directories. */
  async shutdown(): Promise<void> {
    const dirs = [...this.running.entries()];
    for (const [, a] of dirs) a.abort();
    await Promise.all(dirs.map(([d]) => rm(d, { recursive: true, force: true })));
  }
}
