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
 * - `sizeBound`: the longest edge (px) any advertised size may have, for a caller who may not have larger full
 *   images (SPEC.md §6: a restricted image's open sizes); sizes above it are left out, added level sizes too.
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
  sizeBound?: number;
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

/**
 * The `sizes` an info.json advertises for a tiled image: the given preferred sizes (within the limits, see
 * {@link sortedSizes}), made unambiguous for deep-zoom clients.
 *
 * OpenSeadragon, the deep-zoom engine inside Mirador and the Universal Viewer, reads `sizes` as the sizes of the
 * tile pyramid's levels whenever their count equals `maxLevel` or `maxLevel + 1` (`maxLevel` = log2 of the largest
 * scale factor; openseadragon `IIIFTileSource`, issues 2618 and 2701), and then requests tiles at those sizes. A
 * list of thumbnail sizes of that length (4 default thumbnails on a 5312-px image with 512-px tiles: maxLevel 4)
 * makes it draw the image wrongly. When the count would be read that way, the level sizes
 * (`ceil(width / sf)` × `ceil(height / sf)` for every scale factor above 1; IIIF Image API 3.0 §5.6) are added,
 * and the full size too if the list would still be misread; the list is then either exactly the levels (read
 * correctly) or long enough to be ignored. Every added size is one the service can render.
 *
 * @returns sizes in pixels, ascending by width; unchanged when there are no tiles or no sizes.
 */
export function advertisedSizes(input: ImageServiceInfoInput): Size[] {
  const bound = input.sizeBound ?? Infinity;
  const within = (s: Size): boolean => Math.max(s.width, s.height) <= bound;
  const sizes = sortedSizes(input.sizes, input).filter(within);
  if (sizes.length === 0 || !tilesAllowed(input)) return sizes;
  const maxLevel = Math.round(Math.log2(Math.max(...input.scaleFactors)));
  const misread = (n: number): boolean => n === maxLevel || n === maxLevel + 1;
  if (!misread(sizes.length)) return sizes;
  const full: Size = { width: input.width, height: input.height };
  const levels = sortedSizes(
    input.scaleFactors
      .filter((sf) => sf > 1)
      .map((sf) => ({ width: Math.ceil(input.width / sf), height: Math.ceil(input.height / sf) })),
  ).filter(within);
  let out = sortedSizes([...sizes, ...levels], input);
  if (misread(out.length) && !sameSizes(out, levels) && !sameSizes(out, [...levels, full])) {
    if (within(full)) out = sortedSizes([...out, full], input);
    // Bounded (a restricted image's open sizes): fewer sizes rather than larger ones; below maxLevel the list is
    // never read as the levels.
    else while (misread(out.length)) out = out.slice(0, -1);
  }
  return out;
}

function sameSizes(a: readonly Size[], b: readonly Size[]): boolean {
  const key = (s: Size): string => `${s.width}x${s.height}`;
  const bs = new Set(b.map(key));
  return a.length === bs.size && a.every((s) => bs.has(key(s)));
}
