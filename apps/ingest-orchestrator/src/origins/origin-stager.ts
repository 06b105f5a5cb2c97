import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { ObjectStore } from '@vellum/storage';
import { discard, type OriginFetcher } from './origin-fetcher';
import {
  classifyOriginError,
  OriginError,
  OriginStoreError,
  OriginTooLargeError,
  PermanentOriginError,
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
}

/** Options of {@link OriginStager}. */
export interface OriginStagerOptions {
  /** Bytes: the largest origin accepted (`VELLUM_MAX_ORIGIN_BYTES`). */
  maxBytes: number;
  /** Called with the bytes of every chunk streamed (metrics). */
  onBytes?: (bytes: number) => void;
}

/**
 * Counts bytes through a stream and fails it with {@link OriginTooLargeError} once `maxBytes` is exceeded,
 * so an oversized origin is cut off while streaming instead of being stored whole.
 */
export class ByteLimit extends Transform {
  bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly onBytes?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    if (this.bytes > this.maxBytes) callback(new OriginTooLargeError(this.maxBytes));
    else callback(null, chunk);
  }
}

/**
 * Stages an asset's origin into the object store (SPEC.md §4.1 step 2, §4.2): picks the fetcher of the URL's
 * scheme, streams the body through a byte limit straight into `store.put` (never whole in memory).
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
   * @throws PermanentOriginError (bad URL, unsupported scheme, 4xx, SSRF refusal, too large) or
   *   RetryableOriginError (network trouble, 5xx/429, object-store errors): always an {@link OriginError}.
   */
  async stage(origin: string, bucket: string, key: string, contentType: string): Promise<StagedOrigin> {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new PermanentOriginError(`Origin is not a valid URL: ${JSON.stringify(origin.slice(0, 200))}`);
    }
    const scheme = url.protocol.replace(/:$/, '').toLowerCase();
    const fetcher = this.fetchers.get(scheme);
    if (!fetcher) throw new PermanentOriginError(`origin scheme ${scheme} is not supported yet`);

    let fetched;
    try {
      fetched = await fetcher.fetch(url, { maxBytes: this.opts.maxBytes });
    } catch (err) {
      throw classifyOriginError(err);
    }

    const limit = new ByteLimit(this.opts.maxBytes, this.opts.onBytes);
    let streamError: Error | undefined;
    pipeline(fetched.body, limit, (err) => {
      if (err) streamError = err;
    });
    try {
      const { size } = await this.store.put(bucket, key, limit, { contentType });
      if (streamError) throw streamError;
      if (fetched.contentLength !== undefined && size !== fetched.contentLength) {
        throw Object.assign(new Error(`origin body ended after ${size} of ${fetched.contentLength} bytes`), {
          code: 'ECONNRESET',
        });
      }
      return { bucket, key, size, originContentType: fetched.contentType, finalUrl: fetched.finalUrl };
    } catch (err) {
      discard(fetched.body);
      // The stream's own failure (too large, body timeout, reset) explains a failed put better than the store.
      if (limit.bytes > this.opts.maxBytes) throw new OriginTooLargeError(this.opts.maxBytes);
      const cause = streamError ?? err;
      if (cause instanceof OriginError) throw cause;
      if (streamError === undefined && !hasNetworkCode(err)) {
        throw new OriginStoreError(err instanceof Error ? err.message : String(err));
      }
      throw classifyOriginError(cause);
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
