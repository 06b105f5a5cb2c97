import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import type { ObjectStore } from '@vellum/storage';

/** The uploaded file is larger than `VELLUM_MAX_UPLOAD_BYTES`. */
export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The uploaded file is larger than the limit of ${maxBytes} bytes (VELLUM_MAX_UPLOAD_BYTES).`);
    this.name = 'UploadTooLargeError';
  }
}

/** Writing the upload into the object store failed. */
export class UploadStoreError extends Error {
  constructor(override readonly cause: unknown) {
    super(
      `The object store did not take the upload: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'UploadStoreError';
  }
}

/**
 * Streams an uploaded file into the object store with the commit held back (SPEC.md §3.3 uploads, §8): bytes
 * written to {@link input} go straight to `store.put` (never whole in memory; the S3 driver holds one part), but
 * the store only sees the end of the stream on {@link commit}, after the whole request was read and validated.
 * {@link abort} (or any failure: the byte limit, the store) destroys the stream instead, so the store keeps
 * nothing (fs: the temp file is removed; S3: the single PUT never happens or the multipart upload is aborted) and
 * an existing object under the key is untouched.
 */
export class UploadSink {
  /** Where the producer writes the file's bytes; fails with {@link UploadTooLargeError} past `maxBytes`. */
  readonly input: Transform;
  private readonly held = new PassThrough();
  private readonly stored: Promise<{ size: number }>;
  private readonly ended: Promise<void>;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  /** Bytes received so far. */
  bytes = 0;
  /** The first failure (limit, store), if any. */
  failure: Error | undefined;

  constructor(store: ObjectStore, bucket: string, key: string, maxBytes: number, contentType?: string) {
    const sink = this; // eslint-disable-line @typescript-eslint/no-this-alias
    this.input = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
        sink.bytes += chunk.length;
        if (sink.bytes > maxBytes) callback(new UploadTooLargeError(maxBytes));
        else callback(null, chunk);
      },
    });
    // Failures reach the producer through `input` and the store through `held`; a second error on either (after
    // an abort) must not go unhandled.
    this.input.on('error', () => undefined);
    this.held.on('error', () => undefined);
    this.input.pipe(this.held, { end: false });
    this.ended = new Promise<void>((resolve, reject) => {
      this.input.once('end', resolve);
      this.input.once('error', (err) => {
        this.failure ??= err;
        reject(err);
      });
    });
    this.ended.catch(() => undefined);
    this.stored = store.put(bucket, key, this.held, contentType ? { contentType } : undefined);
    this.stored.catch((err: unknown) => {
      if (this.state !== 'aborted') {
        this.failure ??= new UploadStoreError(err);
        this.input.destroy(this.failure);
      }
    });
  }

  /** Resolves once the producer ended the input (every byte passed on); rejects with the first failure. */
  received(): Promise<void> {
    return this.ended;
  }

  /** Ends the stream and waits for the store to hold the object. @returns bytes stored. @throws the failure */
  async commit(): Promise<number> {
    if (this.state !== 'open') throw new Error(`upload already ${this.state}`);
    await this.ended;
    this.state = 'committed';
    this.held.end();
    try {
      return (await this.stored).size;
    } catch (err) {
      throw this.failure ?? new UploadStoreError(err);
    }
  }

  /** Drops the upload (idempotent; a no-op after commit). Resolves once the store gave it up. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.input.unpipe(this.held);
    this.input.destroy();
    this.held.destroy(new Error('upload aborted'));
    await this.stored.catch(() => undefined);
  }
}
