import type { Readable, Writable } from 'node:stream';
import { streamExactly } from '../http-io';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ByteRange, type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '@vellum/storage';
import { AssetLookupService, type DeliveryAsset, type StoredObject } from '../asset-lookup.service';
import { deliveryError, notFound } from '../delivery-errors';
import { etagOf } from '../http-cache';
import { OBJECT_STORE } from '../tokens';
import { fileContentType } from './file-headers';
import { FileMetrics } from './file-metrics';
import { FILE_PREFIX, type FilePath } from './file-path';

/** A deliverable original: the asset, where its bytes are, and what the store says about them now. */
export interface FileTarget {
  asset: DeliveryAsset;
  /** `derivatives.original`: a bucket of the platform, or an optimised origin's own bucket. */
  object: StoredObject;
  /** The object's current metadata (size in bytes, store ETag, modification time). */
  info: ObjectInfo;
  /** `customer/space/id` as requested, for messages. */
  label: string;
  /** `Content-Type`: the asset's media type ({@link fileContentType}). */
  contentType: string;
  /** Strong ETag of the representation: changes with a reingest and with the stored object. */
  etag: string;
  /** The later of the asset's `finished` and the object's modification time. */
  lastModified: Date;
}

/** Seconds a client may retry after a 503 of the object store. */
const STORE_RETRY_AFTER_S = '1';

/**
 * The `file` delivery channel's logic (SPEC.md §4.5, §5): finds the original of an asset through the cached asset
 * lookup and the object store, and streams it (or a byte range of it) to a response, never holding it whole in
 * memory. Reads go to wherever `derivatives.original` points, with the platform's store client: the origins
 * bucket for a kept staged copy, the customer's bucket for an optimised s3-ambient origin.
 */
@Injectable()
export class FileDeliveryService {
  private readonly logger = new Logger(FileDeliveryService.name);

  constructor(
    private readonly lookup: AssetLookupService,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly metrics: FileMetrics,
  ) {}

  /**
   * The original of `/file/{c}/{s}/{id}`, with its current size and validators (one `stat` of the object).
   * @throws ProblemException 404 (unknown customer, space or asset; still ingesting; ingest failed; not delivered
   *   on the `file` channel; no original recorded; the object is missing from the store, logged as a warning as
   *   the record says it exists); 401 for an asset with roles; 503 with `Retry-After` when the database or the
   *   object store fails.
   */
  async resolve(path: FilePath): Promise<FileTarget> {
    const asset = await this.lookup.resolve(path.customer, path.space, path.id, FILE_PREFIX);
    const label = `${path.customer}/${asset.spaceId}/${asset.id}`;
    if (asset.roles.length > 0) {
      // TODO(IIIF Auth 2.0, SPEC.md §6): accept the session cookie or bearer token of auth-service here, answer
      // 403 when authenticated without one of the asset's roles, and serve with `Cache-Control: private`.
      throw deliveryError(
        401,
        `Asset ${label} is restricted: it requires authorisation (IIIF Auth 2.0 is not available on this service yet)`,
      );
    }
    const object = asset.original;
    if (!object) {
      this.logger.warn(`asset ${label} is on the file channel but its derivatives record no original`);
      throw notFound(`Asset ${label} has no stored original`);
    }
    let info: ObjectInfo | null;
    try {
      info = await this.store.stat(object.bucket, object.key);
    } catch (err) {
      throw this.storeFailure(err, label, object);
    }
    if (!info) throw this.missing(label, object);
    const lastModified =
      info.lastModified && info.lastModified.getTime() > asset.finished.getTime()
        ? info.lastModified
        : asset.finished;
    return {
      asset,
      object,
      info,
      label,
      contentType: fileContentType(asset.mediaType),
      etag: etagOf(
        `${asset.customerId}/${asset.spaceId}/${asset.id}`,
        asset.version,
        FILE_PREFIX,
        info.etag,
        String(info.size),
      ),
      lastModified,
    };
  }

  /**
   * Opens the object (or the inclusive byte `range` of it) for reading. Call it before sending any header, so
   * that a failure can still be answered as a problem.
   * @throws ProblemException 404 when the object disappeared since {@link resolve} (warning logged); 503 with
   *   `Retry-After` when the store fails.
   */
  async open(target: FileTarget, range?: ByteRange): Promise<Readable> {
    try {
      return await this.store.get(target.object.bucket, target.object.key, range);
    } catch (err) {
      throw this.storeFailure(err, target.label, target.object);
    }
  }

  /**
   * Pipes exactly `length` bytes of `source` to `res` (headers already set). Never rejects: the headers are
   * gone, so a failure can only cut the response short (the connection is destroyed, the client sees a
   * truncated body). A client that goes away destroys `source` (pipeline), so no store stream or socket is left
   * open; a source longer than `length` (a store ignoring part of a range) is cut at `length`, a shorter one
   * ends the response with an error.
   * @returns bytes written.
   */
  async stream(source: Readable, res: Writable, length: number, label: string): Promise<number> {
    const out = await streamExactly(source, res, length);
    if (out.ended === 'client-aborted') {
      this.metrics.interrupted('client-aborted');
      this.logger.debug(`file ${label}: the client went away after ${out.sent} of ${length} bytes`);
    } else if (out.ended === 'store-failed') {
      this.metrics.interrupted('store-failed');
      this.logger.warn(
        `file ${label}: the stream failed after ${out.sent} of ${length} bytes: ${describe(out.error)}`,
      );
    }
    this.metrics.sent(out.sent);
    return out.sent;
  }

  private missing(label: string, object: StoredObject): Error {
    this.logger.warn(
      `asset ${label}: its original ${object.bucket}/${object.key} is missing from the object store`,
    );
    return notFound(`The original of asset ${label} is missing`);
  }

  /** 404 for a missing object, else 503; the warning names the bucket and key, never a credential. */
  private storeFailure(err: unknown, label: string, object: StoredObject): Error {
    if (err instanceof ObjectNotFoundError) return this.missing(label, object);
    this.logger.warn(`asset ${label}: reading ${object.bucket}/${object.key} failed: ${describe(err)}`);
    return deliveryError(503, 'The object store is unavailable; retry later', {
      'Retry-After': STORE_RETRY_AFTER_S,
    });
  }
}

/** A short description of an error for a log line. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
