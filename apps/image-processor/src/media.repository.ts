import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import sharp from 'sharp';
import {
  DECODABLE_FORMATS,
  type DetectedFormat,
  detectFormat,
  FORMAT_MEDIA_TYPES,
  SNIFF_BYTES,
  type SniffedFormat,
} from './format-detect';
import { UnprocessableImageError } from './image-errors';
import { IMAGE_PROCESSOR_CONFIG, type ImageProcessorConfig } from './image-processor.config';
import { inspectTiff } from './tiff-inspect';
import { type TileReadiness, tileReadiness } from './tile-source';

export { DECODABLE_FORMATS, FORMAT_MEDIA_TYPES, type DetectedFormat, type SniffedFormat };

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

/** Be strict: a truncated or damaged file is an error, not a half-grey image (`failOn: 'truncated'`). */
const FAIL_ON = 'truncated' as const;
const WHITE = { r: 255, g: 255, b: 255 };

/** Environment/system failures that say nothing about the input: retry instead of failing the asset. */
const TRANSIENT_MESSAGE =
  /(ENOSPC|No space left|EMFILE|ENFILE|Too many open files|EACCES|Permission denied|ENOMEM|Cannot allocate|out of memory|unable to (open|write|create)|ECONN|ETIMEDOUT|EPIPE)/i;

/**
 * Turns a libvips/sharp error into {@link UnprocessableImageError} when it is the input's fault; returns other
 * errors (I/O, memory) unchanged so they are retried.
 * @param mediaType the DETECTED media type of the input (`DetectedFormat.mediaType`), named in "Unsupported format".
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
  if (mediaType === 'image/heic' && /unsupported|codec|plugin/i.test(first)) {
    // sharp's own libvips has libheif with the AV1 decoder only: HEVC-coded HEIF (iPhone HEIC) cannot be read.
    return new UnprocessableImageError(
      'unsupported',
      `Unsupported format: image/heic (HEVC-coded HEIF cannot be decoded here; AVIF can): ${first}`,
    );
  }
  if (/unsupported image format|unsupported|not a known file format/i.test(first)) {
    return new UnprocessableImageError('unsupported', `Unsupported format: ${mediaType}`);
  }
  return new UnprocessableImageError('corrupt', `Corrupt or truncated image: ${first}`);
}

/** A child process failure as `execFile` reports it. */
type ChildError = NodeJS.ErrnoException & { stderr?: string; stdout?: string; killed?: boolean };

/** Runs a decoder; SIGKILL after `timeoutMs` (a stuck decoder must not hold the job). */
function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err as Error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Long edge (px) a rendered PDF page gets at least (SPEC.md §4.3 "first page rendered at a sensible DPI"). */
export const PDF_MIN_LONG_EDGE = 2000;
/** Resolution (DPI) a PDF page is rendered at least at, when that already gives {@link PDF_MIN_LONG_EDGE}. */
export const PDF_MIN_DPI = 150;
/** Long edge (px) a rendered PDF page never exceeds (a poster-sized page is rendered below {@link PDF_MIN_DPI}). */
export const PDF_MAX_LONG_EDGE = 10_000;

/**
 * The resolution to render a PDF page of `widthPt`×`heightPt` points (1/72 inch, its crop box) at: the larger of
 * {@link PDF_MIN_DPI} and the DPI giving {@link PDF_MIN_LONG_EDGE} px on the long edge, lowered so that the long edge
 * stays within {@link PDF_MAX_LONG_EDGE} px and width × height within `maxPixels` (`VELLUM_MAX_IMAGE_PIXELS`).
 * @returns an integer DPI ≥ 1 and the pixel size it gives (poppler rounds up).
 */
export function pdfRenderDpi(
  widthPt: number,
  heightPt: number,
  maxPixels: number,
): { dpi: number; width: number; height: number } {
  const long = Math.max(widthPt, heightPt, 1e-3);
  let dpi = Math.max(PDF_MIN_DPI, Math.ceil((PDF_MIN_LONG_EDGE * 72) / long));
  dpi = Math.min(dpi, Math.floor((PDF_MAX_LONG_EDGE * 72) / long));
  const areaIn2 = (Math.max(widthPt, 1e-3) / 72) * (Math.max(heightPt, 1e-3) / 72);
  dpi = Math.max(1, Math.min(dpi, Math.floor(Math.sqrt(maxPixels / areaIn2))));
  return { dpi, width: Math.ceil((widthPt * dpi) / 72), height: Math.ceil((heightPt * dpi) / 72) };
}

