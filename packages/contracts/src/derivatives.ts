/**
 * The asset `derivatives` JSON (the `assets.derivatives` column, SPEC.md §4.1 step 4, §8): written by the
 * ingest-orchestrator on success, read by iiif-delivery (what to serve), the api-gateway (`.../metadata`, the
 * objects an `asset.deleted.v1` names) and the orchestrator's clean-up. One shape, here, for all of them.
 *
 * `{ pyramid?: { bucket, key, size, tileSize?, useOriginal? }, thumbnails?: { bucket, open, auth, keys, size },
 * original?: { bucket, key, size }, transcodes?: [{ preset, bucket, key, mediaType, size, width?, height?,
 * duration?, codec? }], poster?: { bucket, key, size, mediaType, width, height }, probe?: { formatName, duration,
 * bitRate?, size?, streams: [{ type, codec, width?, height?, frameRate?, sampleRate?, channels?, bitRate? }] } }`. `open`/`auth` are `[w, h]` pairs (pixels), largest first; `keys` maps `"w,h"` to the object key
 * in the thumbnails bucket; sizes are bytes; durations milliseconds.
 */
export interface AssetDerivatives {
  pyramid?: {
    bucket: string;
    key: string;
    size: number;
    /** Tile edge, pixels; absent when `useOriginal` (the origin's own tiling applies). */
    tileSize?: number;
    /** iiif-img/use-original: the staged origin is the tile source, served as is. */
    useOriginal?: true;
  };
  thumbnails?: {
    bucket: string;
    open: Array<[number, number]>;
    auth: Array<[number, number]>;
    keys: Record<string, string>;
    size: number;
  };
  original?: { bucket: string; key: string; size: number };
  transcodes?: Array<{
    preset: string;
    bucket: string;
    key: string;
    mediaType: string;
    size: number;
    width?: number;
    height?: number;
    duration?: number;
    /** ffprobe codec names, video first: `h264+aac`. */
    codec?: string;
  }>;
  /** The poster frame of a video (av-transcoder, SPEC.md §4.4), in the derivatives bucket. */
  poster?: { bucket: string; key: string; size: number; mediaType: string; width: number; height: number };
  /** The ffprobe summary of an audio/video source (shown by `GET .../metadata`). */
  probe?: {
    formatName: string;
    duration: number;
    bitRate?: number;
    size?: number;
    streams: Array<{
      type: string;
      codec: string;
      width?: number;
      height?: number;
      frameRate?: number;
      sampleRate?: number;
      channels?: number;
      bitRate?: number;
    }>;
  };
}

/** What one stored object of an asset is (the `kind` of a {@link DerivativeObject}). */
export const DERIVATIVE_OBJECT_KINDS = ['pyramid', 'thumbnail', 'original', 'transcode', 'poster'] as const;
export type DerivativeObjectKind = (typeof DERIVATIVE_OBJECT_KINDS)[number];

/** One object the derivatives JSON names: where it is and what it is. */
export interface DerivativeObject {
  bucket: string;
  key: string;
  kind: DerivativeObjectKind;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Every object a stored `derivatives` JSON names (pyramid or use-original source, each thumbnail, the kept
 * original, each transcode, the poster), deduplicated, in that order. Tolerant: malformed or missing parts are skipped, so any
 * stored value (null, `{}`, an older shape) is accepted.
 * @param value the column as read (parsed JSON, or null).
 */
export function derivativeObjects(value: unknown): DerivativeObject[] {
  if (!isRecord(value)) return [];
  const out: DerivativeObject[] = [];
  const seen = new Set<string>();
  const add = (bucket: unknown, key: unknown, kind: DerivativeObjectKind) => {
    if (!isText(bucket) || !isText(key)) return;
    const id = `${bucket}\u0000${key}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ bucket, key, kind });
  };
  const { pyramid, thumbnails, original, transcodes, poster } = value;
  if (isRecord(pyramid)) add(pyramid.bucket, pyramid.key, 'pyramid');
  if (isRecord(thumbnails) && isRecord(thumbnails.keys)) {
    for (const key of Object.values(thumbnails.keys)) add(thumbnails.bucket, key, 'thumbnail');
  }
  if (isRecord(original)) add(original.bucket, original.key, 'original');
  if (Array.isArray(transcodes)) {
    for (const t of transcodes) if (isRecord(t)) add(t.bucket, t.key, 'transcode');
  }
  if (isRecord(poster)) add(poster.bucket, poster.key, 'poster');
  return out;
}
