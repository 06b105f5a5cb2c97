import type { NamedQueryAsset } from '@vellum/db';

/**
 * Which image of a named-query member goes into a PDF page or a ZIP entry (SPEC.md §7 `pdf`, `zip`), from the
 * member's row alone (no I/O): its largest open thumbnail, else a render at most {@link RENDER_MAX_EDGE} pixels
 * from its tile source, else nothing. Pure, table-tested.
 */

/** Longest edge (px) of a page rendered from the tile source when an asset has no open thumbnail. */
export const RENDER_MAX_EDGE = 1000;

/** An object in the store with the pixel size of the image it holds. */
export interface SizedObject {
  bucket: string;
  key: string;
  width: number;
  height: number;
}

/** Where a member's picture comes from. */
export type MemberImage =
  /** A pre-made open thumbnail, used as it is (its JPEG bytes). */
  | ({ kind: 'thumbnail' } & SizedObject)
  /** A render of the tile source (pyramidal TIFF, or a use-original origin) at `width`×`height`. */
  | ({ kind: 'render'; sourceWidth: number; sourceHeight: number } & SizedObject)
  /** No picture can be made (not an image, or no derivatives recorded). */
  | { kind: 'none' };

/** What one PDF page shows for a member. */
export type PdfPageSource =
  | { kind: 'image'; image: Extract<MemberImage, { kind: 'thumbnail' | 'render' }> }
  /** A text page (`redactedmessage` for a restricted asset, a notice for one without a picture) of this size. */
  | { kind: 'redacted' | 'no-image'; width: number; height: number };

interface RawDerivatives {
  pyramid?: { bucket?: unknown; key?: unknown };
  thumbnails?: { bucket?: unknown; open?: unknown; keys?: Record<string, unknown> };
}

const isPositive = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

/** The largest (by area) open thumbnail recorded in an asset's `derivatives`, or undefined. */
export function largestOpenThumbnail(derivatives: unknown): SizedObject | undefined {
  const thumbs = (derivatives as RawDerivatives | null)?.thumbnails;
  if (!thumbs || typeof thumbs.bucket !== 'string' || !Array.isArray(thumbs.open)) return undefined;
  let best: SizedObject | undefined;
  for (const size of thumbs.open as unknown[]) {
    if (!Array.isArray(size) || size.length !== 2 || !isPositive(size[0]) || !isPositive(size[1])) continue;
    const key = thumbs.keys?.[`${size[0]},${size[1]}`];
    if (typeof key !== 'string' || key === '') continue;
    if (!best || size[0] * size[1] > best.width * best.height)
      best = { bucket: thumbs.bucket, key, width: size[0], height: size[1] };
  }
  return best;
}

/** `width`×`height` scaled down (never up) to fit a `max`×`max` square, rounded, at least 1×1. */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * A member's picture: its largest open thumbnail; else, for an image with a tile source (`derivatives.pyramid`)
 * and pixel dimensions, a render fitting {@link RENDER_MAX_EDGE}; else `none`.
 */
export function memberImage(asset: Pick<NamedQueryAsset, 'derivatives' | 'width' | 'height'>): MemberImage {
  const thumb = largestOpenThumbnail(asset.derivatives);
  if (thumb) return { kind: 'thumbnail', ...thumb };
  const pyramid = (asset.derivatives as RawDerivatives | null)?.pyramid;
  if (
    pyramid &&
    typeof pyramid.bucket === 'string' &&
    typeof pyramid.key === 'string' &&
    isPositive(asset.width) &&
    isPositive(asset.height)
  ) {
    return {
      kind: 'render',
      bucket: pyramid.bucket,
      key: pyramid.key,
      sourceWidth: asset.width,
      sourceHeight: asset.height,
      ...fitWithin(asset.width, asset.height, RENDER_MAX_EDGE),
    };
  }
  return { kind: 'none' };
}

/**
 * What the PDF page of a member shows (SPEC.md §7 `pdf`): an asset with roles is **redacted** (a text page the
 * size its picture would have, saying `redactedmessage`), whatever its open thumbnails; otherwise its
 * {@link memberImage}, or a `no-image` text page when it has none (AV, files), so there is one page per asset.
 */
export function pdfPageSource(
  asset: Pick<NamedQueryAsset, 'derivatives' | 'width' | 'height' | 'roles'>,
): PdfPageSource {
  const image = memberImage(asset);
  const size =
    image.kind !== 'none'
      ? { width: image.width, height: image.height }
      : isPositive(asset.width) && isPositive(asset.height)
        ? fitWithin(asset.width, asset.height, RENDER_MAX_EDGE)
        : { width: RENDER_MAX_EDGE, height: RENDER_MAX_EDGE };
  if (asset.roles.length > 0) return { kind: 'redacted', ...size };
  if (image.kind === 'none') return { kind: 'no-image', ...size };
  return { kind: 'image', image };
}

/**
 * What the ZIP entry of a member holds (SPEC.md §7 `zip`: "the assets' largest open thumbnails"): its largest open
 * thumbnail (an asset with roles included, when it has open ones: they are open to anyone); an asset without roles
 * and without thumbnails gets a render of its tile source; otherwise (restricted with no open thumbnail, or no
 * picture at all) undefined: no entry.
 */
export function zipEntrySource(
  asset: Pick<NamedQueryAsset, 'derivatives' | 'width' | 'height' | 'roles'>,
): Extract<MemberImage, { kind: 'thumbnail' | 'render' }> | undefined {
  const image = memberImage(asset);
  if (image.kind === 'thumbnail') return image;
  if (image.kind === 'render' && asset.roles.length === 0) return image;
  return undefined;
}