/** Page facts of a PDF from `pdfinfo -box -f 1 -l 1` output. */
export function parsePdfInfo(stdout: string): {
  pages: number;
  widthPt?: number;
  heightPt?: number;
  rotation: number;
} {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(stdout);
    return m ? Number(m[1]) : undefined;
  };
  const pages = num(/^Pages:\s+(\d+)/m) ?? 0;
  const rotation = num(/^Page\s+1 rot:\s+(-?\d+)/m) ?? 0;
  const box = /^Page\s+1 CropBox:\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)/m.exec(stdout);
  if (box) {
    const [x1, y1, x2, y2] = box.slice(1, 5).map(Number);
    return { pages, widthPt: Math.abs(x2 - x1), heightPt: Math.abs(y2 - y1), rotation };
  }
  const size = /^Page\s+1 size:\s+([\d.]+) x ([\d.]+) pts/m.exec(stdout);
  if (size) return { pages, widthPt: Number(size[1]), heightPt: Number(size[2]), rotation };
  return { pages, rotation };
}

/** The first meaningful line of a poppler error output, without its category prefix and without the file's path. */
function popplerDetail(e: ChildError, file: string): string {
  const lines = `${e.stderr ?? ''}\n${e.stdout ?? ''}`
    .split('\n')
    .map((l) => l.split(file).join('the file').trim())
    .filter((l) => l.length > 0);
  if (lines.some((l) => /incorrect password/i.test(l)))
    return 'the PDF is encrypted and cannot be opened without its password';
  const line = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? `poppler exited with code ${e.code}`;
  return line.replace(
    /^(Syntax|Command Line|I\/O|Internal|Permission)?\s*(Error|Warning)\s*(\(\d+\))?:\s*/i,
    '',
  );
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
  /** Paths or names of poppler's `pdfinfo` and `pdftoppm` (`PDFINFO`, `PDFTOPPM`; default from PATH). */
  private readonly pdfinfo: string;
  private readonly pdftoppm: string;
  /** Kill a decoder child process after this long (`VELLUM_DECODE_TIMEOUT_MS`), ms. */
  private readonly decodeTimeoutMs: number;

  constructor(
    @Optional()
    @Inject(IMAGE_PROCESSOR_CONFIG)
    config?: Partial<
      Pick<ImageProcessorConfig, 'opjDecompress' | 'pdfinfo' | 'pdftoppm' | 'decodeTimeoutMs'>
    >,
  ) {
    this.opjDecompress = config?.opjDecompress ?? 'opj_decompress';
    this.pdfinfo = config?.pdfinfo ?? 'pdfinfo';
    this.pdftoppm = config?.pdftoppm ?? 'pdftoppm';
    this.decodeTimeoutMs = config?.decodeTimeoutMs ?? 120_000;
    sharp.concurrency(1);
    sharp.cache(false);
  }

  /**
   * What a file is, from its content (SPEC.md §4.3 inputs): its first {@link SNIFF_BYTES} bytes through
   * {@link detectFormat}; bytes it does not recognise are offered to libvips' own format detection (header only), so
   * anything libvips knows is still named by what it is. Never trusts names or the declared media type.
   */
  async sniff(file: string): Promise<DetectedFormat> {
    const fh = await open(file, 'r');
    const buf = Buffer.alloc(SNIFF_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0));
    } finally {
      await fh.close();
    }
    const detected = detectFormat(buf.subarray(0, bytesRead));
    if (detected.format !== 'unknown' || detected.mediaType !== 'application/octet-stream') return detected;
    const vips = await sharp(file, { limitInputPixels: false })
      .metadata()
      .then((m) => m.format as string | undefined)
      .catch(() => undefined);
    if (!vips) return detected;
    const known = (Object.keys(FORMAT_MEDIA_TYPES) as SniffedFormat[]).find((f) => f === vips);
    // A format libvips reads but the bytes did not show (e.g. its own `.v` format) is still not an input here.
    return known
      ? { format: known, mediaType: FORMAT_MEDIA_TYPES[known] }
      : { format: 'unknown', mediaType: `image/x-${vips}` };
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
  async decodeJpeg2000(input: string, outputTiff: string, timeoutMs = this.decodeTimeoutMs): Promise<void> {
    try {
      await run(this.opjDecompress, ['-quiet', '-threads', '1', '-i', input, '-o', outputTiff], timeoutMs);
    } catch (err) {
      const e = err as ChildError;
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
   * Renders the FIRST page of a PDF with poppler (Debian `poppler-utils`; SPEC.md §4.3 "PDF (first page rendered at a
   * sensible DPI)"): `pdfinfo` reads the page's crop box (points), {@link pdfRenderDpi} picks the resolution (≥ 2,000 px
   * on the long edge, within the pixel limit), and `pdftoppm -cropbox` writes an uncompressed 8-bit RGB TIFF,
   * `${outputPrefix}.tif`. Each child process is SIGKILLed after `timeoutMs`.
   *
   * @param maxPixels the pixel limit the rendering must stay within (`VELLUM_MAX_IMAGE_PIXELS`).
   * @returns the TIFF written, the DPI used and the page count.
   * @throws UnprocessableImageError `Unsupported or corrupt PDF: …` when poppler cannot open or render it (damaged,
   *   encrypted with a password, no pages): do not retry.
   * @throws Error when poppler is not installed or times out: retry.
   */
  async renderPdfFirstPage(
    input: string,
    outputPrefix: string,
    maxPixels: number,
    timeoutMs = this.decodeTimeoutMs,
  ): Promise<{ file: string; dpi: number; pages: number }> {
    const fail = (detail: string) =>
      new UnprocessableImageError(
        /password/.test(detail) ? 'unsupported' : 'corrupt',
        `Unsupported or corrupt PDF: ${detail}`,
      );
    const poppler = async (cmd: string, args: string[]): Promise<string> => {
      try {
        return (await run(cmd, args, timeoutMs)).stdout;
      } catch (err) {
        const e = err as ChildError;
        if (e.code === 'ENOENT')
          throw new Error(`PDF renderer not installed (${cmd}; Debian package poppler-utils)`);
        if (e.killed) throw new Error(`PDF rendering (${cmd}) timed out after ${timeoutMs} ms`);
        throw fail(popplerDetail(e, input));
      }
    };
    const info = parsePdfInfo(await poppler(this.pdfinfo, ['-box', '-f', '1', '-l', '1', input]));
    if (info.pages < 1) throw fail('the PDF has no pages');
    if (!info.widthPt || !info.heightPt) throw fail('page 1 has no size');
    const { dpi } = pdfRenderDpi(info.widthPt, info.heightPt, maxPixels);
    await poppler(this.pdftoppm, [
      ...['-f', '1', '-l', '1', '-singlefile', '-cropbox', '-r', String(dpi)],
      ...['-tiff', '-tiffcompression', 'none', input, outputPrefix],
    ]);
    const file = `${outputPrefix}.tif`;
    if (!(await stat(file).catch(() => undefined))) throw fail('poppler wrote no image for page 1');
    return { file, dpi, pages: info.pages };
  }

  /**
   * Whether a `use-original` origin can be served as is, and with which tile edge ({@link tileReadiness}): reads the
   * TIFF's IFD chain for a TIFF (header reads only), or uses the header facts for a JPEG.
   * @param platformTileSize the tile edge the platform writes pyramids with (the command's `tileSize`).
   */
  async tileReadiness(file: string, info: SourceInfo, platformTileSize: number): Promise<TileReadiness> {
    let pages;
    if (info.format === 'tiff') {
      try {
        pages = await inspectTiff(file);
      } catch (err) {
        return { ready: false, reason: `its TIFF directory cannot be read (${(err as Error).message})` };
      }
    }
    return tileReadiness({
      format: info.format,
      width: info.width,
      height: info.height,
      orientation: info.orientation,
      space: info.space,
      pages,
      platformTileSize,
    });
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
