import type { Readable } from 'node:stream';

/** Metadata of a stored object. */
export interface ObjectInfo {
  /** Bytes. */
  size: number;
  etag: string;
  lastModified: Date;
  contentType?: string;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  /** Inclusive; absent = to the end. */
  end?: number;
}

/** Thrown by every driver when a bucket/key does not exist. */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`Object not found: ${bucket}/${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/**
 * The one object-store seam of Vellum (SPEC.md §8). Drivers: S3 (the `minio` client; MinIO, AWS S3, any
 * S3-protocol server) and the local filesystem (the embedded default). Both pass one shared contract suite.
 * Keys are `/`-separated strings; drivers must keep any other character of a key intact.
 */
export interface ObjectStore {
  /** `s3` or `fs`. */
  readonly driver: string;
  /** Creates the bucket when missing; idempotent. */
  ensureBucket(bucket: string): Promise<void>;
  /** Writes an object from a buffer or a stream (streamed, never buffered whole). Returns bytes written. */
  put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    opts?: { contentType?: string },
  ): Promise<{ size: number }>;
  /** Writes an object from a local file. Returns bytes written. */
  putFile(
    bucket: string,
    key: string,
    filePath: string,
    opts?: { contentType?: string },
  ): Promise<{ size: number }>;
  /** Reads an object (or a byte range of it) as a stream. @throws ObjectNotFoundError */
  get(bucket: string, key: string, range?: ByteRange): Promise<Readable>;
  /** Reads a whole object into memory. @throws ObjectNotFoundError */
  getBuffer(bucket: string, key: string): Promise<Buffer>;
  /** Copies an object to a local file (atomically: temp file then rename). @throws ObjectNotFoundError */
  download(bucket: string, key: string, filePath: string): Promise<{ size: number }>;
  /** Object metadata, or `null` when absent. */
  stat(bucket: string, key: string): Promise<ObjectInfo | null>;
  /** Deletes an object; absent objects are not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`. Returns how many were deleted. */
  deletePrefix(bucket: string, prefix: string): Promise<number>;
  /** Lists objects whose key starts with `prefix`, in key order. */
  list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number }>;
  /** Resolves when the store answers (readiness check); rejects otherwise. */
  ping(): Promise<void>;
}
