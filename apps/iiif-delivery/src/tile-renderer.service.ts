import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ImageFormat, levelDimensions, type Quality, type TileAddress } from '@vellum/iiif';
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { DeliveryEnv } from './env';
import { cropJpegTopLeft } from './jpeg-crop';
import type { PyramidLease } from './pyramid-cache.service';
import type { PyramidFile } from './pyramid-file';
import { chooseLevel, type Dimensions, type PixelRect } from './pyramid-level';
import { DELIVERY_ENV } from './tokens';

/** What to produce from a region: output size before rotation, then rotation/mirroring, quality and format. */
export interface OutputSpec {
  /** Output pixels before rotation (the resolved IIIF size). */
  width: number;
  height: number;
  /** Clockwise degrees, 0 ≤ degrees < 360 (IIIF Image API 3.0 §4.3). */
  degrees: number;
  /** Mirror horizontally before rotating. */
  mirror: boolean;
  quality: Quality;
  format: ImageFormat;
}

/**
 * How a canonical tile was produced: `stored` = the stored JPEG tile's bytes (tables spliced in, no decoding),
 * `cropped` = a padded edge tile decoded and cropped to its size, `rendered` = rendered from the pyramid like any
 * region (the tile's page cannot be served raw, or the request is not a plain jpg).
 */
export type CanonicalTileSource = 'stored' | 'cropped' | 'rendered';

/** A canonical tile's bytes and how they were produced. */
export interface CanonicalTile {
  body: Buffer;
  source: CanonicalTileSource;
}

/** The formats and qualities and rotations this renderer implements (advertised in info.json). */
export const RENDER_FORMATS: readonly ImageFormat[] = ['jpg', 'png', 'webp', 'tif', 'gif'];
export const RENDER_QUALITIES: readonly Quality[] = ['default', 'color', 'gray', 'bitonal'];

/** JPEG quality of rendered images (the pyramid itself is written at 85 too). */
const JPEG_QUALITY = 85;

/**
 * The sharp (libvips) seam of iiif-delivery: the only file that imports sharp (STYLE.md "External systems behind
 * one seam each"). Renders IIIF image responses from a pyramidal TIFF on local disk (choosing the pyramid page,
 * `sharp(file, { page })`) or from an in-memory image (a thumbnail), and reads pyramid level sizes.
 *
 * Canonical tiles go through {@link renderCanonicalTile}: a canonical request maps to exactly one stored JPEG tile
 * (SPEC.md §10 "Tile serving") whose bytes are served as a complete JPEG without decoding.
 */
@Injectable()
export class TileRenderer {
  private readonly logger = new Logger(TileRenderer.name);
  /** Pyramid page sizes by file path (paths are unique per pyramid version). */
  private readonly levels = new LRUCache<string, Dimensions[]>({ max: 1024 });
  /**
   * Cropped edge tiles (issue 11 "edge tiles": cropping costs more CPU than everything else a tile does), by pyramid
   * file path (unique per pyramid version, so never stale) and tile address; 16 MiB per process.
   */
  private readonly cropped = new LRUCache<string, Buffer>({
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (b) => b.length + 100,
  });

  constructor(@Inject(DELIVERY_ENV) env: DeliveryEnv) {
    sharp.concurrency(env.VELLUM_SHARP_CONCURRENCY);
    // libvips' operation cache is off by default (VELLUM_SHARP_CACHE_MB=0): see DeliveryEnv for the measurements.
    if (env.VELLUM_SHARP_CACHE_MB > 0)
      sharp.cache({ memory: env.VELLUM_SHARP_CACHE_MB, files: 32, items: 200 });
    else sharp.cache(false);
    this.logger.log(
      `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}`,
    );
  }

  /**
   * Pixel sizes of the pages of a pyramidal TIFF, full resolution first (memoised per path).
   * @throws Error when the file is not a readable image.
   */
  async pyramidLevels(file: string): Promise<Dimensions[]> {
    const known = this.levels.get(file);
    if (known) return known;
    const meta = await sharp(file).metadata();
    const pages = meta.pages ?? 1;
    const out: Dimensions[] = [{ width: meta.width, height: meta.height }];
    for (let page = 1; page < pages; page++) {
      const m = await sharp(file, { page }).metadata();
      out.push({ width: m.width, height: m.height });
    }
    this.levels.set(file, out);
    return out;
  }

