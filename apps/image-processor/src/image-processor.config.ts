import * as os from 'node:os';

/** Nest token of {@link ImageProcessorConfig}. */
export const IMAGE_PROCESSOR_CONFIG = Symbol('IMAGE_PROCESSOR_CONFIG');

/** Runtime settings of the image pipeline (from {@link ImageProcessorEnv} in production, literals in tests). */
export interface ImageProcessorConfig {
  /** Decompression-bomb guard: maximum width × height of an input, in pixels (`VELLUM_MAX_IMAGE_PIXELS`). */
  maxImagePixels: number;
  /**
   * Where this process makes its own work directory, `vellum-image-processor-<instanceName>` (`VELLUM_TMP_DIR`,
   * default the OS temp dir); see `WorkDirs`.
   */
  tmpRoot: string;
  /** This process's name in its work directory's name (`SERVICE_INSTANCE`, default `<hostname>-<pid>`). */
  instanceName: string;
  /** Jobs processed side by side (`IMAGE_PROCESSOR_CONCURRENCY`, the consumer prefetch). */
  concurrency: number;
  /** JPEG quality of pyramid tiles (85: YCbCr 4:2:0 tiles; see VELLUM_PYRAMID_QUALITY). */
  pyramidQuality: number;
  /** JPEG quality of thumbnails (85). */
  thumbnailQuality: number;
  /** The JPEG 2000 decoder to run (`OPJ_DECOMPRESS`; default `opj_decompress` from PATH). */
  opjDecompress: string;
  /** poppler's PDF page-info tool (`PDFINFO`; default `pdfinfo` from PATH, Debian `poppler-utils`). */
  pdfinfo: string;
  /** poppler's PDF renderer (`PDFTOPPM`; default `pdftoppm` from PATH, Debian `poppler-utils`). */
  pdftoppm: string;
  /** A decoder child process (opj_decompress, pdfinfo, pdftoppm) is killed after this long, ms (`VELLUM_DECODE_TIMEOUT_MS`). */
  decodeTimeoutMs: number;
}

/** libvips' own default pixel limit (16383 × 16383). */
export const DEFAULT_MAX_IMAGE_PIXELS = 268_402_689;

export function defaultImageProcessorConfig(
  overrides: Partial<ImageProcessorConfig> = {},
): ImageProcessorConfig {
  return {
    maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
    tmpRoot: os.tmpdir(),
    instanceName: `${os.hostname()}-${process.pid}`,
    concurrency: 2,
    pyramidQuality: 85,
    thumbnailQuality: 85,
    opjDecompress: 'opj_decompress',
    pdfinfo: 'pdfinfo',
    pdftoppm: 'pdftoppm',
    decodeTimeoutMs: 120_000,
    ...overrides,
  };
}
