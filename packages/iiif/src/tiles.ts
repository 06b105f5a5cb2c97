import { IiifError } from './errors';
import { resolveRegion } from './region';
import { resolveSize } from './size';
import type { ImageRequest, Rect } from './types';

/**
 * Pyramid geometry, matching a libvips pyramidal TIFF (`tiffsave` / sharp `.tiff({ pyramid: true,
 * tile: true, tileWidth: t, tileHeight: t })`) written with square tiles of `tileSize`.
 *
 * libvips (libvips/foreign/vips2tiff.c, `wtiff_layer_init`) starts with the full image and adds a layer
 * below of `width / 2` × `height / 2` in C integer division (FLOOR), while the current layer is larger
 * than one tile in either edge (`width > tile || height > tile`) and both edges are greater than 1.
 * Layer k therefore has scale factor 2^k and size floor(width / 2^k) × floor(height / 2^k).
 *
 * IIIF tile requests (IIIF Image API 3.0 Implementation Notes §3) size each level with CEIL instead
 * (`(width - x + s - 1) / s`), so when an edge is not a multiple of the scale factor the last column
 * (or row) of IIIF tiles at that level needs one more pixel than the stored layer holds: such tiles are
 * not served from the pyramid (see {@link canonicalTileFor}).
 */

/**
 * The scale factors of the pyramid levels: [1, 2, 4, ...], one per libvips layer (see above), so the
 * last one is the first level where the whole image fits in one tile (both edges <= tileSize), or where
 * an edge has shrunk to 1 pixel. This is the `scaleFactors` list to advertise in info.json
 * `tiles` (IIIF Image API 3.0 §5.4, 2.1 §5.2).
 *
 * @param width full image width, pixels (>= 1)
 * @param height full image height, pixels (>= 1)
 * @param tileSize tile edge, pixels (>= 1)
 */
export function scaleFactorsFor(width: number, height: number, tileSize: number): number[] {
  const factors = [1];
  let w = width;
  let h = height;
  while ((w > tileSize || h > tileSize) && w > 1 && h > 1) {
    w = Math.floor(w / 2);
    h = Math.floor(h / 2);
    factors.push(factors[factors.length - 1] * 2);
  }
  return factors;
}

/**
 * The size of the pyramid level with the given scale factor, as libvips writes it: floor(width / sf) ×
 * floor(height / sf) (repeated floor-halving equals one floor division), at least 1 pixel.
 *
 * @param scaleFactor a positive integer (a power of two for real pyramid levels)
 */
export function levelDimensions(
  width: number,
  height: number,
  scaleFactor: number,
): { w: number; h: number } {
  return {
    w: Math.max(1, Math.floor(width / scaleFactor)),
    h: Math.max(1, Math.floor(height / scaleFactor)),
  };
}

/**
 * A stored tile of the pyramid. `level` is the pyramid layer (TIFF page / IFD index: 0 = full
 * resolution, k has scale factor 2^k); `col`/`row` count tiles from the top-left of that layer.
 * `width`×`height` is the output size of the request, equal to the image content of the stored tile
 * starting at its top-left corner: when it is smaller than tileSize×tileSize (right/bottom edge tiles)
 * the stored tile is padded (libvips pads edge tiles to full size) and must be cropped to it.
 */
export interface TileAddress {
  scaleFactor: number;
  level: number;
  col: number;
  row: number;
  /** Output width, pixels (<= tileSize). */
  width: number;
  /** Output height, pixels (<= tileSize). */
  height: number;
}

/**
 * Maps an image request to the one stored pyramid tile that answers it exactly, or null.
 *
 * Non-null only when all of these hold:
 * - rotation `0` (no mirroring), quality `default` or `color`, format `jpg`;
 * - the region resolves to a cell of the advertised grid (IIIF Image API 3.0 Implementation Notes §3):
 *   for a scale factor sf in `scaleFactors` (a power of two), `x = col * tileSize * sf`,
 *   `y = row * tileSize * sf`, `w = min(tileSize * sf, width - x)`, `h = min(tileSize * sf, height - y)`.
 *   Any region form resolving to that rectangle is accepted, so `full` works for a single-tile level;
 * - the size gives `ceil(w / sf)` × `ceil(h / sf)`. Accepted forms, as OpenSeadragon, Mirador and UV send
 *   them: `w,` (only the width is compared: a 2.1 client's aspect-derived height may differ by a pixel
 *   on thin edge tiles), `,h` (only the height), `w,h`, and `max` / 2.1 `full` when sf = 1 (output = region);
 *   any other form (`!w,h`, `pct:n`) if it resolves to exactly that size;
 * - the stored pyramid layer holds exactly those pixels: `col * tileSize + ceil(w / sf) <=
 *   floor(width / sf)` (and likewise for rows), i.e. no tile in an edge column/row at a level where the
 *   image edge is not a multiple of sf (see the file comment on floor vs ceil).
 *
 * @param width full image width, pixels
 * @param height full image height, pixels
 * @param tileSize the advertised (= stored) square tile edge, pixels
 * @param scaleFactors the advertised scale factors (from {@link scaleFactorsFor})
 */
export function canonicalTileFor(
  req: ImageRequest,
  width: number,
  height: number,
  tileSize: number,
  scaleFactors: number[],
): TileAddress | null {
  if (req.rotation.degrees !== 0 || req.rotation.mirror) return null;
  if (req.quality !== 'default' && req.quality !== 'color') return null;
  if (req.format !== 'jpg') return null;
  let rect: Rect;
  try {
    rect = resolveRegion(req.region, width, height);
  } catch (e) {
    if (e instanceof IiifError) return null;
    throw e;
  }
  for (const sf of scaleFactors) {
    const level = Math.log2(sf);
    if (!Number.isInteger(level)) continue;
    const span = tileSize * sf;
    if (rect.x % span !== 0 || rect.y % span !== 0) continue;
    if (rect.w !== Math.min(span, width - rect.x) || rect.h !== Math.min(span, height - rect.y)) continue;
    const outW = Math.ceil(rect.w / sf);
    const outH = Math.ceil(rect.h / sf);
    if (!sizeMatches(req, rect, outW, outH)) continue;
    const col = rect.x / span;
    const row = rect.y / span;
    const layer = levelDimensions(width, height, sf);
    const storedW = Math.min(tileSize, layer.w - col * tileSize);
    const storedH = Math.min(tileSize, layer.h - row * tileSize);
    if (storedW !== outW || storedH !== outH) continue;
    return { scaleFactor: sf, level, col, row, width: outW, height: outH };
  }
  return null;
}

function sizeMatches(req: ImageRequest, rect: Rect, outW: number, outH: number): boolean {
  const size = req.size;
  switch (size.kind) {
    case 'width':
      return size.w === outW;
    case 'height':
      return size.h === outH;
    case 'exact':
      return size.w === outW && size.h === outH;
    case 'max':
      return outW === rect.w && outH === rect.h;
    default:
      try {
        const out = resolveSize(size, rect, req.version);
        return out.w === outW && out.h === outH;
      } catch (e) {
        if (e instanceof IiifError) return false;
        throw e;
      }
  }
}
