import { Inject, Injectable, Logger } from '@nestjs/common';
import { isTransientDbError, PRISMA, type PrismaClient } from '@vellum/db';
import { LRUCache } from 'lru-cache';
import { type CustomHeaders, resolveCustomHeaders } from './custom-headers';
import { DeliveryMetrics } from './delivery-metrics';
import { badRequest, deliveryError, isDeliveryError, notFound } from './delivery-errors';
import { DeliveryEnv } from './env';
import { DELIVERY_ENV } from './tokens';

/** A stored object with a size in bytes (from the asset's `derivatives` JSON). */
export interface StoredObject {
  bucket: string;
  key: string;
  size?: number;
}

/** One transcode of an asset: its preset, object and media facts. */
export interface DeliveryTranscode extends StoredObject {
  preset: string;
  mediaType: string;
  width?: number;
  height?: number;
  duration?: number;
}

/** An asset as the delivery service needs it: ready (finished, no error) and with its derivatives. */
export interface DeliveryAsset {
  customerId: number;
  spaceId: number;
  id: string;
  /** Full-resolution pixels; 0 for an asset without them (not an image). */
  width: number;
  height: number;
  /** Longest-edge bound of every response, pixels; 0 = none (SPEC.md §6 `maxWidth`). */
  maxWidth: number;
  roles: string[];
  openFullMax: number;
  openMaxWidth: number;
  finished: Date;
  /** Last change of the asset row (metadata edits included): the manifest's `Last-Modified`. */
  updated?: Date;
  /** Milliseconds (audio/video); 0 when the asset has none. */
  duration?: number;
  /** Delivery channel names, e.g. `iiif-img`, `thumbs`. */
  channels: string[];
  /** The asset's declared media type (SPEC.md §3.4), e.g. `application/pdf`: the `file` channel's Content-Type. */
  mediaType: string;
  /**
   * The original the `file` channel serves (`derivatives.original`, SPEC.md §4.5): the kept staged copy, or for an
   * optimised origin the customer's own object in another bucket (read with the platform's credentials).
   */
  original?: StoredObject;
  /**
   * The audio/video derivatives the `iiif-av` channel serves (`derivatives.transcodes`, SPEC.md §4.4), in the
   * order the transcoder wrote them (its policy's order); sizes bytes, durations ms, dimensions pixels.
   */
  transcodes: DeliveryTranscode[];
  /** The poster frame of a video (`derivatives.poster`: a JPEG, pixels), served at `/iiif-av/.../poster.jpg`. */
  poster?: StoredObject & { width: number; height: number };
  /** The pyramidal TIFF (with its tile size in pixels), when the asset has one. */
  pyramid?: StoredObject & { tileSize: number };
  /** Open thumbnails, smallest first, each `[w, h]` with its key in `thumbnailBucket`. */
  thumbnails: Array<{ width: number; height: number; key: string }>;
  /**
   * The thumbnails made for authorised callers only (`derivatives.thumbnails.auth`, SPEC.md §6), smallest first,
   * each with its key in `thumbnailBucket`: listed in info.json `sizes` for, and used to answer full-region requests
   * of, a caller holding one of the asset's roles.
   */
  authThumbnails: Array<{ width: number; height: number; key: string }>;
  thumbnailBucket?: string;
  /** Changes with every successful ingest: the `finished` time in ms, as a string. */
  version: string;
  /** Serialised info.json documents of this asset, keyed by variant (version + id); lives as long as the entry. */
  readonly infoCache: Map<string, string>;
  /**
   * The customer's custom headers for this asset, resolved by precedence (SPEC.md §3.3, §5), added to its image
   * responses; read with the asset and cached with it (dropped on `customer.custom-headers.changed.v1`).
   */
  customHeaders: CustomHeaders;
}

/** C0 controls and DEL: never part of an asset id (SPEC.md §1), and NUL cannot be sent to Postgres at all. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Channels whose services need the image's pixel size. */
const IMAGE_CHANNELS = new Set(['iiif-img', 'thumbs']);

/** The 404 detail for a finished asset that is not delivered on `channel` (SPEC.md §5: "asset without the channel"). */
function withoutChannel(label: string, channel: string): string {
  switch (channel) {
    case 'iiif-img':
      return `Asset ${label} has no image service: it is not delivered on the iiif-img channel`;
    case 'thumbs':
      return `Asset ${label} has no thumbnails service: it is not delivered on the thumbs channel`;
    default:
      return `Asset ${label} is not delivered on the ${channel} channel`;
  }
}

