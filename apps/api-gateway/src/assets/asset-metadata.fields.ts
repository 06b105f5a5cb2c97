import type { AssetDerivatives } from '@vellum/contracts';
import type { Asset } from '@vellum/db';
import { DLCS_CONTEXT } from '../http/json-ld';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/** What `GET .../images/{id}/metadata` renders from: the asset row and its `derivatives` JSON. */
export interface AssetMetadataRow {
  asset: Asset;
  derivatives: AssetDerivatives;
}

const sizes = (list: unknown): Array<{ width: number; height: number }> | undefined =>
  Array.isArray(list)
    ? list
        .filter(
          (s): s is [number, number] =>
            Array.isArray(s) && s.length === 2 && Number.isInteger(s[0]) && Number.isInteger(s[1]),
        )
        .map(([width, height]) => ({ width, height }))
    : undefined;

/**
 * The processing details of an asset (`vocab:AssetMetadata`, SPEC.md §3.3 `GET .../metadata`; seed 004
 * "metadata": delivery-channel-specific information made while registering, for diagnostics, not part of the
 * stable API): what its last successful ingest produced, from the `derivatives` JSON. Object keys and bucket names
 * are internal and not rendered; sizes are pixels, bytes and milliseconds. Absent parts are omitted (an asset that
 * never finished an ingest renders only its links).
 */
export const ASSET_METADATA_FIELDS = defineFields<AssetMetadataRow, Links>()('vocab:AssetMetadata', {
  asset: {
    type: 'link',
    description: 'The asset these details are of',
    render: (r, links) => links.image(r.asset.customerId, r.asset.spaceId, r.asset.id),
  },
  finished: {
    type: 'date-time',
    description: 'When the ingest that produced these details ended',
    render: (r) => r.asset.finished?.toISOString(),
  },
  width: { type: 'integer', description: 'Width in pixels', render: (r) => r.asset.width },
  height: { type: 'integer', description: 'Height in pixels', render: (r) => r.asset.height },
  duration: { type: 'integer', description: 'Duration in milliseconds', render: (r) => r.asset.duration },
  pyramid: {
    type: 'object',
    description:
      'The tile source of the iiif-img channel (for a video, of its poster frame): {tileSize (pixels), size (bytes), useOriginal (iiif-img/use-original: the origin served as is)}',
    render: (r) => {
      const p = r.derivatives.pyramid;
      if (!p) return undefined;
      return {
        ...(p.tileSize ? { tileSize: p.tileSize } : {}),
        ...(typeof p.size === 'number' ? { size: p.size } : {}),
        ...(p.useOriginal ? { useOriginal: true } : {}),
      };
    },
  },
  thumbnails: {
    type: 'object',
    description:
      'Pre-made thumbnails of the thumbs channel (for a video, of its poster frame): open (served to anyone) and auth (need a role) sizes, largest first, [{width, height}], and size (bytes, all of them)',
    render: (r) => {
      const t = r.derivatives.thumbnails;
      if (!t) return undefined;
      return {
        open: sizes(t.open) ?? [],
        auth: sizes(t.auth) ?? [],
        ...(typeof t.size === 'number' ? { size: t.size } : {}),
      };
    },
  },
  original: {
    type: 'object',
    description: 'The stored original of the file channel: {size (bytes), mediaType}',
    render: (r) =>
      r.derivatives.original
        ? {
            ...(typeof r.derivatives.original.size === 'number' ? { size: r.derivatives.original.size } : {}),
            mediaType: r.asset.mediaType,
          }
        : undefined,
  },
  transcodes: {
    type: 'object[]',
    description:
      'Outputs of the iiif-av channel: [{preset, mediaType, size (bytes), width, height, duration (ms), codec (ffprobe names, video+audio, e.g. h264+aac)}]',
    render: (r) =>
      Array.isArray(r.derivatives.transcodes)
        ? r.derivatives.transcodes.map((t) => ({
            preset: t.preset,
            mediaType: t.mediaType,
            ...(typeof t.size === 'number' ? { size: t.size } : {}),
            ...(t.width !== undefined ? { width: t.width } : {}),
            ...(t.height !== undefined ? { height: t.height } : {}),
            ...(t.duration !== undefined ? { duration: t.duration } : {}),
            ...(typeof t.codec === 'string' ? { codec: t.codec } : {}),
          }))
        : undefined,
  },
  poster: {
    type: 'object',
    description:
      'The poster frame of a video (a JPEG at 10 % of the duration): {width, height (pixels), size (bytes)}',
    render: (r) => {
      const p = r.derivatives.poster;
      if (!p || typeof p !== 'object') return undefined;
      return { width: p.width, height: p.height, ...(typeof p.size === 'number' ? { size: p.size } : {}) };
    },
  },
  progress: {
    type: 'object',
    description:
      'While an audio/video transcode runs (ingesting): the latest progress report, {preset, presetIndex, presetCount (which preset of the job, 1-based), fraction (0..1 of that preset), speed (× real time), at (when the transcoder read it)}; absent otherwise',
    render: (r) => {
      const p = r.asset.ingestProgress as Record<string, unknown> | null | undefined;
      if (!r.asset.ingesting || !p || typeof p !== 'object' || p.attempt !== r.asset.ingestAttempt)
        return undefined;
      return {
        preset: p.preset,
        presetIndex: p.presetIndex,
        presetCount: p.presetCount,
        fraction: p.fraction,
        ...(typeof p.speed === 'number' ? { speed: p.speed } : {}),
        at: p.at,
      };
    },
  },
  source: {
    type: 'object',
    description:
      'What ffprobe found in an audio/video source: {formatName, duration (ms), bitRate (bit/s), size (bytes), streams: [{type, codec, width, height, frameRate, sampleRate (Hz), channels, bitRate}]}',
    render: (r) => {
      const p = r.derivatives.probe;
      if (!p || typeof p !== 'object' || !Array.isArray(p.streams)) return undefined;
      return {
        formatName: p.formatName,
        duration: p.duration,
        ...(p.bitRate !== undefined ? { bitRate: p.bitRate } : {}),
        ...(p.size !== undefined ? { size: p.size } : {}),
        streams: p.streams.map((s) => ({ ...s })),
      };
    },
  },
});

/** Renders the metadata resource of an asset (`@id` = `.../images/{id}/metadata`). */
export function renderAssetMetadata(asset: Asset, links: Links): Record<string, unknown> {
  const raw = asset.derivatives;
  const derivatives = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as AssetDerivatives;
  return {
    '@context': DLCS_CONTEXT,
    '@id': links.imageMetadata(asset.customerId, asset.spaceId, asset.id),
    '@type': ASSET_METADATA_FIELDS.type,
    ...ASSET_METADATA_FIELDS.present({ asset, derivatives }, links),
  };
}
