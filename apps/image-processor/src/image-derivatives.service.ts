import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ImageDerivativesCreatedV1,
  ImageDerivativesCreateV1,
  ObjectLocation,
  OriginalTileSource,
  StoredThumbnail,
} from '@vellum/contracts';
import {
  OBJECT_STORE,
  ObjectNotFoundError,
  ObjectStore,
  thumbnailKeyUnder,
  thumbnailSizesKeyUnder,
} from '@vellum/storage';
import { UnprocessableImageError } from './image-errors';
import { ImagePipelineService } from './image-pipeline.service';
import { WorkDirs } from './work-dirs';

/**
 * Makes the derivatives one `ImageDerivativesCreateV1` asks for (SPEC.md §4.1 step 3): downloads the staged master
 * into a private job directory (inside this instance's own work directory, see {@link WorkDirs}), runs {@link ImagePipelineService}, uploads the pyramid and thumbnails under the
 * deterministic keys the command names (a reingest overwrites in place; thumbnails of sizes no longer made are
 * removed), and returns the `ImageDerivativesCreatedV1` reply. The job directory is removed whatever the outcome.
 */
@Injectable()
export class ImageDerivativesService {
  private readonly log = new Logger(ImageDerivativesService.name);
  private readonly ensuredBuckets = new Map<string, Promise<void>>();

  constructor(
    private readonly pipeline: ImagePipelineService,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly workDirs: WorkDirs,
  ) {}

  /**
   * @throws UnprocessableImageError when the input is bad (or the staged source is gone): reply Failed, no retry.
   * @throws Error for transient trouble (store, disk): retry.
   */
  async create(cmd: ImageDerivativesCreateV1): Promise<ImageDerivativesCreatedV1> {
    const started = performance.now();
    const workDir = await this.workDirs.createJobDir();
    try {
      const sourceFile = path.join(workDir, 'source');
      try {
        await this.store.download(cmd.source.bucket, cmd.source.key, sourceFile);
      } catch (err) {
        if (err instanceof ObjectNotFoundError) {
          throw new UnprocessableImageError(
            'missing-source',
            `Staged source not found: ${cmd.source.bucket}/${cmd.source.key}`,
          );
        }
        throw err;
      }

      const result = await this.pipeline.run({
        sourceFile,
        mediaType: cmd.mediaType,
        workDir,
        pyramid: cmd.pyramid
          ? { tileSize: cmd.pyramid.tileSize, useOriginal: cmd.pyramid.useOriginal === true }
          : undefined,
        thumbnails: cmd.thumbnails
          ? {
              sizes: cmd.thumbnails.sizes,
              maxWidth: cmd.thumbnails.maxWidth,
              openMax: cmd.thumbnails.openMax,
            }
          : undefined,
      });

      const reply = new ImageDerivativesCreatedV1();
      Object.assign(reply, {
        customerId: cmd.customerId,
        spaceId: cmd.spaceId,
        assetId: cmd.assetId,
        attempt: cmd.attempt,
        width: result.width,
        height: result.height,
        openThumbnails: [] as StoredThumbnail[],
        authThumbnails: [] as StoredThumbnail[],
        // Echoed: the orchestrator finalises from the master actually read (an optimised origin, in place).
        source: cmd.source,
        // A video's poster: the transcoder's reply rides along so the orchestrator finalises both together.
        ...(cmd.avResult ? { avResult: cmd.avResult } : {}),
      });

      if (result.original) {
        reply.useOriginal = Object.assign(new OriginalTileSource(), { tileSize: result.original.tileSize });
      } else if (result.notTileReady !== undefined) {
        // SPEC.md §4.3 is silent on an origin that is not tile-ready under use-original: serve it re-encoded.
        this.log.log(
          `${cmd.customerId}/${cmd.spaceId}/${cmd.assetId}: iiif-img/use-original, but the origin is not tile-ready ` +
            `(${result.notTileReady}): writing a pyramidal TIFF instead`,
        );
      }

      if (cmd.pyramid && result.pyramid) {
        const { bucket, key } = cmd.pyramid.location;
        await this.ensureBucket(bucket);
        const { size } = await this.store.putFile(bucket, key, result.pyramid.file, {
          contentType: 'image/tiff',
        });
        reply.pyramid = location(bucket, key, size);
      }

      if (cmd.thumbnails) {
        const { bucket, keyPrefix } = cmd.thumbnails;
        await this.ensureBucket(bucket);
        const written = new Set<string>();
        for (const t of result.thumbnails) {
          const key = thumbnailKeyUnder(keyPrefix, t.width, t.height);
          const { size } = await this.store.put(bucket, key, t.data, { contentType: 'image/jpeg' });
          written.add(key);
          const stored = Object.assign(new StoredThumbnail(), {
            width: t.width,
            height: t.height,
            location: location(bucket, key, size),
          });
          (t.open ? reply.openThumbnails : reply.authThumbnails).push(stored);
        }
        const sizesDoc = Buffer.from(JSON.stringify({ open: result.open, auth: result.auth }));
        await this.store.put(bucket, thumbnailSizesKeyUnder(keyPrefix), sizesDoc, {
          contentType: 'application/json',
        });
        await this.removeStaleThumbnails(bucket, keyPrefix, written);
      }

      reply.elapsedMs = Math.round(performance.now() - started);
      this.log.log(
        `derivatives of ${cmd.customerId}/${cmd.spaceId}/${cmd.assetId} (attempt ${cmd.attempt}): ${result.format} ` +
          `${result.width}x${result.height}${result.pdf ? ` (PDF page 1 of ${result.pdf.pages} at ${result.pdf.dpi} dpi)` : ''}, ` +
          `pyramid ${result.pyramid ? `${result.pyramid.levels.length} levels ${result.pyramid.size} B` : result.original ? `the origin as is (${result.original.tileSize}-px tiles, ${result.original.levels.length} levels)` : 'none'}, ` +
          `${result.thumbnails.length} thumbnails; pipeline ${result.elapsedMs} ms, total ${reply.elapsedMs} ms`,
      );
      return reply;
    } finally {
      await this.workDirs.removeJobDir(workDir);
    }
  }

  /** Thumbnails left from an earlier ingest with other sizes (SPEC.md §8 clean-up on reingest). */
  private async removeStaleThumbnails(bucket: string, keyPrefix: string, keep: Set<string>): Promise<void> {
    const stale: string[] = [];
    for await (const { key } of this.store.list(bucket, `${keyPrefix}/full/`)) {
      if (!keep.has(key) && key.endsWith('/0/default.jpg')) stale.push(key);
    }
    for (const key of stale) await this.store.delete(bucket, key);
  }

  /** Creates a bucket once per process (idempotent on the store side too). */
  private ensureBucket(bucket: string): Promise<void> {
    let p = this.ensuredBuckets.get(bucket);
    if (!p) {
      p = this.store.ensureBucket(bucket).catch((err: unknown) => {
        this.ensuredBuckets.delete(bucket);
        throw err;
      });
      this.ensuredBuckets.set(bucket, p);
    }
    return p;
  }
}

function location(bucket: string, key: string, size: number): ObjectLocation {
  return Object.assign(new ObjectLocation(), { bucket, key, size });
}