/**
 * Whether `asset` is delivered on `channel`: one of its delivery channels, or, for a video whose poster frame went
 * through the image pipeline (SPEC.md §4.4: "so it gets thumbnails and an image service"), `iiif-img` when the
 * poster's pyramid is recorded and `thumbs` when its thumbnails are.
 */
export function deliveredOn(
  asset: Pick<DeliveryAsset, 'channels' | 'poster' | 'pyramid' | 'thumbnailBucket'>,
  channel: string,
): boolean {
  if (asset.channels.includes(channel)) return true;
  if (!asset.poster || !asset.channels.includes('iiif-av')) return false;
  if (channel === 'iiif-img') return asset.pyramid !== undefined;
  if (channel === 'thumbs') return asset.thumbnailBucket !== undefined;
  return false;
}

/** Why an asset cannot be delivered, or the asset itself. */
type AssetState = { asset: DeliveryAsset } | { missing: string };

interface Boxed<T> {
  value: T;
}

/** Milliseconds a negative lookup (no such customer/asset) stays cached. */
const NEGATIVE_TTL_MS = 5_000;

/**
 * Customer and asset lookups for public URLs, with bounded in-memory caches (lru-cache, TTL
 * `VELLUM_DELIVERY_LOOKUP_TTL_MS`, default 30 s; negatives 5 s), single-flight per key, invalidated by
 * `asset.*` events through {@link invalidateAsset} (SPEC.md §5 "Speed").
 */
