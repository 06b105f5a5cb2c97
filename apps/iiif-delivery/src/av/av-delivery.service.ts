import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { findTranscode } from '@vellum/iiif';
import type { ByteRange, ObjectInfo, ObjectStore } from '@vellum/storage';
import { bytesAccess } from '@vellum/access';
import { AccessControlService, assertAllowed } from '../auth/access-control.service';
import type { CredentialHeaders } from '../auth/caller.service';
import {
  AssetLookupService,
  type DeliveryAsset,
  type DeliveryTranscode,
  type StoredObject,
} from '../asset-lookup.service';
import { notFound } from '../delivery-errors';
import { etagOf } from '../http-cache';
import type { StreamOutcome } from '../http-io';
import { describeError, StoredObjectReader } from '../ranged/stored-object-reader';
import { OBJECT_STORE } from '../tokens';
import { AvMetrics } from './av-metrics';
import { AV_PREFIX, type AvRequestPath, POSTER } from './av-path';

/** A deliverable transcode: the asset, which transcode, and what the store says about its object now. */
export interface AvTarget {
  asset: DeliveryAsset;
  /** The transcode's (or the poster's) object. */
  object: StoredObject;
  /** What it is, for messages and logs: `transcode video-mp4-480p`, `poster`. */
  what: string;
  /** The preset, or `poster` (part of the ETag). */
  name: string;
  /** The object's current metadata (size in bytes, store ETag, modification time). */
  info: ObjectInfo;
  /** `customer/space/id` as requested, for messages. */
  label: string;
  /** `Content-Type`: the format's media type (`audio/mpeg`, `audio/mp4`, `video/mp4`, `video/webm`). */
  contentType: string;
  /** File extension of the request (the metrics label: `mp3`, `m4a`, `mp4`, `webm`, `jpg`). */
  extension: string;
  /** Strong ETag: changes with a reingest and with the stored object. */
  etag: string;
  /** The later of the asset's `finished` and the object's modification time. */
  lastModified: Date;
}

/**
 * The `iiif-av` delivery channel's logic (SPEC.md §4.4, §5): finds the transcode a URL names among the asset's
 * `derivatives.transcodes` (through the cached asset lookup) and reads it from the derivatives bucket with ranged
 * reads; never holds one whole in memory.
 */
@Injectable()
export class AvDeliveryService {
  private readonly logger = new Logger(AvDeliveryService.name);
  private readonly reader: StoredObjectReader;

  constructor(
    private readonly lookup: AssetLookupService,
    @Inject(OBJECT_STORE) store: ObjectStore,
    private readonly metrics: AvMetrics,
    private readonly access: AccessControlService,
  ) {
    this.reader = new StoredObjectReader(store, this.logger);
  }

  /**
   * The transcode of an `iiif-av` URL with its current size and validators (one `stat`).
   * @throws ProblemException 404 (unknown customer, space or asset; still ingesting; failed; not on the `iiif-av`
   *   channel; no transcode with that name and extension, or no poster; the object missing from the store); 401/403 for an asset
   *   with roles when the caller (bearer token or session cookie of `headers`) holds none; 503 with `Retry-After` when the database or the store fails.
   */
  async resolve(path: AvRequestPath, headers: CredentialHeaders = {}): Promise<AvTarget> {
    const asset = await this.lookup.resolve(path.customer, path.space, path.id, AV_PREFIX);
    const label = `${path.customer}/${asset.spaceId}/${asset.id}`;
    // SPEC.md §6: restricted bytes go only to a caller holding one of the roles (@vellum/access bytesAccess).
    if (asset.roles.length > 0)
      assertAllowed(bytesAccess(asset, await this.access.callerFor(headers, asset)), `Asset ${label}`);
    const picked = this.pick(asset, label, path.derivative);
    const info = await this.reader.stat(picked.object, label, picked.what);
    const lastModified =
      info.lastModified && info.lastModified.getTime() > asset.finished.getTime()
        ? info.lastModified
        : asset.finished;
    return {
      asset,
      ...picked,
      info,
      label,
      etag: etagOf(
        `${asset.customerId}/${asset.spaceId}/${asset.id}`,
        asset.version,
        AV_PREFIX,
        picked.name,
        info.etag,
        String(info.size),
      ),
      lastModified,
    };
  }

  /**
   * The object a parsed path names: the poster, or the transcode `findTranscode` picks.
   * @throws ProblemException 404 when the asset has none.
   */
  private pick(
    asset: DeliveryAsset,
    label: string,
    derivative: AvRequestPath['derivative'],
  ): Pick<AvTarget, 'object' | 'what' | 'name' | 'contentType' | 'extension'> {
    if (derivative === POSTER) {
      if (!asset.poster) throw notFound(`Asset ${label} has no poster image`);
      return {
        object: asset.poster,
        what: 'poster',
        name: 'poster',
        contentType: 'image/jpeg',
        extension: 'jpg',
      };
    }
    const { name, format } = derivative;
    const index = findTranscode(asset.transcodes, derivative);
    if (index < 0) {
      const have = asset.transcodes.map((t) => t.preset).join(', ') || 'none';
      throw notFound(
        name === 'default'
          ? `Asset ${label} has no ${format.extension} transcode (its transcodes: ${have})`
          : `Asset ${label} has no ${format.extension} transcode of preset ${name} (its transcodes: ${have})`,
      );
    }
    const t: DeliveryTranscode = asset.transcodes[index];
    return {
      object: t,
      what: `transcode ${t.preset}`,
      name: t.preset,
      contentType: format.mediaType,
      extension: format.extension,
    };
  }

  /**
   * Opens the transcode (or its inclusive byte `range`), before any header is sent.
   * @throws ProblemException 404 when it disappeared since {@link resolve}; 503.
   */
  open(target: AvTarget, range?: ByteRange): Promise<Readable> {
    return this.reader.open(target.object, range, target.label, target.what);
  }

  /** Records how a streamed body ended (metrics; a log line when it was cut short). */
  report(out: StreamOutcome, length: number, target: AvTarget): void {
    if (out.ended === 'client-aborted') {
      this.metrics.interrupted('client-aborted');
      this.logger.debug(`iiif-av ${target.label}: the client went away after ${out.sent} of ${length} bytes`);
    } else if (out.ended === 'store-failed') {
      this.metrics.interrupted('store-failed');
      this.logger.warn(
        `iiif-av ${target.label} ${target.what}: the stream failed after ${out.sent} of ${length} bytes: ${describeError(out.error)}`,
      );
    }
    this.metrics.sent(out.sent);
  }
}
