import { badRequest } from './errors';
import { parseNonNegativeDecimal, parseNonNegativeInteger } from './numbers';
import type { Rect, RegionRequest } from './types';

/**
 * Parses the region parameter; identical in IIIF Image API 2.1 and 3.0 (§4.1 in both).
 *
 * Forms: `full`, `square`, `x,y,w,h` (non-negative integer pixels), `pct:x,y,w,h` (non-negative
 * decimals, percent of the full image).
 *
 * @throws IiifError 400 for any other syntax, for `w` or `h` equal to 0 (a zero-sized region), and for
 *   a percent `x` or `y` of 100 or more (a region entirely outside the image).
 */
export function parseRegion(s: string): RegionRequest {
  if (s === 'full') return { kind: 'full' };
  if (s === 'square') return { kind: 'square' };
  const percent = s.startsWith('pct:');
  const parts = (percent ? s.slice(4) : s).split(',');
  if (parts.length !== 4) badRequest(`Invalid region "${s}"`);
  const values = parts.map((p) => (percent ? parseNonNegativeDecimal(p) : parseNonNegativeInteger(p)));
  if (values.some((v) => v === undefined)) badRequest(`Invalid region "${s}"`);
  const [x, y, w, h] = values as [number, number, number, number];
  if (w === 0 || h === 0) badRequest(`Region "${s}" has zero width or height`);
  if (percent) {
    if (x >= 100 || y >= 100) badRequest(`Region "${s}" is entirely outside the image`);
    return { kind: 'percent', x, y, w, h };
  }
  return { kind: 'pixels', x, y, w, h };
}

/**
 * Resolves a region against the full image (IIIF Image API 3.0 §4.1, 2.1 §4.1), in full-image pixels.
 *
 * - `full`: the whole image.
 * - `square`: a square of side min(width, height), centred on the longer axis (offset floored).
 * - `pixels`: cropped at the image's edges (a region extending beyond the image is not padded).
 * - `percent`: edges are `round(width * x / 100)` and `round(width * (x + w) / 100)` (likewise for y/h),
 *   rounding half up, so adjacent percent regions share edges; a non-zero percentage yields at least
 *   one pixel; then cropped like `pixels`. The spec leaves rounding to the implementation (3.0 §4.7).
 *
 * @param imageWidth full image width, pixels (> 0)
 * @param imageHeight full image height, pixels (> 0)
 * @returns integer rectangle inside the image, w and h >= 1
 * @throws IiifError 400 when the region is entirely outside the image or has zero width/height.
 */
export function resolveRegion(region: RegionRequest, imageWidth: number, imageHeight: number): Rect {
  switch (region.kind) {
    case 'full':
      return { x: 0, y: 0, w: imageWidth, h: imageHeight };
    case 'square': {
      const side = Math.min(imageWidth, imageHeight);
      return {
        x: Math.floor((imageWidth - side) / 2),
        y: Math.floor((imageHeight - side) / 2),
        w: side,
        h: side,
      };
    }
    case 'pixels':
      return clip(region.x, region.y, region.w, region.h, imageWidth, imageHeight);
    case 'percent': {
      const [x0, x1] = percentEdges(region.x, region.w, imageWidth);
      const [y0, y1] = percentEdges(region.y, region.h, imageHeight);
      return clip(x0, y0, x1 - x0, y1 - y0, imageWidth, imageHeight);
    }
  }
}

function percentEdges(start: number, extent: number, full: number): [number, number] {
  const a = Math.round((full * start) / 100);
  let b = Math.round((full * (start + extent)) / 100);
  if (extent > 0 && b <= a) b = a + 1;
  return [a, b];
}

function clip(x: number, y: number, w: number, h: number, imageWidth: number, imageHeight: number): Rect {
  if (w <= 0 || h <= 0) badRequest('Region has zero width or height');
  if (x >= imageWidth || y >= imageHeight) badRequest('Region is entirely outside the image');
  return { x, y, w: Math.min(w, imageWidth - x), h: Math.min(h, imageHeight - y) };
}

/**
 * The canonical region parameter for a resolved region (IIIF Image API 3.0 §4.8, 2.1 §4.7):
 * `full` when the rectangle is the whole image (including `square` of a square image), else `x,y,w,h`.
 */
export function canonicalRegion(rect: Rect, imageWidth: number, imageHeight: number): string {
  if (rect.x === 0 && rect.y === 0 && rect.w === imageWidth && rect.h === imageHeight) return 'full';
  return `${rect.x},${rect.y},${rect.w},${rect.h}`;
}
