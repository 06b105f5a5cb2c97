import { maxEdge, openThumbnailEdge } from '@vellum/access';
import { DEFAULT_TILE_SIZE } from '@vellum/contracts';
import { assetKeyPrefix, originKey, parseStoreOrigin, pyramidKey, type VellumBuckets } from '@vellum/storage';

/**
 * The ingest planner (SPEC.md §4.1 step 2): pure, no I/O. Given an asset and the delivery channel policies
 * its channels name, decides what one ingest attempt does: stage the origin or not, which image derivatives
 * (pyramid, thumbnails) or AV transcodes to ask for, whether to keep the staged origin as the original.
 */

/** The asset fields the planner reads (a subset of the `assets` row). */
export interface PlannableAsset {
  customerId: number;
  spaceId: number;
  id: string;
  mediaType: string;
  origin: string | null;
  /** The `deliveryChannels` JSON column: `[{ channel, policy }]` (plain channel names tolerated). */
  deliveryChannels: unknown;
  roles: string[];
  /** Pixels; ≤ 0 = unset (SPEC.md §6). */
  maxWidth: number;
  openFullMax: number;
  openMaxWidth: number;
}

/** One `(channel, policy)` pair of an asset. */
export interface ChannelPolicy {
  channel: string;
  policy: string;
}

/** `policyData` of the policies an asset's channels name, keyed `${channel}/${policy}`; absent = no such policy. */
export type PolicyData = ReadonlyMap<string, unknown>;

/** Planner settings. */
export interface PlannerConfig {
  buckets: VellumBuckets;
  /** Tile edge in pixels for new pyramids (`VELLUM_TILE_SIZE`, default 512). */
  tileSize?: number;
}

/** The image work of a plan: becomes one `ImageDerivativesCreateV1`. */
export interface ImageWork {
  /**
   * Where the pyramidal TIFF goes (iiif-img); absent for thumbs only. Under `use-original` it is written only when
   * the origin is not tile-ready (the image-processor decides, SPEC.md §4.3).
   */
  pyramid?: { bucket: string; key: string; tileSize: number };
  /** iiif-img/use-original: the staged origin is the tile source as is, when it is tile-ready. */
  useOriginal: boolean;
  thumbnails?: {
    /** IIIF size strings from the thumbs policy. */
    sizes: string[];
    bucket: string;
    keyPrefix: string;
    /** Pixels; absent = no cap. */
    maxWidth?: number;
    /** Pixels; absent = every thumbnail open; 0 = none open (SPEC.md §6). */
    openMax?: number;
  };
}

/** The AV work of a plan: becomes one `AvTranscodeCreateV1`. */
export interface AvWork {
  presets: string[];
  bucket: string;
  keyPrefix: string;
}

/** What one ingest attempt does. */
export type IngestPlan =
  /** The asset cannot be ingested as configured: fail it with `error`, no retry. */
  | { kind: 'invalid'; error: string; channels: ChannelPolicy[] }
  /** `none` or no channels: nothing to make, finish at once with success. */
  | { kind: 'finish-now'; channels: ChannelPolicy[] }
  | {
      kind: 'work';
      channels: ChannelPolicy[];
      /** Where the staged origin goes (origins bucket, `originKey`). */
      origin: { bucket: string; key: string };
      /**
       * `file`, iiif-img/use-original or an uploaded file keeps the staged origin; otherwise it is deleted after
       * finalising.
       */
      keepOrigin: boolean;
      /** Whether the `file` channel is present (derivatives JSON gets `original`). */
      file: boolean;
      image?: ImageWork;
      av?: AvWork;
    };

/** Channel names the planner knows (SPEC.md §1). */
const KNOWN_CHANNELS = new Set(['iiif-img', 'thumbs', 'iiif-av', 'file', 'none']);

/** IIIF size strings the image-processor accepts (mirrors `ThumbnailSpec.sizes` in contracts). */
const SIZE_PATTERN = /^(\^?!?\d*,\d*|max|\^max|full|pct:\d+(\.\d+)?)$/;

/** The policy a bare channel name implies (the seeded system policies). */
function defaultPolicyFor(channel: string, mediaType: string): string {
  switch (channel) {
    case 'iiif-av':
      return mediaType.startsWith('audio/') ? 'default-audio' : 'default-video';
    case 'file':
    case 'none':
      return 'none';
    default:
      return 'default';
  }
}

