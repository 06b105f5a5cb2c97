import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { ObjectStore } from '@vellum/storage';
import { discard, type OriginAccess, type OriginFetcher } from './origin-fetcher';
import {
  classifyOriginError,
  RetryableOriginError,
  OriginError,
  OriginStoreError,
  OriginTooLargeError,
  OriginTooSlowError,
  PermanentOriginError,
  StorageQuotaExceededError,
} from './origin-errors';

/** Where a staged origin landed and what the origin said about it. */
export interface StagedOrigin {
  bucket: string;
  key: string;
  /** Bytes written. */
  size: number;
  /** The origin's declared `Content-Type`, recorded for logs only (the asset's `mediaType` wins). */
  originContentType?: string;
  /** The URL finally read (after redirects), without credentials. */
  finalUrl: string;
  /**
   * True when nothing was copied: `bucket/key` is the origin object itself, read in place (an `optimised`
   * `s3-ambient` origin, SPEC.md §1). Such an object is the customer's: it is never counted as stored by the
   * platform and never deleted by it.
   */
  inPlace?: boolean;
}

/** Options of {@link OriginStager}. */
export interface OriginStagerOptions {
  /** Bytes: the largest origin accepted (`VELLUM_MAX_ORIGIN_BYTES`). */
  maxBytes: number;
  /** Called with the bytes of every chunk streamed (metrics). */
  onBytes?: (bytes: number) => void;
  /** Milliseconds a whole fetch may take, from the request to the last byte (`VELLUM_ORIGIN_DEADLINE_MS`). */
  deadlineMs?: number;
  /**
   * Bytes per second an origin must sustain, averaged over `rateWindowMs` (`VELLUM_ORIGIN_MIN_BYTES_PER_SECOND`);
   * 0 disables the check. An origin trickling bytes slower than this is cut off, so it cannot hold a staging slot
   * for hours.
   */
  minBytesPerSecond?: number;
  /** The window of the rate check in ms (`VELLUM_ORIGIN_RATE_WINDOW_MS`); default 30000. */
  rateWindowMs?: number;
}

/**
 * Counts bytes through a stream and fails it with {@link OriginTooLargeError} once `maxBytes` is exceeded,
 * so an oversized origin is cut off while streaming instead of being stored whole.
 */
export class ByteLimit extends Transform {
  bytes = 0;
  /** @param tooLarge the error past `maxBytes` (default {@link OriginTooLargeError}). */
  constructor(
    private readonly maxBytes: number,
    private readonly onBytes?: (bytes: number) => void,
    private readonly tooLarge: () => Error = () => new OriginTooLargeError(maxBytes),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    if (this.bytes > this.maxBytes) callback(this.tooLarge());
    else callback(null, chunk);
  }
}

/**
 * Fails a stream with {@link OriginTooSlowError} when the whole transfer outlasts `deadlineMs`, or when fewer than
 * `minBytesPerSecond × window` bytes arrived in the last `windowMs` (checked on a timer, so an origin sending
 * nothing at all is caught too). Bytes pass through untouched.
 */