@Injectable()
export class AssetLookupService {
  private readonly logger = new Logger(AssetLookupService.name);
  private readonly customers: LRUCache<string, Boxed<number | null>>;
  private readonly assets: LRUCache<string, Boxed<AssetState>>;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
    private readonly metrics: DeliveryMetrics,
  ) {
    const ttl = env.VELLUM_DELIVERY_LOOKUP_TTL_MS;
    const max = env.VELLUM_DELIVERY_LOOKUP_MAX;
    this.customers = new LRUCache<string, Boxed<number | null>>({
      max,
      ttl: ttl || 1,
      fetchMethod: async (segment, _stale, { options }) => {
        const id = await this.queryCustomer(segment);
        if (id === null) options.ttl = Math.min(NEGATIVE_TTL_MS, ttl || 1);
        return { value: id };
      },
    });
    this.assets = new LRUCache<string, Boxed<AssetState>>({
      max,
      ttl: ttl || 1,
      fetchMethod: async (key, _stale, { options }) => {
        const [c, s, ...rest] = key.split('/');
        const state = await this.queryAsset(Number(c), Number(s), rest.join('/'));
        if ('missing' in state) options.ttl = Math.min(NEGATIVE_TTL_MS, ttl || 1);
        return { value: state };
      },
    });
  }

  /**
   * Resolves a customer path segment (integer id or name, SPEC.md §1) to the customer id.
   * @throws DeliveryError 404 when no such customer; 503 when the database is unreachable.
   */
  async customerId(segment: string): Promise<number> {
    const hit = this.customers.has(segment);
    this.metrics.cacheHit('customer', hit);
    const boxed = await this.guard(() => this.customers.fetch(segment));
    if (!boxed || boxed.value === null) throw notFound(`Customer ${segment} not found`);
    return boxed.value;
  }

  /**
   * The deliverable asset at `/{customer}/{space}/{id}` (customer by id or name, space an integer).
   * @param channel when given, the asset must have this delivery channel (else 404).
   * @throws DeliveryError 400 for an id with a control character (`%00`); 404 (unknown customer, space or asset;
   *   still ingesting; ingest failed; no such channel); 503 only for a transient database failure.
   */
  async resolve(
    customerSegment: string,
    spaceSegment: string,
    assetId: string,
    channel?: string,
  ): Promise<DeliveryAsset> {
    // Postgres cannot even compare text with NUL, and no asset id holds control characters (SPEC.md §1).
    if (CONTROL_CHARACTER.test(assetId))
      throw badRequest('Invalid asset identifier: it contains a control character (e.g. %00)');
    const customerId = await this.customerId(customerSegment);
    if (!/^\d{1,9}$/.test(spaceSegment)) throw notFound(`Space ${spaceSegment} not found`);
    const spaceId = Number(spaceSegment);
    const key = `${customerId}/${spaceId}/${assetId}`;
    this.metrics.cacheHit('asset', this.assets.has(key));
    const boxed = await this.guard(() => this.assets.fetch(key));
    const state = boxed!.value;
    if ('missing' in state) throw notFound(state.missing);
    const label = `${customerSegment}/${spaceId}/${assetId}`;
    if (channel && !deliveredOn(state.asset, channel)) throw notFound(withoutChannel(label, channel));
    if (channel && IMAGE_CHANNELS.has(channel) && !(state.asset.width > 0 && state.asset.height > 0))
      throw notFound(`Asset ${label} has no image dimensions, so it has no ${channel} service`);
    return state.asset;
  }

  /** Drops the cached lookup of one asset (called on `asset.ingest.finished`, `asset.updated`, `asset.deleted`). */
  invalidateAsset(customerId: number, spaceId: number, assetId: string): void {
    this.assets.delete(`${customerId}/${spaceId}/${assetId}`);
  }

  /**
   * Drops the cached lookups of every asset of one customer (called on `customer.custom-headers.changed.v1`:
   * the entries carry the customer's resolved custom headers). Returns how many went.
   */
  invalidateCustomer(customerId: number): number {
    const prefix = `${customerId}/`;
    const doomed: string[] = [];
    for (const key of this.assets.keys()) if (key.startsWith(prefix)) doomed.push(key);
    for (const key of doomed) this.assets.delete(key);
    return doomed.length;
  }

  /** Drops every cached lookup. */
  clear(): void {
    this.assets.clear();
    this.customers.clear();
  }

  /**
   * Runs a lookup: a transient database failure (@vellum/db `isTransientDbError`: unreachable, restarting,
   * pool timeout) → 503 with `Retry-After` (SPEC.md §10); any other error is not going to heal by retrying and
   * is re-thrown (the problem filter answers 500 and logs it).
   */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDeliveryError(err) || !isTransientDbError(err)) throw err;
      this.logger.warn(`lookup failed: ${err instanceof Error ? err.message : String(err)}`);
      throw deliveryError(503, 'The metadata store is unavailable; retry later', { 'Retry-After': '1' });
    }
  }

  private async queryCustomer(segment: string): Promise<number | null> {
    const where = /^\d{1,9}$/.test(segment) ? { id: Number(segment) } : { name: segment };
    if (!('id' in where) && !/^[a-zA-Z0-9_.-]{1,60}$/.test(segment)) return null;
    const row = await this.prisma.customer.findUnique({ where, select: { id: true } });
    return row?.id ?? null;
  }

  private async queryAsset(customerId: number, spaceId: number, id: string): Promise<AssetState> {
    const label = `${customerId}/${spaceId}/${id}`;
    if (id.length === 0 || id.length > 200) return { missing: `Asset ${label} not found` };
    // The customer's header rules that can apply in this space, fetched beside the asset (one round trip each).
    const rules = this.prisma.customHeader.findMany({
      where: { customerId, OR: [{ space: null }, { space: spaceId }] },
      select: { key: true, value: true, space: true, role: true },
    });
    // Settled now so a failed asset query never leaves this one rejected and unobserved.
    rules.catch(() => undefined);
    const row = await this.prisma.asset.findUnique({
      where: { customerId_spaceId_id: { customerId, spaceId, id } },
      select: {
        customerId: true,
        spaceId: true,
        id: true,
        width: true,
        height: true,
        maxWidth: true,
        roles: true,
        openFullMax: true,
        openMaxWidth: true,
        finished: true,
        updated: true,
        duration: true,
        ingesting: true,
        error: true,
        deliveryChannels: true,
        derivatives: true,
        mediaType: true,
      },
    });
    if (!row) {
      const space = await this.prisma.space.findUnique({
        where: { customerId_id: { customerId, id: spaceId } },
        select: { id: true },
      });
      return { missing: space ? `Asset ${label} not found` : `Space ${customerId}/${spaceId} not found` };
    }
    if (row.ingesting) return { missing: `Asset ${label} is still being ingested; try again shortly` };
    if (row.error) return { missing: `Asset ${label} is not available: its ingest failed (${row.error})` };
    if (!row.finished) return { missing: `Asset ${label} has not finished ingesting` };
    const d = (row.derivatives ?? {}) as RawDerivatives;
    const thumbs = d.thumbnails;
    const thumbnails = thumbnailsOf(thumbs?.open, thumbs?.keys);
    const channels = Array.isArray(row.deliveryChannels)
      ? (row.deliveryChannels as Array<{ channel?: unknown } | null>)
          .map((c) => (typeof c?.channel === 'string' ? c.channel : ''))
          .filter(Boolean)
      : [];
    const asset: DeliveryAsset = {
      customerId: row.customerId,
      spaceId: row.spaceId,
      id: row.id,
      width: row.width ?? 0,
      height: row.height ?? 0,
      maxWidth: Math.max(0, row.maxWidth),
      roles: row.roles,
      openFullMax: Math.max(0, row.openFullMax),
      openMaxWidth: Math.max(0, row.openMaxWidth),
      finished: row.finished,
      updated: row.updated,
      duration: Math.max(0, row.duration ?? 0),
      channels,
      mediaType: row.mediaType,
      original:
        d.original?.bucket && d.original.key
          ? { bucket: d.original.bucket, key: d.original.key, size: d.original.size }
          : undefined,
      transcodes: transcodesOf(d.transcodes),
      poster: posterOf(d.poster),
      pyramid:
        d.pyramid?.bucket && d.pyramid.key
          ? {
              bucket: d.pyramid.bucket,
              key: d.pyramid.key,
              size: d.pyramid.size,
              tileSize: d.pyramid.tileSize || 512,
            }
          : undefined,
      thumbnails,
      authThumbnails: thumbnailsOf(thumbs?.auth, thumbs?.keys),
      thumbnailBucket: thumbs?.bucket,
      version: String(row.finished.getTime()),
      infoCache: new Map(),
      customHeaders: resolveCustomHeaders(await rules, row.spaceId, row.roles),
    };
    return { asset };
  }
}