/**
 * Normalises the `deliveryChannels` JSON into `(channel, policy)` pairs: objects `{channel, policy?}` or plain
 * channel names; a missing policy gets the channel's default; duplicates of a channel keep the first.
 */
export function channelsOf(asset: Pick<PlannableAsset, 'deliveryChannels' | 'mediaType'>): ChannelPolicy[] {
  const raw = Array.isArray(asset.deliveryChannels) ? (asset.deliveryChannels as unknown[]) : [];
  const out: ChannelPolicy[] = [];
  const seen = new Set<string>();
  for (const entry of raw) {
    let channel: string | undefined;
    let policy: string | undefined;
    if (typeof entry === 'string') channel = entry;
    else if (entry && typeof entry === 'object') {
      const e = entry as { channel?: unknown; policy?: unknown };
      if (typeof e.channel === 'string') channel = e.channel;
      if (typeof e.policy === 'string' && e.policy !== '') policy = e.policy;
    }
    if (!channel || seen.has(channel)) continue;
    seen.add(channel);
    out.push({ channel, policy: policy ?? defaultPolicyFor(channel, asset.mediaType) });
  }
  return out;
}

/** The `(channel, policy)` pairs whose `policyData` the planner needs (thumbs sizes, iiif-av presets). */
export function policiesNeeded(channels: ChannelPolicy[]): ChannelPolicy[] {
  return channels.filter((c) => c.channel === 'thumbs' || c.channel === 'iiif-av');
}

/** Key of a policy in {@link PolicyData}. */
export function policyKey(channel: string, policy: string): string {
  return `${channel}/${policy}`;
}

/**
 * The longest edge (px) up to which thumbnails are open (SPEC.md §6, the shared rule of @vellum/access
 * `openThumbnailEdge`): `undefined` when unbounded; with roles the larger of `openFullMax` and `openMaxWidth`
 * (values ≤ 0 count as unset, so 0 = none open); `maxWidth` caps it. Thumbnails above it (up to `maxWidth`) are
 * made too, as auth sizes served only through the image service to a caller holding a role.
 */
export function thumbnailOpenMax(
  asset: Pick<PlannableAsset, 'roles' | 'maxWidth' | 'openFullMax' | 'openMaxWidth'>,
): number | undefined {
  return openThumbnailEdge(asset);
}

function stringList(data: unknown): string[] | null {
  if (!Array.isArray(data) || data.length === 0) return null;
  return data.every((s) => typeof s === 'string' && s.trim() !== '')
    ? (data as string[]).map((s) => s.trim())
    : null;
}

/**
 * Plans one ingest attempt of `asset`.
 *
 * Rules: `iiif-img/default` → pyramid (tile size `config.tileSize`, default 512) in the derivatives bucket at
 * `pyramidKey`; `iiif-img/use-original` → the same pyramid location plus `useOriginal`: the image-processor keeps
 * a tile-ready origin as the tile source (the staged origin is kept and served as is) and writes the pyramid only
 * for an origin that is not; `thumbs/<policy>` → thumbnails of the policy's IIIF sizes in the thumbnails bucket under
 * `assetKeyPrefix`, capped by `maxWidth`, open up to {@link thumbnailOpenMax}; `iiif-av/<policy>` → a transcode
 * per preset; `file` → keep the staged origin as the original; `none` (alone) or no channels → finish now.
 * An uploaded file (origin `vellum-store://{bucket}/{key}`, SPEC.md §4.2) is the staged origin itself and is kept.
 * Invalid: an unknown channel, an unknown iiif-img policy, a thumbs/iiif-av policy that does not exist or has
 * no usable data, or iiif-av combined with iiif-img/thumbs.
 */
