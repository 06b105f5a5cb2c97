import { spawn } from 'node:child_process';
import { MediaError } from './media-error';

/**
 * THE seam that runs ffprobe and ffmpeg (issue 9: no other file spawns them). Two functions: {@link probe} reads
 * a file's format and streams; {@link runFfmpeg} runs one ffmpeg command with `-progress pipe:1`, reports progress,
 * and kills the child when it stops progressing or the caller aborts.
 */

/** Commands and limits of the seam. */
export interface FfmpegConfig {
  /** `ffmpeg` path or command name. */
  ffmpeg: string;
  /** `ffprobe` path or command name. */
  ffprobe: string;
  /** ms without a progress line after which ffmpeg is killed (a retryable {@link MediaError}). */
  stallTimeoutMs: number;
}

/** One stream as ffprobe reports it (the fields the transcoder uses). */
export interface ProbeStream {
  type: string;
  codec: string;
  width?: number;
  height?: number;
  frameRate?: number;
  sampleRate?: number;
  channels?: number;
  bitRate?: number;
}

/** What {@link probe} found: format, duration (ms), size (bytes), streams. */
export interface ProbeResult {
  formatName: string;
  /** Milliseconds, rounded. */
  duration: number;
  bitRate?: number;
  size?: number;
  streams: ProbeStream[];
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
};

const rate = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const [a, b] = v.split('/').map(Number);
  if (!Number.isFinite(a) || !b || !Number.isFinite(b)) return undefined;
  return Math.round((a / b) * 1000) / 1000 || undefined;
};

const tail = (s: string, n = 400): string => s.trim().split('\n').slice(-3).join(' | ').slice(-n);

/** Runs a child; resolves with its stdout, rejects with a MediaError. */
function run(
  cmd: string,
  args: string[],
  opts: { stallTimeoutMs: number; onStdout?: (chunk: string) => void; signal?: AbortSignal },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedFor: MediaError | undefined;
    const kill = (why: MediaError) => {
      if (killedFor) return;
      killedFor = why;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(() => stalled(), opts.stallTimeoutMs);
    const stalled = () =>
      kill(new MediaError(`${cmd} made no progress for ${opts.stallTimeoutMs} ms and was killed`, true));
    const poke = () => {
      clearTimeout(timer);
      timer = setTimeout(stalled, opts.stallTimeoutMs);
    };
    const onAbort = () => kill(new MediaError(`${cmd} was stopped (shutdown)`, true));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      if (stdout.length > 4_000_000) stdout = stdout.slice(-1_000_000);
      poke();
      opts.onStdout?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-8000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(
        new MediaError(
          err.code === 'ENOENT'
            ? `${cmd} is not installed (Debian package ffmpeg)`
            : `${cmd}: ${err.message}`,
          true,
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (killedFor) return reject(killedFor);
      if (code === 0) return resolve({ stdout, stderr });
      reject(new MediaError(`${cmd} exited with code ${code}: ${tail(stderr)}`, false));
    });
  });
}

/**
 * Probes a local file with ffprobe.
 * @returns format, duration (ms: the container's, else the longest stream's), streams.
 * @throws MediaError `retryable: false` "The file is not audio or video ffmpeg can read" when ffprobe fails or finds
 *   neither an audio nor a video stream with a duration.
 */
export async function probe(cfg: FfmpegConfig, file: string, signal?: AbortSignal): Promise<ProbeResult> {
  let out: string;
  try {
    out = (
      await run(
        cfg.ffprobe,
        ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
        { stallTimeoutMs: cfg.stallTimeoutMs, signal },
      )
    ).stdout;
  } catch (err) {
    if (err instanceof MediaError && !err.retryable)
      throw new MediaError(`The file is not audio or video ffmpeg can read (${err.message})`, false);
    throw err;
  }
  const json = JSON.parse(out) as {
    format?: Record<string, unknown>;
    streams?: Array<Record<string, unknown>>;
  };
  const streams: ProbeStream[] = (json.streams ?? [])
    .filter((s) => !(s.disposition as Record<string, number> | undefined)?.attached_pic)
    .map((s) => {
      const type = typeof s.codec_type === 'string' ? s.codec_type : 'unknown';
      const st: ProbeStream = { type, codec: typeof s.codec_name === 'string' ? s.codec_name : 'unknown' };
      if (type === 'video') {
        st.width = int(s.width);
        st.height = int(s.height);
        st.frameRate = rate(s.avg_frame_rate) ?? rate(s.r_frame_rate);
      }
      if (type === 'audio') {
        st.sampleRate = int(s.sample_rate);
        st.channels = int(s.channels);
      }
      st.bitRate = int(s.bit_rate);
      return Object.fromEntries(Object.entries(st).filter(([, v]) => v !== undefined)) as ProbeStream;
    });
  const seconds =
    Number(json.format?.duration) || Math.max(0, ...(json.streams ?? []).map((s) => Number(s.duration) || 0));
  const media = streams.some((s) => s.type === 'audio' || s.type === 'video');
  if (!media || !Number.isFinite(seconds) || seconds <= 0)
    throw new MediaError(
      'The file is not audio or video ffmpeg can read (no audio or video stream with a duration)',
      false,
    );
  const result: ProbeResult = {
    formatName: typeof json.format?.format_name === 'string' ? json.format.format_name : 'unknown',
    duration: Math.round(seconds * 1000),
    streams,
  };
  const bitRate = int(json.format?.bit_rate);
  const size = int(json.format?.size);
  if (bitRate !== undefined) result.bitRate = bitRate;
  if (size !== undefined) result.size = size;
  return result;
}

/** One `-progress` report: how far ffmpeg is in the output, ms, and its speed (× real time) when it says. */
export interface FfmpegProgress {
  outTimeMs: number;
  speed?: number;
}

/**
 * Runs `ffmpeg -hide_banner -nostdin -y -progress pipe:1 -nostats <args>`. Every progress block resets the stall
 * timer and is passed to `onProgress`.
 * @throws MediaError retryable when stalled/aborted or ffmpeg cannot start; `retryable: false` when ffmpeg exits
 *   non-zero (it could not decode or encode this input: a retry gives the same result).
 */
export async function runFfmpeg(
  cfg: FfmpegConfig,
  args: string[],
  opts: { onProgress?: (p: FfmpegProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  let pending = '';
  let block: Record<string, string> = {};
  await run(cfg.ffmpeg, ['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats', ...args], {
    stallTimeoutMs: cfg.stallTimeoutMs,
    signal: opts.signal,
    onStdout: (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const k = line.slice(0, eq).trim();
        const v = line.slice(eq + 1).trim();
        if (k === 'progress') {
          // out_time_us (ffmpeg ≥ 4.4; out_time_ms is the same value, misnamed) in microseconds.
          const us = Number(block.out_time_us ?? block.out_time_ms);
          const speed = parseFloat(block.speed ?? '');
          if (Number.isFinite(us) && us >= 0)
            opts.onProgress?.({
              outTimeMs: Math.round(us / 1000),
              ...(Number.isFinite(speed) ? { speed } : {}),
            });
          block = {};
        } else block[k] = v;
      }
    },
  });
}
