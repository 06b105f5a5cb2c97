import type { Readable } from 'node:stream';
import type { StreamOutcome } from '../http-io';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ByteRange, ObjectInfo, ObjectStore } from '@vellum/storage';
import { AssetLookupService, type DeliveryAsset, type StoredObject } from '../asset-lookup.service';
import { bytesAccess } from '@vellum/access';
import { AccessControlService, assertAllowed } from '../auth/access-control.service';
import type { CredentialHeaders } from '../auth/caller.service';
import { notFound } from '../delivery-errors';
import { describeError, StoredObjectReader } from '../ranged/stored-object-reader';
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

/**
 * The `file` delivery channel's logic (SPEC.md §4.5, §5): finds the original of an asset through the cached asset
 * lookup and the object store, and streams it (or a byte range of it) to a response, never holding it whole in
 * memory. Reads go to wherever `derivatives.original` points, with the platform's store client: the origins
 * bucket for a kept staged copy, the customer's bucket for an optimised s3-ambient origin.
 */
@Injectable()
export class FileDeliveryService {
  private readonly logger = new Logger(FileDeliveryService.name);
  private readonly reader: StoredObjectReader;

  constructor(
    private readonly lookup: AssetLookupService,
    @Inject(OBJECT_STORE) store: ObjectStore,
    private readonly metrics: FileMetrics,
    private readonly access: AccessControlService,
  ) {
    this.reader = new StoredObjectReader(store, this.logger);
  }

  /**
   * The original of `/file/{c}/{s}/{id}`, with its current size and validators (one `stat` of the object).
   * @throws ProblemException 404 (unknown customer, space or asset; still ingesting; ingest failed; not delivered
   *   on the `file` channel; no original recorded; the object is missing from the store, logged as a warning as
   *   the record says it exists); 401/403 for an asset with roles when the caller (bearer token or session cookie of `headers`) holds none; 503 with `Retry-After` when the database or the
   *   object store fails.
   */
  async resolve(path: FilePath, headers: CredentialHeaders = {}): Promise<FileTarget> {
    const asset = await this.lookup.resolve(path.customer, path.space, path.id, FILE_PREFIX);
    const label = `${path.customer}/${asset.spaceId}/${asset.id}`;
    // SPEC.md §6: restricted bytes go only to a caller holding one of the roles (@vellum/access bytesAccess).
    if (asset.roles.length > 0)
      assertAllowed(bytesAccess(asset, await this.access.callerFor(headers, asset)), `Asset ${label}`);
    const object = asset.original;
    if (!object) {
      this.logger.warn(`asset ${label} is on the file channel but its derivatives record no original`);
      throw notFound(`Asset ${label} has no stored original`);
    }
    const info = await this.reader.stat(object, label, 'original');
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
    return this.reader.open(target.object, range, target.label, 'original');
  }

  /**
   * Records how a streamed body ended (metrics, and a log line when it was cut short): with the headers gone, a
   * failure can only truncate the response ({@link sendRanged}).
   */
  report(out: StreamOutcome, length: number, label: string): void {
    if (out.ended === 'client-aborted') {
      this.metrics.interrupted('client-aborted');
      this.logger.debug(`file ${label}: the client went away after ${out.sent} of ${length} bytes`);
    } else if (out.ended === 'store-failed') {
      this.metrics.interrupted('store-failed');
      this.logger.warn(
        `file ${label}: the stream failed after ${out.sent} of ${length} bytes: ${describeError(out.error)}`,
      );
    }
    this.metrics.sent(out.sent);
  }
}
