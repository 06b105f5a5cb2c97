import { availableParallelism } from 'node:os';
import { IsOptional, IsString, Matches } from 'class-validator';
import { EnvInt, IsPort, IsUrlLike, ObjectStoreEnv } from '@vellum/common';
import { DEFAULT_MAX_IMAGE_PIXELS } from './image-processor.config';

/** An absolute path or a command name looked up on PATH (a relative path would depend on the working directory). */
const COMMAND = /^(\/[^\0\n]*|[^/\s\0]+)$/;

/**
 * Environment of the image-processor (SPEC.md §9), validated at boot; see `.env.example`. The object-store
 * variables (`S3_*`, `VELLUM_STORAGE_ROOT`) come from {@link ObjectStoreEnv} (no bucket names: every command
 * names its locations), the common ones (`LOG_LEVEL`, `HOST`, `SHUTDOWN_TIMEOUT_MS`...) from `BaseEnv`.
 */
export class ImageProcessorEnv extends ObjectStoreEnv {
  /** HTTP port for /health and /metrics; default 3004. */
  @IsPort()
  PORT: number = 3004;

  /** RabbitMQ URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  @IsUrlLike(['amqp', 'amqps'])
  AMQP_URL!: string;

  /**
   * `postgresql://...` of the metadata store: the projection worker (`src/projections/`) reads named queries and
   * their members, and writes the projection control records (SPEC.md §7 `pdf`, `zip`). Image derivatives need no
   * database.
   */
  @IsUrlLike(['postgres', 'postgresql'])
  DATABASE_URL!: string;

  /** The topic exchange; default `vellum`. */
  @IsOptional()
  @IsString()
  AMQP_EXCHANGE?: string;

  /**
   * Images processed side by side by this process (the consumer prefetch); default one more than the CPUs
   * (`os.availableParallelism() + 1`): a job spends about a third of its time reading and writing the object store,
   * so one extra job keeps every core busy. On 2 cores, 24 MP JPEGs: 2.92 images/s at 2, 3.87 at 3
   * (`scripts/bench/batches.mjs`); peak RSS 323 MiB with 4 jobs (`scripts/bench/image-rss.mjs`).
   */
  @EnvInt(1, 64)
  IMAGE_PROCESSOR_CONCURRENCY: number = availableParallelism() + 1;

  /**
   * Images of immediate registrations (the priority lane: `PUT` of one asset) processed beside the batch jobs, from
   * a queue of their own, so a `PUT` never waits for a batch job to finish; default 1.
   */
  @EnvInt(1, 64)
  IMAGE_PROCESSOR_PRIORITY_CONCURRENCY: number = 1;

  /**
   * Named-query PDFs and ZIPs built side by side (the prefetch of `named-query.projection.build.v1`, a queue of its
   * own beside the image jobs); default 1: a build is long and mostly waits on the object store.
   */
  @EnvInt(1, 16)
  IMAGE_PROCESSOR_PROJECTION_CONCURRENCY: number = 1;

  /** Decompression-bomb guard: maximum input width × height in pixels; default 268402689 (16383²). */
  @EnvInt(1)
  VELLUM_MAX_IMAGE_PIXELS: number = DEFAULT_MAX_IMAGE_PIXELS;

  /**
   * JPEG quality of pyramid tiles; default 85. Keep it below 90: libvips writes quality ≥ 90 as RGB-colourspace
   * JPEG tiles without chroma subsampling (TIFF photometric RGB, ~3× the bytes, and not safe to serve byte for byte
   * to browsers); below 90 as standard YCbCr 4:2:0 tiles, which the tile server can pass through unchanged.
   */
  @EnvInt(1, 100)
  VELLUM_PYRAMID_QUALITY: number = 85;

  /**
   * Where this process makes its own work directory, `vellum-image-processor-<SERVICE_INSTANCE>` (downloads, decoded
   * JPEG 2000, the pyramid before upload); default the OS temp dir. See `WorkDirs`.
   */
  @IsOptional()
  @IsString()
  VELLUM_TMP_DIR?: string;

  /**
   * The JPEG 2000 decoder, `opj_decompress` of Debian `libopenjp2-tools`: an absolute path, or a command name
   * looked up on PATH; default `opj_decompress`. (A relative path would depend on the working directory.)
   */
  @IsString()
  @Matches(COMMAND, {
    message: '$property must be an absolute path or a command name on PATH (e.g. /usr/bin/opj_decompress)',
  })
  OPJ_DECOMPRESS: string = 'opj_decompress';

  /** poppler's `pdfinfo` (Debian `poppler-utils`), for PDF input: an absolute path or a command name; default `pdfinfo`. */
  @IsString()
  @Matches(COMMAND, {
    message: '$property must be an absolute path or a command name on PATH (e.g. /usr/bin/pdfinfo)',
  })
  PDFINFO: string = 'pdfinfo';

  /** poppler's `pdftoppm` (Debian `poppler-utils`), renders a PDF's first page: a path or a command; default `pdftoppm`. */
  @IsString()
  @Matches(COMMAND, {
    message: '$property must be an absolute path or a command name on PATH (e.g. /usr/bin/pdftoppm)',
  })
  PDFTOPPM: string = 'pdftoppm';

  /** A decoder child process (opj_decompress, pdfinfo, pdftoppm) is killed after this many ms; default 120000. */
  @EnvInt(1000, 3_600_000)
  VELLUM_DECODE_TIMEOUT_MS: number = 120_000;
}