  /**
   * Produces one canonical tile (SPEC.md §10 "Tile serving"; IIIF Image API 3.0 Implementation Notes §3): when `out`
   * is a default/color jpg without rotation or mirroring of exactly the tile's size, and page `tile.level` of the
   * pyramid is JPEG-compressed (TIFF TN2) with `tileSize` tiles and the floor-rounded size of that level
   * (`levelDimensions`), the stored tile is served: its bytes with the page's JPEG tables spliced in, read with one
   * positioned read (no decode, no re-encode). A right/bottom edge tile (`tile.width`/`height` < `tileSize`) is
   * stored padded to `tileSize`, so it is decoded and cropped to its top-left `width`×`height` (JPEG quality 85).
   * Anything else (not eligible, unreadable directory) renders from the pyramid like any region.
   *
   * `out` has passed the plan's limits (`maxWidth`, `maxArea`), and a stored tile is served only when its size is
   * `out`'s, so the limits hold for the raw bytes too.
   *
   * @param pyramid lease on the cached pyramid file (its tile directory is parsed once per cached file).
   * @param full the asset's recorded size in pixels.
   * @param region the request's region in full-resolution pixels (for the render fallback).
   * @param tile the stored tile from `canonicalTileFor` (@vellum/iiif).
   * @param tileSize the pyramid's tile edge in pixels (512).
   */
  async renderCanonicalTile(
    pyramid: PyramidLease,
    full: Dimensions,
    region: PixelRect,
    tile: TileAddress,
    tileSize: number,
    out: OutputSpec,
  ): Promise<CanonicalTile> {
    const plainJpeg =
      out.format === 'jpg' &&
      (out.quality === 'default' || out.quality === 'color') &&
      out.degrees === 0 &&
      !out.mirror &&
      out.width === tile.width &&
      out.height === tile.height;
    const edge = tile.width !== tileSize || tile.height !== tileSize;
    const croppedKey = edge
      ? `${pyramid.path}\u0000${tile.level}/${tile.col}/${tile.row}/${tile.width}x${tile.height}`
      : '';
    if (plainJpeg && edge) {
      const hit = this.cropped.get(croppedKey);
      if (hit) return { body: hit, source: 'cropped' };
    }
    if (plainJpeg) {
      let file: PyramidFile | undefined;
      try {
        file = await pyramid.file();
      } catch {
        file = undefined; // logged once by the cache; render instead
      }
      if (file && storedTileMatches(file, full, tile, tileSize)) {
        const bytes = await file.readTileJpeg(tile.level, tile.col, tile.row);
        if (!edge) return { body: bytes, source: 'stored' };
        const body = await this.cropStoredTile(bytes, tile.width, tile.height);
        this.cropped.set(croppedKey, body);
        return { body, source: 'cropped' };
      }
    }
    return { body: await this.renderFromPyramid(pyramid.path, full, region, out), source: 'rendered' };
  }

