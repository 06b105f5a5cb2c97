import { stat, symlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { scaleFactorsFor, splitOpenAuth, thumbnailSizesFor } from '@vellum/iiif';
import { UnprocessableImageError } from './image-errors';
import { IMAGE_PROCESSOR_CONFIG, ImageProcessorConfig } from './image-processor.config';
import {
  DECODABLE_FORMATS,
  MediaRepository,
  PyramidLevel,
  RawImage,
  SniffedFormat,
} from './media.repository';

/** What to make from one master file (the file-level part of `ImageDerivativesCreateV1`). */
export interface PipelineRequest {
  /** The staged master, on local disk. */
  sourceFile: string;
  /** The asset's declared media type (logs only: the format is detected from the bytes, and errors name that). */
  mediaType: string;
  /** A private, existing directory for intermediate and output files (the caller removes it). */
  workDir: string;
  /**
   * Make the tile source (iiif-img channel): a pyramidal TIFF with this tile edge in pixels; with `useOriginal`
   * (policy `iiif-img/use-original`), keep the source itself when it is tile-ready (`tile-source.ts`) and write a
   * pyramid only when it is not.
   */
  pyramid?: { tileSize: number; useOriginal?: boolean };
  /** Make thumbnails (thumbs channel): IIIF size strings, longest-edge cap, open/auth split (SPEC.md §4.3, §6). */
  thumbnails?: { sizes: string[]; maxWidth?: number; openMax?: number };
}

export interface PipelineThumbnail {
  width: number;
  height: number;
  /** Baseline JPEG bytes. */
  data: Buffer;
  /** Open (anyone) or auth (needs a role). */
  open: boolean;
}

export interface PipelineResult {
  format: SniffedFormat;
  /** The media type detected from the bytes (e.g. `image/avif`, `application/pdf`). */
  detectedMediaType: string;
  /** Pixels, after EXIF orientation; for a PDF, of its first page as rendered. */
  width: number;
  height: number;
  /** The written pyramidal TIFF: its file in `workDir`, byte size, levels (largest first) and scale factors. */
  pyramid?: { file: string; size: number; levels: PyramidLevel[]; scaleFactors: number[]; tileSize: number };
  /** `use-original` and the source is tile-ready: it is the tile source as is (no pyramid written). */
  original?: { tileSize: number; levels: PyramidLevel[]; scaleFactors: number[] };
  /** `use-original` but the source is not tile-ready: why (a pyramid was written instead). */
  notTileReady?: string;
  /** PDF input: the resolution its first page was rendered at (DPI) and its page count. */
  pdf?: { dpi: number; pages: number };
  /** Largest first. */
  thumbnails: PipelineThumbnail[];
  /** `[w, h]` pairs, largest first, as written to `sizes.json`. */
  open: Array<[number, number]>;
  auth: Array<[number, number]>;
  elapsedMs: number;
}

/** Media types that name JPEG 2000 (the bytes decide; these are accepted as equivalent declarations). */
export const JPEG2000_MEDIA_TYPES = new Set([
  'image/jp2',
  'image/jpx',
  'image/j2k',
  'image/jpm',
  'image/jph',
]);

/**
 * The image derivative pipeline (SPEC.md §4.3, §5 pyramid paragraph, §10 ingest): detect the format from the bytes
 * (anything but JPEG, PNG, TIFF, WebP, GIF, HEIF/AVIF, JPEG 2000 and PDF → "Unsupported format: <detected type>") →
 * (JPEG 2000 → TIFF through OpenJPEG; PDF → its first page as a TIFF through poppler) → pixel guard → the tile
 * source: with `use-original`, the origin itself when it is tile-ready, else one full decode of the master written as
 * the pyramidal TIFF (EXIF orientation, sRGB, alpha onto white) → the largest thumbnail from the smallest level that
 * covers it (or from a shrink-on-load decode of the master when there are no levels) → every smaller thumbnail
 * resized in memory from the largest. So the master is decoded once, whatever the number of thumbnails. Multi-page
 * and animated inputs give their first page / frame.
 */
@Injectable()
export class ImagePipelineService {
  constructor(
    private readonly media: MediaRepository,
    @Inject(IMAGE_PROCESSOR_CONFIG) private readonly config: ImageProcessorConfig,
  ) {}

  /**
   * Runs the pipeline on one local file; writes intermediates and the pyramid into `req.workDir`.
   * @throws UnprocessableImageError for bad input (empty, corrupt, unsupported, too many pixels): do not retry.
   * @throws Error for anything else (disk, decoder missing): retry.
   */
  async run(req: PipelineRequest): Promise<PipelineResult> {
    const started = performance.now();
    const limitInputPixels = this.config.maxImagePixels;
    // An empty origin would otherwise be sniffed as an unknown format ("Unsupported format: application/octet-stream").
    if ((await stat(req.sourceFile)).size === 0)
      throw new UnprocessableImageError('empty', 'The origin file is empty (0 bytes)');
    // The bytes decide (SPEC.md §4.3): never the declared mediaType, never a file name.
    const detected = await this.media.sniff(req.sourceFile);
    const { format } = detected;
    if (!DECODABLE_FORMATS.has(format))
      throw new UnprocessableImageError('unsupported', `Unsupported format: ${detected.mediaType}`);

    let input = req.sourceFile;
    let pdf: PipelineResult['pdf'];
    if (format === 'jp2' || format === 'j2k') {
      const size = await this.media.jpeg2000Size(req.sourceFile);
      if (size) this.guardPixels(size.width, size.height);
      // OpenJPEG chooses its codec by extension: give it one that matches the sniffed bytes.
      const named = path.join(req.workDir, `source.${format}`);
      await symlink(path.resolve(req.sourceFile), named);
      input = path.join(req.workDir, 'decoded.tif');
      await this.media.decodeJpeg2000(named, input);
    } else if (format === 'pdf') {
      // The first page, rendered by poppler at ≥ 2,000 px on the long edge (within the pixel limit).
      const page = await this.media.renderPdfFirstPage(
        req.sourceFile,
        path.join(req.workDir, 'pdf-page-1'),
        limitInputPixels,
      );
      input = page.file;
      pdf = { dpi: page.dpi, pages: page.pages };
    }

    // sharp reads the first page / frame only (its default `pages: 1`, `page: 0`): a multi-page TIFF's first page,
    // an animated GIF/WebP's first frame, a HEIF's primary image. Nothing here asks for more pages.
    const info = await this.media.probe(input, format, detected.mediaType);
    this.guardPixels(info.width, info.height);
    const { width, height } = info;

    let pyramid: PipelineResult['pyramid'];
    let original: PipelineResult['original'];
    let notTileReady: string | undefined;
    if (req.pyramid?.useOriginal) {
      const tileSize = req.pyramid.tileSize;
      const verdict =
        input === req.sourceFile
          ? await this.media.tileReadiness(input, info, tileSize)
          : ({ ready: false, reason: `a ${detected.mediaType} origin has to be decoded first` } as const);
      if (verdict.ready) {
        original = {
          tileSize: verdict.tileSize,
          levels: verdict.levels,
          scaleFactors: scaleFactorsFor(width, height, verdict.tileSize),
        };
      } else notTileReady = verdict.reason;
    }
    if (req.pyramid && !original) {
      const tileSize = req.pyramid.tileSize;
      const file = path.join(req.workDir, 'pyramid.tif');
      const levels = await this.media.writePyramid(
        input,
        file,
        { limitInputPixels, tileSize, quality: this.config.pyramidQuality },
        info.hasAlpha,
        detected.mediaType,
      );
      const scaleFactors = scaleFactorsFor(width, height, tileSize);
      assertLevelsMatch(levels, scaleFactors, width, height);
      const { size } = await stat(file);
      pyramid = { file, size, levels, scaleFactors, tileSize };
    }

    const thumbnails: PipelineThumbnail[] = [];
    let open: Array<[number, number]> = [];
    let auth: Array<[number, number]> = [];
    if (req.thumbnails) {
      const sizes = dedupeSizes(
        thumbnailSizesFor(req.thumbnails.sizes, width, height, { maxWidth: req.thumbnails.maxWidth }),
      );
      const split = splitOpenAuth(sizes, req.thumbnails.openMax);
      const openKeys = new Set(split.open.map((s) => `${s.width},${s.height}`));
      open = split.open.map((s) => [s.width, s.height]);
      auth = split.auth.map((s) => [s.width, s.height]);
      if (sizes.length > 0) {
        const [largest, ...rest] = sizes;
        let raw: RawImage;
        // The largest thumbnail comes from the smallest level that covers it: of the pyramid just written, or of
        // the tile-ready origin; else from a shrink-on-load decode of the (decoded) master.
        const levelled = pyramid
          ? { file: pyramid.file, levels: pyramid.levels }
          : original
            ? { file: input, levels: original.levels }
            : undefined;
        const page = levelled ? pickLevel(levelled.levels, largest.width, largest.height) : undefined;
        if (levelled && page !== undefined) {
          raw = await this.media.renderRaw(levelled.file, largest.width, largest.height, {
            limitInputPixels,
            page,
            hasAlpha: false,
            mediaType: detected.mediaType,
          });
        } else {
          raw = await this.media.renderRaw(input, largest.width, largest.height, {
            limitInputPixels,
            hasAlpha: info.hasAlpha,
            mediaType: detected.mediaType,
          });
        }
        const q = this.config.thumbnailQuality;
        thumbnails.push({
          ...largest,
          data: await this.media.encodeJpeg(raw, largest.width, largest.height, q),
          open: openKeys.has(`${largest.width},${largest.height}`),
        });
        for (const s of rest) {
          thumbnails.push({
            ...s,
            data: await this.media.encodeJpeg(raw, s.width, s.height, q),
            open: openKeys.has(`${s.width},${s.height}`),
          });
        }
      }
    }

    return {
      format,
      detectedMediaType: detected.mediaType,
      width,
      height,
      pyramid,
      ...(original ? { original } : {}),
      ...(notTileReady !== undefined ? { notTileReady } : {}),
      ...(pdf ? { pdf } : {}),
      thumbnails,
      open,
      auth,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  /** @throws UnprocessableImageError('too-large') past `VELLUM_MAX_IMAGE_PIXELS` (decompression-bomb guard). */
  private guardPixels(width: number, height: number): void {
    const pixels = width * height;
    if (pixels > this.config.maxImagePixels) {
      throw new UnprocessableImageError(
        'too-large',
        `Image too large: ${width}×${height} = ${pixels} pixels exceeds the limit of ${this.config.maxImagePixels} pixels (VELLUM_MAX_IMAGE_PIXELS)`,
      );
    }
  }
}

/** Keeps the order (largest first, as `thumbnailSizesFor` gives it) and drops duplicate sizes. */
export function dedupeSizes(
  sizes: Array<{ width: number; height: number }>,
): Array<{ width: number; height: number }> {
  const seen = new Set<string>();
  const out: Array<{ width: number; height: number }> = [];
  for (const s of sizes) {
    const k = `${s.width},${s.height}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ width: s.width, height: s.height });
    }
  }
  return out;
}

/** The index of the smallest pyramid level still at least `width`×`height` (levels largest first). */
export function pickLevel(levels: PyramidLevel[], width: number, height: number): number | undefined {
  let pick: number | undefined;
  levels.forEach((l, i) => {
    if (l.width >= width && l.height >= height) pick = i;
  });
  return pick;
}

/**
 * The pyramid must have exactly one level per advertised scale factor, level i being ⌊size / scaleFactor⌋, so that
 * a canonical tile request maps to one stored tile (SPEC.md §5, §10). A mismatch is a bug, not bad input.
 */
export function assertLevelsMatch(
  levels: PyramidLevel[],
  scaleFactors: number[],
  width: number,
  height: number,
): void {
  const expected = scaleFactors.map((sf) => ({
    width: Math.floor(width / sf),
    height: Math.floor(height / sf),
  }));
  const ok =
    levels.length === expected.length &&
    levels.every((l, i) => l.width === expected[i].width && l.height === expected[i].height);
  if (!ok) {
    throw new Error(
      `Pyramid levels ${JSON.stringify(levels.map((l) => `${l.width}x${l.height}`))} do not match scale factors ` +
        `${JSON.stringify(scaleFactors)} for ${width}x${height}`,
    );
  }
}
