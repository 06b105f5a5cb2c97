import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { type ByteRange, type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '@vellum/storage';
import type { StoredObject } from '../asset-lookup.service';
import { deliveryError, notFound } from '../delivery-errors';

/** Seconds a client may retry after a 503 of the object store. */
const STORE_RETRY_AFTER_S = '1';

/**
 * Reads of one asset's stored object for the byte channels (`file`, `iiif-av`; SPEC.md §5), with the failures
 * mapped to problems the same way for both: a missing object → 404 (and a warning: the asset's record says it
 * exists), any other store failure → 503 with `Retry-After`. Warnings name the bucket and key, never a credential.
 */
export class StoredObjectReader {
  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {}

  /**
   * The object's current metadata (size in bytes, store ETag, modification time).
   * @param what what the object is, for messages: `original`, `transcode video-mp4-720p`.
   * @throws ProblemException 404 (`The <what> of asset <label> is missing`), 503.
   */
  async stat(object: StoredObject, label: string, what: string): Promise<ObjectInfo> {
    let info: ObjectInfo | null;
    try {
      info = await this.store.stat(object.bucket, object.key);
    } catch (err) {
      throw this.failure(err, object, label, what);
    }
    if (!info) throw this.missing(object, label, what);
    return info;
  }

  /**
   * Opens the object, or its inclusive byte `range` (a ranged read of the store). Call it before sending any
   * header, so that a failure can still be answered as a problem.
   * @throws ProblemException 404 when it disappeared since {@link stat}; 503.
   */
  async open(
    object: StoredObject,
    range: ByteRange | undefined,
    label: string,
    what: string,
  ): Promise<Readable> {
    try {
      return await this.store.get(object.bucket, object.key, range);
    } catch (err) {
      throw this.failure(err, object, label, what);
    }
  }

  private missing(object: StoredObject, label: string, what: string): Error {
    this.logger.warn(
      `asset ${label}: its ${what} ${object.bucket}/${object.key} is missing from the object store`,
    );
    return notFound(`The ${what} of asset ${label} is missing`);
  }

  private failure(err: unknown, object: StoredObject, label: string, what: string): Error {
    if (err instanceof ObjectNotFoundError) return this.missing(object, label, what);
    this.logger.warn(`asset ${label}: reading ${object.bucket}/${object.key} failed: ${describeError(err)}`);
    return deliveryError(503, 'The object store is unavailable; retry later', {
      'Retry-After': STORE_RETRY_AFTER_S,
    });
  }
}

/** A short description of an error for a log line. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
