import type { ImageFormat, Quality, Size } from './types';

/**
 * Input of the image information (info.json) builders. Sizes are pixels.
 *
 * - `id`: the service's base URI (scheme, host, prefix, identifier; no trailing slash, no `/info.json`).
 * - `width`/`height`: the full image.
 * - `tileSize`/`scaleFactors`: the tile grid (square tiles); `tiles` is omitted when `scaleFactors` is
 *   empty, `tileSize` is not positive, or the tile exceeds `maxWidth`/`maxHeight`.
 * - `sizes`: preferred full-image sizes (e.g. the open thumbnails); emitted ascending by width,
 *   deduplicated, without any size over the limits (3.0 §5.2: sizes MUST be within the limits).
 * - `maxWidth`/`maxHeight`/`maxArea`: size limits (clients infer maxHeight = maxWidth).
 * - `extraFormats`/`extraQualities`/`extraFeatures`: everything supported; values the compliance level
 *   already includes are dropped. Feature names are 3.0's; `sizeUpscaling` becomes 2.1 `sizeAboveFull`.
 * - `services`: linked services (e.g. the IIIF Auth 2.0 probe service), emitted as `service`.
 * - `profileLevel`: compliance level, default 2.
 */
export interface ImageServiceInfoInput {
  id: string;
  width: number;
  height: number;
  tileSize: number;
  scaleFactors: number[];
  sizes?: Size[];
  maxWidth?: number;
  maxHeight?: number;
  maxArea?: number;
  extraFormats?: ImageFormat[];
  extraQualities?: Quality[];
  extraFeatures?: string[];
  services?: object[];
  profileLevel?: 0 | 1 | 2;
}

/** Input of the level-0 (pre-made thumbnails) info.json builders. */
export interface Level0InfoInput {
  id: string;
  width: number;
  height: number;
  sizes: Size[];
  services?: object[];
}

/** Sizes ascending by width (then height), deduplicated, dropping any over the limits. */
export function sortedSizes(
  sizes: readonly Size[] | undefined,
  limits: { maxWidth?: number; maxHeight?: number; maxArea?: number } = {},
): Size[] {
  const maxW = limits.maxWidth ?? Infinity;
  const maxH = limits.maxHeight ?? maxW;
  const maxA = limits.maxArea ?? Infinity;
  const out: Size[] = [];
  for (const s of sizes ?? []) {
    if (s.width > maxW || s.height > maxH || s.width * s.height > maxA) continue;
    if (!out.some((o) => o.width === s.width && o.height === s.height))
      out.push({ width: s.width, height: s.height });
  }
  return out.sort((a, b) => a.width - b.width || a.height - b.height);
}

/** Whether the tile grid can be advertised within the limits. */
export function tilesAllowed(input: ImageServiceInfoInput): boolean {
  if (!(input.tileSize > 0) || input.scaleFactors.length === 0) return false;
  const maxW = input.maxWidth ?? Infinity;
  const maxH = input.maxHeight ?? maxW;
  const maxA = input.maxArea ?? Infinity;
  return input.tileSize <= maxW && input.tileSize <= maxH && input.tileSize * input.tileSize <= maxA;
}
