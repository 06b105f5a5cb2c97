import type {
  AssetDerivatives,
  AvTranscodeCompletedV1,
  ImageDerivativesCreatedV1,
  StoredThumbnail,
} from '@vellum/contracts';
import { DEFAULT_TILE_SIZE } from '@vellum/contracts';
import type { ChannelPolicy } from './ingest-planner';

/** The asset `derivatives` JSON the orchestrator writes on success and delivery reads: one shape, in @vellum/contracts. */
export type { AssetDerivatives };

/** Bytes an asset occupies (SPEC.md §8): `size` = pyramid/transcodes + kept original; `thumbnailSize` = thumbnails. */
export interface AssetStorageSizes {
  size: number;
  thumbnailSize: number;
}

/** What finalising needs to know about the staged origin. */
export interface StagedFacts {
  bucket: string;
  key: string;
  /** Bytes of the staged origin, or `undefined` when it is gone / was never staged. */
  size?: number;
  /**
   * The master is an optimised origin read in place (the customer's own object, SPEC.md §1 "Origin strategy"):
   * derivatives name it, but its bytes are never counted in the asset's stored `size` (SPEC.md §8: the platform
   * stores no copy of it).
   */
  inPlace?: boolean;
}

/** Bytes of the master the asset's stored `size` counts: none for an origin read in place. */
function storedMasterBytes(facts: Pick<ChannelFacts, 'keepOrigin'>, staged: StagedFacts): number {
  return facts.keepOrigin && !staged.inPlace ? (staged.size ?? 0) : 0;
}

/** Which channels shape the derivatives JSON. */
export interface ChannelFacts {
  file: boolean;
  useOriginal: boolean;
  /** The staged origin survives finalising (`file`, `use-original`, or an uploaded file). */
  keepOrigin: boolean;
  pyramid: boolean;
  thumbs: boolean;
}

/**
 * Channel facts from an asset's `(channel, policy)` pairs.
 * @param uploaded the origin is an uploaded file (`vellum-store://`): the staged copy is the origin and is kept
 *   (and counted in `size`), whatever the channels.
 */
export function channelFacts(channels: ChannelPolicy[], uploaded = false): ChannelFacts {
  const has = (c: string) => channels.some((x) => x.channel === c);
  const img = channels.find((c) => c.channel === 'iiif-img');
  const useOriginal = img?.policy === 'use-original';
  const file = has('file');
  return {
    file,
    useOriginal,
    keepOrigin: file || useOriginal || uploaded,
    pyramid: !!img && !useOriginal,
    thumbs: has('thumbs'),
  };
}

/**
 * The channel facts that hold once the image-processor has replied (SPEC.md §4.3): under `iiif-img/use-original`, an
 * origin that was not tile-ready was re-encoded (the reply names a `pyramid`), so the asset is served like
 * `default` and the staged origin is kept only for `file` or an upload.
 * @param uploaded as for {@link channelFacts}.
 */
export function imageReplyFacts(
  facts: ChannelFacts,
  reply: Pick<ImageDerivativesCreatedV1, 'pyramid' | 'useOriginal'>,
  uploaded = false,
): ChannelFacts {
  if (!facts.useOriginal || !reply.pyramid) return facts;
  return { ...facts, useOriginal: false, pyramid: true, keepOrigin: facts.file || uploaded };
}

function thumbList(list: StoredThumbnail[]): Array<[number, number]> {
  return [...list]
    .sort((a, b) => Math.max(b.width, b.height) - Math.max(a.width, a.height) || b.width - a.width)
    .map((t) => [t.width, t.height]);
}

/**
 * Builds the derivatives JSON and storage sizes for a successful image ingest.
 *
 * @param facts the channel facts after the reply ({@link imageReplyFacts}).
 * @param reply the image-processor's `ImageDerivativesCreatedV1` (`pyramid` written, or `useOriginal` with the
 *   origin's tile edge when the origin is the tile source).
 * @param staged the staged origin (used for `original` and `use-original`).
 * @param thumbnailsBucket fallback bucket name when the reply has no thumbnails.
 */
export function imageDerivatives(
  facts: ChannelFacts,
  reply: Pick<ImageDerivativesCreatedV1, 'pyramid' | 'useOriginal' | 'openThumbnails' | 'authThumbnails'>,
  staged: StagedFacts,
  thumbnailsBucket: string,
  tileSize: number = DEFAULT_TILE_SIZE,
): { derivatives: AssetDerivatives; storage: AssetStorageSizes } {
  const derivatives: AssetDerivatives = {};
  let size = 0;
  let thumbnailSize = 0;
  if (reply.pyramid) {
    derivatives.pyramid = {
      bucket: reply.pyramid.bucket,
      key: reply.pyramid.key,
      size: reply.pyramid.size ?? 0,
      tileSize,
    };
    size += reply.pyramid.size ?? 0;
  } else if (facts.useOriginal) {
    // The origin's own tile edge, as the image-processor read it, is what info.json advertises for this asset.
    derivatives.pyramid = {
      bucket: staged.bucket,
      key: staged.key,
      size: staged.size ?? 0,
      ...(reply.useOriginal ? { tileSize: reply.useOriginal.tileSize } : {}),
      useOriginal: true,
    };
  }
  const all = [...reply.openThumbnails, ...reply.authThumbnails];
  if (facts.thumbs || all.length > 0) {
    const keys: Record<string, string> = {};
    for (const t of all) {
      keys[`${t.width},${t.height}`] = t.location.key;
      thumbnailSize += t.location.size ?? 0;
    }
    derivatives.thumbnails = {
      bucket: all[0]?.location.bucket ?? thumbnailsBucket,
      open: thumbList(reply.openThumbnails),
      auth: thumbList(reply.authThumbnails),
      keys,
      size: thumbnailSize,
    };
  }
  if (facts.file) derivatives.original = { bucket: staged.bucket, key: staged.key, size: staged.size ?? 0 };
  size += storedMasterBytes(facts, staged);
  return { derivatives, storage: { size, thumbnailSize } };
}

