import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import sharp from 'sharp';
import { UnprocessableImageError } from './image-errors';
import { IMAGE_PROCESSOR_CONFIG, type ImageProcessorConfig } from './image-processor.config';

/** Formats recognised by their first bytes (never by file extension). */
export type SniffedFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'webp'
  | 'tiff'
  | 'heif'
  | 'jp2'
  | 'j2k' // decodable
  | 'bmp'
  | 'pdf'
  | 'svg'
  | 'psd'
  | 'ico'
  | 'unknown'; // not decodable here

/** Sniffed formats this repository can decode (JPEG 2000 through OpenJPEG, the rest through sharp/libvips). */
export const DECODABLE_FORMATS: ReadonlySet<SniffedFormat> = new Set([
  'jpeg',
  'png',
  'gif',
  'webp',
  'tiff',
  'heif',
  'jp2',
  'j2k',
]);

/** The media type people know a sniffed format by (for error messages). */
export const FORMAT_MEDIA_TYPES: Record<SniffedFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  heif: 'image/heif',
  jp2: 'image/jp2',
  j2k: 'image/j2k',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  svg: 'image/svg+xml',
  psd: 'image/vnd.adobe.photoshop',
  ico: 'image/x-icon',
  unknown: 'application/octet-stream',
};

/** What decoding needs to know about a source before the pipeline runs. */
export interface SourceInfo {
  format: SniffedFormat;
  /** Pixels as displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  hasAlpha: boolean;
  /** libvips interpretation, e.g. `srgb`, `cmyk`, `b-w`, `rgb16`. */
  space?: string;
}

/** One level of a written pyramid, in pixels. */
export interface PyramidLevel {
  width: number;
  height: number;
}

/** Decode options shared by every sharp call: the pixel guard and how strict to be with damaged files. */
export interface DecodeOptions {
  /** Decompression-bomb guard (width × height), `VELLUM_MAX_IMAGE_PIXELS`. */
  limitInputPixels: number;
}

export interface PyramidOptions extends DecodeOptions {
  /** Tile edge in pixels (512). */
  tileSize: number;
  /** JPEG quality of the tiles (90). */
  quality: number;
}

/** Raw 8-bit sRGB pixels (3 bands), as handed between thumbnail steps. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

const JP2_SIGNATURE = Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);
/** Be strict: a truncated or damaged file is an error, not a half-grey image (`failOn: 'truncated'`). */
const FAIL_ON = 'truncated' as const;
const WHITE = { r: 255, g: 255, b: 255 };

/** Environment/system failures that say nothing about the input: retry instead of failing the asset. */
const TRANSIENT_MESSAGE =
  /(ENOSPC|No space left|EMFILE|ENFILE|Too many open files|EACCES|Permission denied|ENOMEM|Cannot allocate|out of memory|unable to (open|write|create)|ECONN|ETIMEDOUT|EPIPE)/i;

/**
 * Turns a libvips/sharp error into {@link UnprocessableImageError} when it is the input's fault; returns other
 * errors (I/O, memory) unchanged so they are retried.
 */