/** The asset `derivatives` JSON as the orchestrator writes it (see the shared brief). */
interface RawDerivatives {
  pyramid?: { bucket?: string; key?: string; size?: number; tileSize?: number };
  thumbnails?: {
    bucket?: string;
    open?: unknown[];
    auth?: unknown[];
    keys?: Record<string, string>;
    size?: number;
  };
  original?: { bucket?: string; key?: string; size?: number };
  transcodes?: unknown;
  poster?: unknown;
}

/** The well-formed `[w, h]` sizes of a `derivatives.thumbnails` list that have a stored key, smallest first. */
function thumbnailsOf(
  sizes: unknown[] | undefined,
  keys: Record<string, string> | undefined,
): Array<{ width: number; height: number; key: string }> {
  return (sizes ?? [])
    .filter((s): s is [number, number] => Array.isArray(s) && s.length === 2 && s[0] > 0 && s[1] > 0)
    .map(([w, h]) => ({ width: w, height: h, key: keys?.[`${w},${h}`] ?? '' }))
    .filter((t) => t.key !== '')
    .sort((a, b) => a.width - b.width || a.height - b.height);
}

/** `derivatives.poster` when well formed (bucket, key, positive width and height). */
export function posterOf(value: unknown): DeliveryAsset['poster'] {
  const p = value as {
    bucket?: unknown;
    key?: unknown;
    size?: unknown;
    width?: unknown;
    height?: unknown;
  } | null;
  if (!p || typeof p.bucket !== 'string' || typeof p.key !== 'string' || !p.bucket || !p.key)
    return undefined;
  const width = positiveInt(p.width);
  const height = positiveInt(p.height);
  if (!width || !height) return undefined;
  return {
    bucket: p.bucket,
    key: p.key,
    size: typeof p.size === 'number' ? p.size : undefined,
    width,
    height,
  };
}

const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

/** The well-formed entries of `derivatives.transcodes` (preset, bucket, key, mediaType all non-empty text). */
export function transcodesOf(value: unknown): DeliveryTranscode[] {
  if (!Array.isArray(value)) return [];
  const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  const out: DeliveryTranscode[] = [];
  for (const t of value as Array<Record<string, unknown> | null>) {
    if (!t || !text(t.preset) || !text(t.bucket) || !text(t.key) || !text(t.mediaType)) continue;
    out.push({
      preset: t.preset,
      bucket: t.bucket,
      key: t.key,
      mediaType: t.mediaType,
      size: typeof t.size === 'number' ? t.size : undefined,
      width: positiveInt(t.width),
      height: positiveInt(t.height),
      duration: positiveInt(t.duration),
    });
  }
  return out;
}