/** Builds the derivatives JSON and storage sizes for a successful AV ingest. */
export function avDerivatives(
  facts: ChannelFacts,
  reply: Pick<AvTranscodeCompletedV1, 'outputs' | 'poster' | 'probe'>,
  staged: StagedFacts,
): { derivatives: AssetDerivatives; storage: AssetStorageSizes } {
  const derivatives: AssetDerivatives = {
    transcodes: reply.outputs.map((o) => ({
      preset: o.preset,
      bucket: o.location.bucket,
      key: o.location.key,
      mediaType: o.mediaType,
      size: o.location.size ?? 0,
      ...(o.width !== undefined ? { width: o.width } : {}),
      ...(o.height !== undefined ? { height: o.height } : {}),
      ...(o.duration !== undefined ? { duration: o.duration } : {}),
      ...(o.codec !== undefined ? { codec: o.codec } : {}),
    })),
  };
  if (reply.poster) {
    derivatives.poster = {
      bucket: reply.poster.location.bucket,
      key: reply.poster.location.key,
      size: reply.poster.location.size ?? 0,
      mediaType: reply.poster.mediaType,
      width: reply.poster.width,
      height: reply.poster.height,
    };
  }
  if (reply.probe)
    derivatives.probe = { ...reply.probe, streams: reply.probe.streams.map((s) => ({ ...s })) };
  let size = reply.outputs.reduce((sum, o) => sum + (o.location.size ?? 0), 0);
  size += reply.poster?.location.size ?? 0;
  if (facts.file) derivatives.original = { bucket: staged.bucket, key: staged.key, size: staged.size ?? 0 };
  size += storedMasterBytes(facts, staged);
  return { derivatives, storage: { size, thumbnailSize: 0 } };
}

/**
 * Derivatives JSON of a `file`-only ingest (no worker involved): the staged copy, or the optimised origin itself
 * (`inPlace`, then counted as 0 stored bytes), is the original.
 */
export function fileOnlyDerivatives(staged: StagedFacts): {
  derivatives: AssetDerivatives;
  storage: AssetStorageSizes;
} {
  return {
    derivatives: { original: { bucket: staged.bucket, key: staged.key, size: staged.size ?? 0 } },
    storage: { size: storedMasterBytes({ keepOrigin: true }, staged), thumbnailSize: 0 },
  };
}

/**
 * Builds the derivatives JSON and storage sizes of a video whose poster frame went through the image pipeline
 * (SPEC.md §4.4): the AV ingest's ({@link avDerivatives}) with the poster's `pyramid` and `thumbnails` (the
 * image-processor's reply for the poster) added, so the asset has an image service and thumbnails; `size` adds the
 * pyramid, `thumbnailSize` is the thumbnails'.
 * @param thumbnailsBucket, tileSize as for {@link imageDerivatives}.
 */
export function posterVideoDerivatives(
  facts: ChannelFacts,
  avReply: Pick<AvTranscodeCompletedV1, 'outputs' | 'poster' | 'probe'>,
  posterReply: Pick<
    ImageDerivativesCreatedV1,
    'pyramid' | 'useOriginal' | 'openThumbnails' | 'authThumbnails'
  >,
  staged: StagedFacts,
  thumbnailsBucket: string,
  tileSize: number = DEFAULT_TILE_SIZE,
): { derivatives: AssetDerivatives; storage: AssetStorageSizes } {
  const av = avDerivatives(facts, avReply, staged);
  // The poster is the image master here: no `original`, no `use-original`, nothing of the source counted twice.
  const posterFacts: ChannelFacts = {
    file: false,
    useOriginal: false,
    keepOrigin: false,
    pyramid: true,
    thumbs: true,
  };
  const img = imageDerivatives(posterFacts, posterReply, staged, thumbnailsBucket, tileSize);
  return {
    derivatives: {
      ...av.derivatives,
      ...(img.derivatives.pyramid ? { pyramid: img.derivatives.pyramid } : {}),
      ...(img.derivatives.thumbnails ? { thumbnails: img.derivatives.thumbnails } : {}),
    },
    storage: { size: av.storage.size + img.storage.size, thumbnailSize: img.storage.thumbnailSize },
  };
}