export function classifyDecodeError(err: unknown, mediaType: string): Error {
  if (err instanceof UnprocessableImageError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if ((e as NodeJS.ErrnoException).code || TRANSIENT_MESSAGE.test(e.message)) return e;
  const first =
    e.message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? e.message;
  if (/pixel limit/i.test(first))
    return new UnprocessableImageError('too-large', `Image too large: ${first}`);
  if (/unsupported image format|unsupported|not a known file format/i.test(first)) {
    return new UnprocessableImageError('unsupported', `Unsupported format: ${mediaType}`);
  }
  return new UnprocessableImageError('corrupt', `Corrupt or truncated image: ${first}`);
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err as Error, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * The one seam around image codecs (immich's `media.repository.ts`): sharp/libvips for everything it reads,
 * OpenJPEG's `opj_decompress` (Debian `libopenjp2-tools`) for JPEG 2000, which sharp cannot read. Services never
 * import sharp. sharp is configured once: one libvips thread per pipeline (`sharp.concurrency(1)`, concurrency
 * comes from running `IMAGE_PROCESSOR_CONCURRENCY` jobs side by side) and no operation cache.
 */
@Injectable()
export class MediaRepository {
  /** Path or name of `opj_decompress` (`OPJ_DECOMPRESS` through {@link ImageProcessorConfig}; default from PATH). */
  private readonly opjDecompress: string;

  constructor(
    @Optional() @Inject(IMAGE_PROCESSOR_CONFIG) config?: Pick<ImageProcessorConfig, 'opjDecompress'>,
  ) {
    this.opjDecompress = config?.opjDecompress ?? 'opj_decompress';
    sharp.concurrency(1);
    sharp.cache(false);
  }

  /** Sniffs the first bytes of a file (SPEC.md §4.3 inputs). Never trusts extensions. */
  async sniff(file: string): Promise<SniffedFormat> {
    const fh = await open(file, 'r');
    const head = Buffer.alloc(64);
    try {
      await fh.read(head, 0, 64, 0);
    } finally {
      await fh.close();
    }
    if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
      return 'png';
    const ascii = head.toString('latin1');
    if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'gif';
    if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'webp';
    if (
      ascii.startsWith('II*\0') ||
      ascii.startsWith('MM\0*') ||
      ascii.startsWith('II+\0') ||
      ascii.startsWith('MM\0+')
    )
      return 'tiff';
    if (head.subarray(0, 12).equals(JP2_SIGNATURE)) return 'jp2';
    if (head[0] === 0xff && head[1] === 0x4f && head[2] === 0xff && head[3] === 0x51) return 'j2k';
    if (ascii.slice(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii.slice(8, 12))) return 'heif';
    if (ascii.startsWith('BM')) return 'bmp';
    if (ascii.startsWith('%PDF')) return 'pdf';
    if (ascii.startsWith('8BPS')) return 'psd';
    if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0) return 'ico';
    if (/^\s*(<\?xml[^>]*>\s*)?<svg/i.test(ascii)) return 'svg';
    return 'unknown';
  }

  /**
   * Width × height of a JPEG 2000 file from its header (JP2 `ihdr` box or the J2K `SIZ` marker), read before
   * decoding so the pixel guard applies before any memory is spent. Returns undefined when not found.
   */
  async jpeg2000Size(file: string): Promise<{ width: number; height: number } | undefined> {
    const fh = await open(file, 'r');
    const head = Buffer.alloc(4096);
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(head, 0, head.length, 0));
    } finally {
      await fh.close();
    }
    const buf = head.subarray(0, n);
    const ihdr = buf.indexOf('ihdr', 0, 'latin1');
    if (ihdr >= 0 && ihdr + 12 <= buf.length) {
      return { height: buf.readUInt32BE(ihdr + 4), width: buf.readUInt32BE(ihdr + 8) };
    }
    const siz = buf.indexOf(Buffer.from([0xff, 0x51]));
    if (siz >= 0 && siz + 26 <= buf.length) {
      const xsiz = buf.readUInt32BE(siz + 6);
      const ysiz = buf.readUInt32BE(siz + 10);
      const xo = buf.readUInt32BE(siz + 14);
      const yo = buf.readUInt32BE(siz + 18);
      return { width: xsiz - xo, height: ysiz - yo };
    }
    return undefined;
  }

  /**
   * Decodes a JPEG 2000 file (JP2 or raw J2K codestream) to an uncompressed TIFF with `opj_decompress`
   * (single-threaded, strict: a truncated codestream fails). The input path must end in `.jp2` or `.j2k`
   * (OpenJPEG picks the codec by extension; callers name the temp file after the sniffed format).
   *
   * @throws UnprocessableImageError('corrupt') when OpenJPEG rejects the file; other errors when it cannot run.
   */
  async decodeJpeg2000(input: string, outputTiff: string, timeoutMs = 120_000): Promise<void> {
    try {
      await run(this.opjDecompress, ['-quiet', '-threads', '1', '-i', input, '-o', outputTiff], timeoutMs);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string; killed?: boolean };
      if (e.code === 'ENOENT')
        throw new Error(
          `JPEG 2000 decoder not installed (${this.opjDecompress}; Debian package libopenjp2-tools)`,
        );
      if (e.killed) throw new Error(`JPEG 2000 decode timed out after ${timeoutMs} ms`);
      const detail =
        `${e.stderr ?? ''}\n${e.stdout ?? ''}`
          .split('\n')
          .map((l) => l.trim())
          .find((l) => /error/i.test(l)) ?? 'OpenJPEG could not decode the file';
      throw new UnprocessableImageError(
        'corrupt',
        `Corrupt or truncated image: ${detail.replace(/^\[?ERROR\]?\s*:?\s*/i, '')}`,
      );
    }
  }

  /**
   * Header facts of a sharp-readable file: displayed size (EXIF orientation applied), alpha, colour space.
   * @throws UnprocessableImageError for unreadable or too-large inputs.
   */
  async probe(file: string, format: SniffedFormat, mediaType: string): Promise<SourceInfo> {
    let meta: sharp.Metadata;
    try {
      // Header only (no decode), so the pixel guard can name the size; decoding enforces limitInputPixels.
      meta = await sharp(file, { limitInputPixels: false, failOn: FAIL_ON }).metadata();
    } catch (err) {
      throw classifyDecodeError(err, mediaType);
    }
    if (!meta.width || !meta.height)
      throw new UnprocessableImageError('corrupt', 'Corrupt or truncated image: no dimensions in the header');
    const orientation = meta.orientation ?? 1;
    const swap = orientation >= 5 && orientation <= 8;
    return {
      format,
      width: swap ? meta.height : meta.width,
      height: swap ? meta.width : meta.height,
      orientation,
      hasAlpha: meta.hasAlpha === true,
      space: meta.space,
    };
  }

  /** A normalising sharp pipeline: pixel guard, strict decode, EXIF orientation, alpha onto white, 8-bit sRGB. */
  private normalised(
    file: string,
    opts: DecodeOptions,
    hasAlpha: boolean,
    sequentialRead: boolean,
  ): sharp.Sharp {
    let img = sharp(file, {
      limitInputPixels: opts.limitInputPixels,
      failOn: FAIL_ON,
      sequentialRead,
    }).rotate();
    if (hasAlpha) img = img.flatten({ background: WHITE });
    return img.toColourspace('srgb');
  }

  /**
   * Writes the tile source (SPEC.md §4.3, §5): a tiled pyramidal TIFF, JPEG-compressed `tileSize`² tiles, 8-bit
   * sRGB, EXIF orientation applied, alpha flattened onto white. libvips writes level 0 at full size and then
   * halves (rounding down) until a level fits in one tile in both dimensions; levels are TIFF pages 0..n-1.
   *
   * @returns the levels actually written, largest first (read back from the file).
   * @throws UnprocessableImageError when the input is the problem.
   */
  async writePyramid(
    input: string,
    output: string,
    opts: PyramidOptions,
    hasAlpha: boolean,
    mediaType: string,
  ): Promise<PyramidLevel[]> {
    try {
      await this.normalised(input, opts, hasAlpha, true)
        .tiff({
          tile: true,
          pyramid: true,
          tileWidth: opts.tileSize,
          tileHeight: opts.tileSize,
          compression: 'jpeg',
          quality: opts.quality,
          bitdepth: 8,
        })
        .toFile(output);
    } catch (err) {
      throw classifyDecodeError(err, mediaType);
    }
    return this.pyramidLevels(output);
  }

  /** Sizes of the pages of a pyramidal TIFF, page 0 (full size) first. */
  async pyramidLevels(file: string): Promise<PyramidLevel[]> {
    const { pages = 1 } = await sharp(file).metadata();
    const levels: PyramidLevel[] = [];
    for (let page = 0; page < pages; page++) {
      const m = await sharp(file, { page }).metadata();
      levels.push({ width: m.width, height: m.height });
    }
    return levels;
  }

  /**
   * Renders one image at exactly `width`×`height` as raw 8-bit sRGB, from the master (shrink-on-load where the
   * format allows: JPEG, WebP, HEIF) or from one page of a pyramid already written (`page`).
   */
  async renderRaw(
    input: string,
    width: number,
    height: number,
    opts: DecodeOptions & { page?: number; hasAlpha: boolean; mediaType: string },
  ): Promise<RawImage> {
    try {
      const base =
        opts.page !== undefined
          ? sharp(input, { page: opts.page, limitInputPixels: opts.limitInputPixels }).toColourspace('srgb')
          : this.normalised(input, opts, opts.hasAlpha, false);
      const { data, info } = await base
        .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: 3 };
    } catch (err) {
      throw classifyDecodeError(err, opts.mediaType);
    }
  }

  /** Resizes raw sRGB pixels (in memory, no decode) and encodes a baseline JPEG thumbnail. */
  async encodeJpeg(raw: RawImage, width: number, height: number, quality = 85): Promise<Buffer> {
    let img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
    if (width !== raw.width || height !== raw.height)
      img = img.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
    return img.jpeg({ quality, progressive: false, mozjpeg: false }).toBuffer();
  }

  /** Downscales raw sRGB pixels in memory (for the next, smaller thumbnail). */
  async resizeRaw(raw: RawImage, width: number, height: number): Promise<RawImage> {
    const { data, info } = await sharp(raw.data, {
      raw: { width: raw.width, height: raw.height, channels: raw.channels },
    })
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  }
}
