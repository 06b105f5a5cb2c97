/**
 * Pure arithmetic that maps an image request onto a pyramid level (SPEC.md §5: the pyramid has one level per
 * advertised scale factor, each half the previous). Kept free of sharp so it can be table-tested.
 */

/** A rectangle in pixels (integers). */
export interface PixelRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Pixel dimensions. */
export interface Dimensions {
  width: number;
  height: number;
}

/** Which pyramid page to read and the region in that page's pixel coordinates. */
export interface LevelChoice {
  /** 0 = full resolution. */
  page: number;
  /** Region in the page's pixels, clamped to the page. */
  rect: PixelRect;
  /** Nominal downscale factor of the page (full width / page width, rounded to an integer). */
  scale: number;
}

/**
 * Chooses the smallest pyramid level that still has at least as many pixels as the output needs: the page
 * whose scale s is the largest where region / s pixels cover the output, allowing the half-pixel shortfall of the
 * IIIF tile arithmetic (an edge tile of scale factor s is ceil(w / s) wide) but never more than 10 %, then maps the full-resolution region into that page's coordinates with
 * the nominal scale (edges floored/ceiled outward, clamped to the page, at least 1×1 pixel).
 *
 * @param levels pixel sizes of the pyramid pages, full resolution first (levels[0] = full image).
 * @param region region in full-resolution pixels (inside the image).
 * @param outWidth output width in pixels (before rotation), ≥ 1.
 * @param outHeight output height in pixels (before rotation), ≥ 1.
 */
export function chooseLevel(
  levels: Dimensions[],
  region: PixelRect,
  outWidth: number,
  outHeight: number,
): LevelChoice {
  if (levels.length === 0) throw new Error('chooseLevel: a pyramid has at least one level');
  const full = levels[0];
  let page = 0;
  for (let i = 1; i < levels.length; i++) {
    const s = Math.max(1, Math.round(full.width / levels[i].width));
    if (covers(region.w / s, outWidth) && covers(region.h / s, outHeight)) page = i;
    else break;
  }
  const level = levels[page];
  const scale = page === 0 ? 1 : Math.max(1, Math.round(full.width / level.width));
  // Map with the nominal scale so canonical tile edges (multiples of tileSize × scale) land on exact pixels.
  const x0 = Math.min(Math.floor(region.x / scale), level.width - 1);
  const y0 = Math.min(Math.floor(region.y / scale), level.height - 1);
  const x1 = Math.min(Math.max(Math.ceil((region.x + region.w) / scale), x0 + 1), level.width);
  const y1 = Math.min(Math.max(Math.ceil((region.y + region.h) / scale), y0 + 1), level.height);
  return { page, rect: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, scale };
}

/** True when `available` level pixels may produce `wanted` output pixels (see {@link chooseLevel}). */
function covers(available: number, wanted: number): boolean {
  return available >= wanted || (available >= wanted - 0.5 && available >= wanted * 0.9);
}
