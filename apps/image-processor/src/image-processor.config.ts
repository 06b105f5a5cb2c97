import * as os from 'node:os';
import * as path from 'node:path';

/** Nest token of {@link ImageProcessorConfig}. */
export const IMAGE_PROCESSOR_CONFIG = Symbol('IMAGE_PROCESSOR_CONFIG');

/** Runtime settings of the image pipeline (from {@link ImageProcessorEnv} in production, literals in tests). */
export interface ImageProcessorConfig {
  /** Decompression-bomb guard: maximum width × height of an input, in pixels (`VELLUM_MAX_IMAGE_PIXELS`). */
  maxImagePixels: number;
  /** Where per-job work directories are made (`VELLUM_TMP_DIR`); each job's directory is removed afterwards. */
  tmpDir: string;
  /** Jobs processed side by side (`IMAGE_PROCESSOR_CONCURRENCY`, the consumer prefetch). */
  concurrency: number;
  /** JPEG quality of pyramid tiles (85: YCbCr 4:2:0 tiles; see VELLUM_PYRAMID_QUALITY). */
  pyramidQuality: number;
  /** JPEG quality of thumbnails (85). */
  thumbnailQuality: number;
  /** The JPEG 2000 decoder to run (`OPJ_DECOMPRESS`; default `opj_decompress` from PATH). */
  opjDecompress: string;
}

/** libvips' own default pixel limit (16383 × 16383). */
export const DEFAULT_MAX_IMAGE_PIXELS = 268_402_689;

export function defaultImageProcessorConfig(
  overrides: Partial<ImageProcessorConfig> = {},
): ImageProcessorConfig {
  return {
    maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
    tmpDir: path.join(os.tmpdir(), 'vellum-image-processor'),
    concurrency: 2,
    pyramidQuality: 85,
    thumbnailQuality: 85,
    opjDecompress: 'opj_decompress',
    ...overrides,
  };
}