  /**
   * Crops a padded stored edge tile (a complete JPEG, `tileSize`×`tileSize`) to its top-left `width`×`height` pixels:
   * losslessly in the entropy-coded domain ({@link cropJpegTopLeft}, no pixel decoding), or, for a stream that
   * cropper does not handle, by decoding and re-encoding at JPEG quality 85.
   */
  async cropStoredTile(jpeg: Buffer, width: number, height: number): Promise<Buffer> {
    const lossless = cropJpegTopLeft(jpeg, width, height);
    if (lossless) return lossless;
    return sharp(jpeg).extract({ left: 0, top: 0, width, height }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
  }

  /**
   * Renders `region` (full-resolution pixels of an image of size `full`, the asset's recorded size) of the
   * pyramid at `file` as `out` describes, reading the smallest page that has enough pixels.
   * @returns encoded image bytes in `out.format`.
   */
  async renderFromPyramid(
    file: string,
    full: Dimensions,
    region: PixelRect,
    out: OutputSpec,
  ): Promise<Buffer> {
    const levels = await this.pyramidLevels(file);
    const base = levels[0];
    if (base.width !== full.width || base.height !== full.height) {
      // The stored pyramid differs from the recorded size (should not happen): map the region proportionally.
      const sx = base.width / full.width;
      const sy = base.height / full.height;
      const x = Math.min(Math.floor(region.x * sx), base.width - 1);
      const y = Math.min(Math.floor(region.y * sy), base.height - 1);
      region = {
        x,
        y,
        w: Math.max(1, Math.min(Math.round(region.w * sx), base.width - x)),
        h: Math.max(1, Math.min(Math.round(region.h * sy), base.height - y)),
      };
    }
    const choice = chooseLevel(levels, region, out.width, out.height);
    const img = sharp(file, { page: choice.page }).extract({
      left: choice.rect.x,
      top: choice.rect.y,
      width: choice.rect.w,
      height: choice.rect.h,
    });
    return this.finish(img, choice.rect.w, choice.rect.h, out);
  }

  /**
   * Renders `region` (in the source image's pixels; whole image when absent) of an encoded image in memory
   * (a thumbnail) as `out` describes.
   */
  async renderFromImage(input: Buffer, out: OutputSpec, region?: PixelRect): Promise<Buffer> {
    let img = sharp(input);
    let w: number;
    let h: number;
    if (region) {
      img = img.extract({ left: region.x, top: region.y, width: region.w, height: region.h });
      w = region.w;
      h = region.h;
    } else {
      const meta = await img.metadata();
      w = meta.width!;
      h = meta.height!;
    }
    return this.finish(img, w, h, out);
  }

  private async finish(img: sharp.Sharp, srcW: number, srcH: number, out: OutputSpec): Promise<Buffer> {
    if (srcW !== out.width || srcH !== out.height) {
      img = img.resize(out.width, out.height, { fit: 'fill', kernel: 'lanczos3' });
    }
    if (out.degrees !== 0 || out.mirror) {
      // sharp applies rotate/flop at fixed points of its pipeline; IIIF wants extract → resize → mirror → rotate,
      // so the geometry is finished in a second pipeline over the raw pixels.
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
      if (out.mirror) img = img.flop();
      if (out.degrees !== 0) {
        const opaque = out.format === 'jpg';
        img = img.rotate(out.degrees, {
          background: opaque ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 0, g: 0, b: 0, alpha: 0 },
        });
      }
    }
    // One-channel output where the format allows it (jpg, png, tif; webp stays RGB).
    if (out.quality === 'gray') img = img.grayscale().toColourspace('b-w');
    else if (out.quality === 'bitonal') img = img.threshold(128).toColourspace('b-w');
    return this.encode(img, out.format).toBuffer();
  }

  private encode(img: sharp.Sharp, format: ImageFormat): sharp.Sharp {
    switch (format) {
      case 'jpg':
        return img.jpeg({ quality: JPEG_QUALITY });
      case 'png':
        return img.png({ compressionLevel: 6 });
      case 'webp':
        return img.webp({ quality: 80 });
      case 'tif':
        return img.tiff({ compression: 'deflate' });
      case 'gif':
        return img.gif();
    }
  }
}

/**
 * True when the stored tile (`tile.col`, `tile.row`) of page `tile.level` holds exactly the canonical tile's pixels
 * at its top-left: the page's stored tiles can be served as JPEG, its tiles are `tileSize` square, its size is the
 * floor-rounded level size of `full` (libvips), and the tile's output size is the stored cell clipped to the page.
 */
export function storedTileMatches(
  file: PyramidFile,
  full: Dimensions,
  tile: TileAddress,
  tileSize: number,
): boolean {
  const page = file.servablePage(tile.level);
  if (typeof page === 'string') return false;
  if (page.tileWidth !== tileSize || page.tileHeight !== tileSize) return false;
  const level = levelDimensions(full.width, full.height, tile.scaleFactor);
  if (page.width !== level.w || page.height !== level.h) return false;
  return (
    tile.width === Math.min(tileSize, page.width - tile.col * tileSize) &&
    tile.height === Math.min(tileSize, page.height - tile.row * tileSize)
  );
}