export class TransferGuard extends Transform {
  private bytes = 0;
  private readonly started = Date.now();
  /** `[time ms, bytes so far]` at each check, oldest first. */
  private readonly samples: Array<[number, number]> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deadlineMs: number,
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
  ) {
    super();
    this.samples.push([this.started, 0]);
    const every = Math.max(50, Math.min(1000, Math.floor(Math.min(windowMs, deadlineMs) / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    callback(err);
  }

  private check(): void {
    const now = Date.now();
    const elapsed = now - this.started;
    if (elapsed > this.deadlineMs) {
      this.destroy(
        new OriginTooSlowError(
          `Origin transfer exceeded its deadline of ${this.deadlineMs} ms (${this.bytes} bytes read)`,
        ),
      );
      return;
    }
    this.samples.push([now, this.bytes]);
    while (this.samples.length > 1 && this.samples[1][0] <= now - this.windowMs) this.samples.shift();
    if (this.minBytesPerSecond <= 0 || elapsed < this.windowMs) return;
    const [since, before] = this.samples[0];
    const span = (now - since) / 1000;
    const rate = (this.bytes - before) / span;
    if (rate < this.minBytesPerSecond) {
      this.destroy(
        new OriginTooSlowError(
          `Origin too slow: ${this.bytes - before} bytes in the last ${span.toFixed(1)} s (minimum ${this.minBytesPerSecond} bytes/s)`,
        ),
      );
    }
  }
}

/**
 * Stages an asset's origin into the object store (SPEC.md §4.1 step 2, §4.2): picks the fetcher (one that claims
 * the URL under the origin's strategy, e.g. the S3 fetcher for an https S3 URL under `s3-ambient`, else the one of
 * the URL's scheme), passes it the resolved strategy (`access`), streams the body through a byte limit and a
 * transfer guard (overall deadline, minimum rate) straight into `store.put` (never whole in memory). An empty
 * origin is refused.
 *
 * An `optimised` strategy whose fetcher can `locate` origins (s3-ambient) copies nothing: the origin object's own
 * location is returned (`inPlace: true`), for the workers and delivery to read directly (SPEC.md §1, §4.1 step 2
 * "unless the origin is optimised").
 */
export class OriginStager {
  private readonly fetchers = new Map<string, OriginFetcher>();

  constructor(
    fetchers: OriginFetcher[],
    private readonly store: ObjectStore,
    private readonly opts: OriginStagerOptions,
  ) {
    for (const f of fetchers) for (const s of f.schemes) this.fetchers.set(s, f);
  }

  /**
   * Fetches `origin` into `bucket/key`; a reingest overwrites the previous staged copy in place.
   *
   * @param contentType the asset's `mediaType`, stored as the object's content type.
   * @param opts.quotaBytes bytes the customer's storage policy has left (SPEC.md §8): a larger origin (declared,
   *   or found while streaming) fails with {@link StorageQuotaExceededError}, permanently; absent = no quota. An
   *   origin read in place stores nothing, so no quota applies to it.
   * @param opts.access the customer's origin strategy for `origin` (resolved, credentials opened); absent =
   *   `default`.
   * @param opts.signal the handler's deadline (`ctx.signal`): once aborted, the staging stops (retryable error).
   * @throws PermanentOriginError (bad URL, unsupported scheme, 4xx, SSRF refusal, too large, quota, empty) or
   *   RetryableOriginError (network trouble, 5xx/429, too slow, object-store errors): always an
   *   {@link OriginError}.
   */
  async stage(
    origin: string,
    bucket: string,
    key: string,
    contentType: string,
    opts: { quotaBytes?: number; access?: OriginAccess; signal?: AbortSignal } = {},
  ): Promise<StagedOrigin> {
    const abandoned = (): RetryableOriginError =>
      new RetryableOriginError('the staging was abandoned at the handler deadline');
    if (opts.signal?.aborted) throw abandoned();
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new PermanentOriginError(`Origin is not a valid URL: ${JSON.stringify(origin.slice(0, 200))}`);
    }
    const scheme = url.protocol.replace(/:$/, '').toLowerCase();
    const { access } = opts;
    const fetcher =
      (access && [...new Set(this.fetchers.values())].find((f) => f.claims?.(url, access))) ??
      this.fetchers.get(scheme);
    if (!fetcher) throw new PermanentOriginError(`origin scheme ${scheme} is not supported yet`);
    const limits = { maxBytes: this.opts.maxBytes };

    if (access?.optimised && fetcher.locate) {
      let located;
      try {
        located = await fetcher.locate(url, limits, access);
      } catch (err) {
        throw classifyOriginError(err);
      }
      if (located.size === 0) throw new PermanentOriginError('The origin file is empty (0 bytes)');
      return {
        bucket: located.bucket,
        key: located.key,
        size: located.size,
        originContentType: located.contentType,
        finalUrl: located.finalUrl,
        inPlace: true,
      };
    }

    let fetched;
    try {
      fetched = await fetcher.fetch(url, limits, access);
    } catch (err) {
      throw classifyOriginError(err);
    }

    const quota = opts.quotaBytes !== undefined ? Math.max(0, opts.quotaBytes) : undefined;
    if (quota !== undefined && fetched.contentLength !== undefined && fetched.contentLength > quota) {
      discard(fetched.body);
      throw new StorageQuotaExceededError(quota);
    }
    const byQuota = quota !== undefined && quota < this.opts.maxBytes;
    const limit = byQuota
      ? new ByteLimit(quota, this.opts.onBytes, () => new StorageQuotaExceededError(quota))
      : new ByteLimit(this.opts.maxBytes, this.opts.onBytes);
    const guard = new TransferGuard(
      this.opts.deadlineMs ?? Number.MAX_SAFE_INTEGER,
      this.opts.minBytesPerSecond ?? 0,
      this.opts.rateWindowMs ?? 30_000,
    );
    let streamError: Error | undefined;
    pipeline(fetched.body, guard, limit, (err) => {
      if (err) streamError = err;
    });
    const onAbort = (): void => {
      guard.destroy(abandoned());
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const { size } = await this.store.put(bucket, key, limit, { contentType });
      if (streamError) throw streamError;
      if (size === 0) throw new PermanentOriginError('The origin file is empty (0 bytes)');
      if (fetched.contentLength !== undefined && size !== fetched.contentLength) {
        throw Object.assign(new Error(`origin body ended after ${size} of ${fetched.contentLength} bytes`), {
          code: 'ECONNRESET',
        });
      }
      return { bucket, key, size, originContentType: fetched.contentType, finalUrl: fetched.finalUrl };
    } catch (err) {
      discard(fetched.body);
      // The stream's own failure (too large, body timeout, reset) explains a failed put better than the store.
      if (byQuota && limit.bytes > quota) throw new StorageQuotaExceededError(quota);
      if (limit.bytes > this.opts.maxBytes) throw new OriginTooLargeError(this.opts.maxBytes);
      const cause = streamError ?? err;
      if (cause instanceof OriginError) throw cause;
      if (streamError === undefined && !hasNetworkCode(err)) {
        throw new OriginStoreError(err instanceof Error ? err.message : String(err));
      }
      throw classifyOriginError(cause);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The scheme list this stager can fetch (for logs). */
  get schemes(): string[] {
    return [...this.fetchers.keys()];
  }
}

function hasNetworkCode(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('UND_ERR_') || /^E[A-Z]+$/.test(code));
}
