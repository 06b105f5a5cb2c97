import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ImageFormat, Quality, TileAddress } from '@vellum/iiif';
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { DeliveryEnv } from './env';
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
 * A later issue adds raw tile passthrough in {@link renderCanonicalTile}: a canonical request maps to exactly one
 * stored JPEG tile (SPEC.md §10 "Tile serving") whose bytes can be returned as is.
 */
@Injectable()
export class TileRenderer {
  private readonly logger = new Logger(TileRenderer.name);
  /** Pyramid page sizes by file path (paths are unique per pyramid version). */
  private readonly levels = new LRUCache<string, Dimensions[]>({ max: 1024 });

  constructor(@Inject(DELIVERY_ENV) env: DeliveryEnv) {
    sharp.concurrency(env.VELLUM_SHARP_CONCURRENCY);
    // libvips' operation cache is off by default (VELLUM_SHARP_CACHE_MB=0): see DeliveryEnv for the measurements.
    if (env.VELLUM_SHARP_CACHE_MB > 0) sharp.cache({ memory: env.VELLUM_SHARP_CACHE_MB, files: 32, items: 200 });
    else sharp.cache(false);
    this.logger.log(`sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}`);
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
   * Renders one canonical tile. Today it decodes and re-encodes like any region; the planned passthrough reads the
   * stored JPEG tile `tile` of page `tile.level` and returns its bytes unchanged when `out` asks for a default
   * quality jpg without rotation.
   */
  async renderCanonicalTile(file: string, full: Dimensions, region: PixelRect, _tile: TileAddress, out: OutputSpec): Promise<Buffer> {
    return this.renderFromPyramid(file, full, region, out);
  }

  /**
   * Renders `region` (full-resolution pixels of an image of size `full`, the asset's recorded size) of the
   * pyramid at `file` as `out` describes, reading the smallest page that has enough pixels.
   * @returns encoded image bytes in `out.format`.
   */
  async renderFromPyramid(file: string, full: Dimensions, region: PixelRect, out: OutputSpec): Promise<Buffer> {
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
        img = img.rotate(out.degrees, { background: opaque ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 0, g: 0, b: 0, alpha: 0 } });
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
