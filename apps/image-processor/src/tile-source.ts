import { scaleFactorsFor } from '@vellum/iiif';
import type { SniffedFormat } from './format-detect';
import type { TiffPage } from './tiff-inspect';

/** Smallest and largest tile edge (pixels) a `use-original` pyramid may have to be served as is. */
export const MIN_ORIGINAL_TILE = 64;
export const MAX_ORIGINAL_TILE = 2048;

/** Whether an origin can be the tile source as it is (`iiif-img/use-original`), and with which tile edge. */
export type TileReadiness =
  | {
      ready: true;
      /** The tile edge (pixels) info.json must advertise for this asset: the origin's own. */
      tileSize: number;
      /** Pixel sizes of the levels delivery uses (page i = scale factor 2^i), largest first. */
      levels: Array<{ width: number; height: number }>;
    }
  | { ready: false; reason: string };

/** What {@link tileReadiness} looks at. */
export interface TileSourceFacts {
  format: SniffedFormat;
  /** Pixel size of the image as sharp reads it (first page, before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 = none). */
  orientation: number;
  /** libvips interpretation from the header (`srgb`, `b-w`, `cmyk`, `rgb16`, ...). */
  space?: string;
  channels?: number;
  /** The TIFF's pages (IFD chain), for a TIFF origin. */
  pages?: TiffPage[];
  /** The tile edge (pixels) the platform advertises for pyramids it writes (the command's `tileSize`, 512). */
  platformTileSize: number;
}

/**
 * Decides whether an origin is "already tile-ready" and can be served as is (SPEC.md §4.3 `use-original`; §5 and
 * §10: a canonical tile request must map to exactly one stored JPEG tile, served without decoding):
 *
 * - a **pyramidal tiled TIFF**: every page tiled with the same square tile of edge T (64–2048 px); page 0 is the
 *   image; page i is ⌊width/2^i⌋ × ⌊height/2^i⌋ for every scale factor of `scaleFactorsFor(width, height, T)` (the
 *   grid info.json advertises for T, as libvips writes levels); further pages may only continue that halving; tiles
 *   JPEG-compressed (TIFF compression 7), 8-bit, chunky, YCbCr/RGB (3 samples) or grey (1 sample), no alpha, no
 *   orientation other than 1 — exactly what iiif-delivery serves byte for byte. info.json then advertises T for this
 *   asset (`derivatives.pyramid.tileSize`), so the grid matches the stored tiles;
 * - a **small JPEG**: at most `platformTileSize` on both edges (a single tile, scale factor 1), 8-bit sRGB or grey,
 *   orientation 1.
 *
 * Anything else (flat or strip TIFF, other compressions, missing or non-halving levels, alpha, CMYK, 16-bit, EXIF
 * rotation, JPEG 2000, PDF, PNG, ...) is not tile-ready: the reason says why, for the log, and the caller writes a
 * pyramid instead (SPEC.md is silent on a non-ready origin under `use-original`; re-encoding serves the asset).
 */
export function tileReadiness(f: TileSourceFacts): TileReadiness {
  const no = (reason: string): TileReadiness => ({ ready: false, reason });
  if (f.orientation !== 1)
    return no(`EXIF/TIFF orientation ${f.orientation} (the stored pixels are not upright)`);
  if (f.format === 'jpeg') {
    if (f.width > f.platformTileSize || f.height > f.platformTileSize)
      return no(
        `a JPEG of ${f.width}×${f.height} is not a single ${f.platformTileSize}-px tile (only a small JPEG is served as is)`,
      );
    if (f.space !== 'srgb' && f.space !== 'b-w')
      return no(`a JPEG in colour space ${f.space ?? 'unknown'} (not 8-bit sRGB or grey)`);
    return {
      ready: true,
      tileSize: f.platformTileSize,
      levels: [{ width: f.width, height: f.height }],
    };
  }
  if (f.format !== 'tiff' || !f.pages)
    return no(
      `a ${f.format === 'unknown' ? 'file' : f.format.toUpperCase()} origin is not a pyramidal tiled TIFF`,
    );
  const pages = f.pages;
  if (pages.length === 0) return no('the TIFF has no pages');
  const first = pages[0];
  if (first.width !== f.width || first.height !== f.height)
    return no(`TIFF page 0 is ${first.width}×${first.height}, not the image's ${f.width}×${f.height}`);
  if (!first.tileWidth || !first.tileHeight) return no('the TIFF is not tiled (strips)');
  if (first.tileWidth !== first.tileHeight)
    return no(`tiles are ${first.tileWidth}×${first.tileHeight}, not square`);
  const tile = first.tileWidth;
  if (tile < MIN_ORIGINAL_TILE || tile > MAX_ORIGINAL_TILE)
    return no(`tile edge ${tile} px is outside ${MIN_ORIGINAL_TILE}–${MAX_ORIGINAL_TILE}`);
  const factors = scaleFactorsFor(f.width, f.height, tile);
  if (pages.length < factors.length)
    return no(
      `${pages.length} page(s), but ${factors.length} levels are needed for ${f.width}×${f.height} with ${tile}-px tiles`,
    );
  const levels: Array<{ width: number; height: number }> = [];
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i];
    const sf = 2 ** i;
    const w = Math.max(1, Math.floor(f.width / sf));
    const h = Math.max(1, Math.floor(f.height / sf));
    if (p.width !== w || p.height !== h)
      return no(`page ${i} is ${p.width}×${p.height}, not ${w}×${h} (level ${i} = ⌊size / ${sf}⌋)`);
    if (p.tileWidth !== tile || p.tileHeight !== tile)
      return no(`page ${i} has ${p.tileWidth ?? 'no'}×${p.tileHeight ?? 'no'} tiles, not ${tile}×${tile}`);
    const why = passthroughProblem(p);
    if (why) return no(`page ${i}: ${why}`);
    if (i < factors.length) levels.push({ width: w, height: h });
  }
  return { ready: true, tileSize: tile, levels };
}

/**
 * Why the tiles of a page cannot be served byte for byte as JPEG files, or undefined when they can. The same rule as
 * iiif-delivery's `passthroughIneligibility` (stored-jpeg-tile.ts), plus no orientation: compression 7, 8-bit,
 * chunky, YCbCr (6) or RGB (2) with 3 samples or grey (1) with 1 sample.
 */
export function passthroughProblem(p: TiffPage): string | undefined {
  if (p.compression !== 7) return `compression ${p.compression ?? 'none'} is not JPEG (7)`;
  if (p.bitsPerSample !== 8) return `${p.bitsPerSample} bits per sample`;
  if (p.planarConfiguration !== 1) return 'planar configuration is not chunky';
  const ok =
    ((p.photometric === 6 || p.photometric === 2) && p.samplesPerPixel === 3) ||
    (p.photometric === 1 && p.samplesPerPixel === 1);
  if (!ok) return `photometric ${p.photometric ?? 'none'} with ${p.samplesPerPixel} samples`;
  if (p.orientation !== 1) return `orientation ${p.orientation}`;
  return undefined;
}