export function planIngest(asset: PlannableAsset, policies: PolicyData, config: PlannerConfig): IngestPlan {
  const channels = channelsOf(asset);
  const invalid = (error: string): IngestPlan => ({ kind: 'invalid', error, channels });
  const unknown = channels.find((c) => !KNOWN_CHANNELS.has(c.channel));
  if (unknown) return invalid(`Unknown delivery channel "${unknown.channel}"`);
  const active = channels.filter((c) => c.channel !== 'none');
  if (active.length === 0) return { kind: 'finish-now', channels };

  const ref = { customerId: asset.customerId, spaceId: asset.spaceId, assetId: asset.id };
  const { buckets } = config;
  const by = (name: string) => active.find((c) => c.channel === name);
  const img = by('iiif-img');
  const thumbs = by('thumbs');
  const av = by('iiif-av');
  const file = by('file') !== undefined;

  if (av && (img || thumbs))
    return invalid('Delivery channel iiif-av cannot be combined with iiif-img or thumbs');

  let image: ImageWork | undefined;
  let useOriginal = false;
  if (img) {
    if (img.policy === 'use-original') useOriginal = true;
    else if (img.policy !== 'default')
      return invalid(`Unknown iiif-img delivery channel policy "${img.policy}"`);
  }
  if (img || thumbs) {
    image = { useOriginal };
    if (img) {
      image.pyramid = {
        bucket: buckets.derivatives,
        key: pyramidKey(ref),
        tileSize: config.tileSize ?? DEFAULT_TILE_SIZE,
      };
    }
    if (thumbs) {
      const key = policyKey('thumbs', thumbs.policy);
      if (!policies.has(key))
        return invalid(`Delivery channel policy thumbs/${thumbs.policy} does not exist`);
      const sizes = stringList(policies.get(key));
      if (!sizes) return invalid(`Delivery channel policy thumbs/${thumbs.policy} has no thumbnail sizes`);
      const bad = sizes.find((s) => !SIZE_PATTERN.test(s));
      if (bad)
        return invalid(`Delivery channel policy thumbs/${thumbs.policy} has an invalid IIIF size "${bad}"`);
      image.thumbnails = {
        sizes,
        bucket: buckets.thumbnails,
        keyPrefix: assetKeyPrefix(asset.customerId, asset.spaceId, asset.id),
        maxWidth: maxEdge(asset),
        openMax: thumbnailOpenMax(asset),
      };
    }
  }

  let avWork: AvWork | undefined;
  if (av) {
    const key = policyKey('iiif-av', av.policy);
    if (!policies.has(key)) return invalid(`Delivery channel policy iiif-av/${av.policy} does not exist`);
    const presets = stringList(policies.get(key));
    if (!presets) return invalid(`Delivery channel policy iiif-av/${av.policy} has no presets`);
    avWork = {
      presets,
      bucket: buckets.derivatives,
      keyPrefix: assetKeyPrefix(asset.customerId, asset.spaceId, asset.id),
    };
  }

  // An uploaded file (`vellum-store://` origin) is already in the store: it is the staged origin, and kept.
  const uploaded = parseStoreOrigin(asset.origin);
  return {
    kind: 'work',
    channels,
    origin: uploaded ?? { bucket: buckets.origins, key: originKey(ref) },
    keepOrigin: file || useOriginal || uploaded !== null,
    file,
    image,
    av: avWork,
  };
}

/** The thumbs policy a video's poster gets: the customer's own `thumbs/default`, else the platform's. */
export const POSTER_THUMBS_POLICY = 'default';

/**
 * The image work of a video's poster frame (SPEC.md §4.4: "through the image pipeline, so it gets thumbnails and
 * an image service"): an `iiif-av` asset has neither `iiif-img` nor `thumbs` channel, so the defaults apply: a
 * pyramid as for `iiif-img/default` and the thumbnails of `thumbs/default` (capped by the asset's `maxWidth`,
 * open up to {@link thumbnailOpenMax}); without a usable `thumbs/default` policy, the pyramid only.
 * @param policies `policyData` holding `thumbs/default` when it exists ({@link policyKey}).
 */
export function planPosterImage(
  asset: PlannableAsset,
  policies: PolicyData,
  config: PlannerConfig,
): ImageWork {
  const plan = (channels: ChannelPolicy[]) =>
    planIngest({ ...asset, deliveryChannels: channels }, policies, config);
  const img = { channel: 'iiif-img', policy: 'default' };
  const both = plan([img, { channel: 'thumbs', policy: POSTER_THUMBS_POLICY }]);
  const chosen = both.kind === 'work' ? both : plan([img]);
  if (chosen.kind !== 'work' || !chosen.image) throw new Error('iiif-img/default always plans an image');
  return chosen.image;
}
