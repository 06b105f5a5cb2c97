import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NamedQueryProjectionBuildV1 } from '@vellum/contracts';
import {
  claimProjectionBuild,
  completeProjectionBuild,
  findNamedQuery,
  findNamedQueryAssets,
  PRISMA,
  projectionFingerprint,
  type NamedQueryAsset,
  type PrismaClient,
} from '@vellum/db';
import { bindNamedQuery, NamedQueryError, type BoundNamedQuery } from '@vellum/iiif';
import { OBJECT_STORE, type ObjectStore } from '@vellum/storage';
import { IMAGE_PROCESSOR_CONFIG, type ImageProcessorConfig } from '../image-processor.config';
import { MediaRepository } from '../media.repository';
import { WorkDirs } from '../work-dirs';
import { writePdf, type PdfPage } from './pdf-builder';
import { pdfPageSource, zipEntrySource, type MemberImage, type PdfPageSource } from './projection-sources';
import { writeZip, zipEntryName, type ZipEntrySource } from './zip-builder';

/** The text of a redacted page when the template gives no `redactedmessage` (SPEC.md §7). */
export const DEFAULT_REDACTED_MESSAGE = 'This image is restricted and is not included in this PDF.';

/** Content types of the stored objects. */
export const PROJECTION_CONTENT_TYPES = { pdf: 'application/pdf', zip: 'application/zip' } as const;

/**
 * A projection that cannot be built from what the database holds now (the query is gone, its arguments no longer
 * bind, it selects nothing, no member has a picture for the ZIP): the record is failed at once, no retry.
 */
export class ProjectionInputError extends Error {
  override readonly name = 'ProjectionInputError';
}

/** How one build command ended. */
export type BuildOutcome =
  | { outcome: 'built'; itemCount: number; sizeBytes: number; members: number }
  | { outcome: 'skipped'; reason: string };

/** A picture ready for a page or an entry. */
type Picture = Extract<MemberImage, { kind: 'thumbnail' | 'render' }>;

/**
 * Builds one stored projection of a named query (SPEC.md §7 `pdf`, `zip`) for a `named-query.projection.build.v1`:
 * 1. claims the control record (the command's `build` must still be the record's, `in_process`; else skipped);
 * 2. resolves the members now with the shared runner (`findNamedQuery`, `bindNamedQuery`, `findNamedQueryAssets`:
 *    the same assets `/iiif-resource` and delivery's freshness check see) and their fingerprint;
 * 3. streams the PDF (pdfkit: optional `coverpage`, one page per asset from its largest open thumbnail or a render
 *    ≤ 1,000 px of its tile source, assets with roles redacted with `redactedmessage`) or the ZIP (yazl: the
 *    largest open thumbnails, entries named by asset id) into the object store at the command's `output`, one
 *    picture in memory at a time;
 * 4. marks the record done (fingerprint, item count, bytes, roles, object) and deletes the object it replaces.
 * @throws ProjectionInputError when the database says the projection cannot be built (fail, no retry); any other
 *   error (store, database, a picture that cannot be read) is transient (retry).
 */
@Injectable()
export class ProjectionBuildService {
  private readonly log = new Logger(ProjectionBuildService.name);
  private readonly ensuredBuckets = new Map<string, Promise<void>>();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(IMAGE_PROCESSOR_CONFIG) private readonly config: ImageProcessorConfig,
    private readonly media: MediaRepository,
    private readonly workDirs: WorkDirs,
  ) {}

  async build(cmd: NamedQueryProjectionBuildV1, signal?: AbortSignal): Promise<BuildOutcome> {
    const row = await claimProjectionBuild(this.prisma, cmd.projectionId, cmd.build);
    if (!row) return { outcome: 'skipped', reason: 'superseded, already built, or its record is gone' };

    const resolved = await findNamedQuery(this.prisma, cmd.customerId, cmd.queryName);
    if (!resolved) throw new ProjectionInputError(`Named query ${cmd.queryName} not found`);
    let bound: BoundNamedQuery;
    try {
      bound = bindNamedQuery(resolved.query.template, cmd.args);
    } catch (err) {
      if (err instanceof NamedQueryError)
        throw new ProjectionInputError(`Named query ${cmd.queryName}: ${err.message}`);
      throw err;
    }
    const members = await findNamedQueryAssets(this.prisma, cmd.customerId, bound);
    if (members.length === 0)
      throw new ProjectionInputError(`Named query ${cmd.queryName} selects no assets with these arguments`);
    const fingerprint = projectionFingerprint({
      template: resolved.query.template,
      args: cmd.args,
      members,
    });
    const roles = [...new Set(members.flatMap((m) => m.roles))].sort();

    const { bucket, key } = cmd.output;
    await this.ensureBucket(bucket);
    const workDir = await this.workDirs.createJobDir();
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const abort = (): void => {
      body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('the build was abandoned'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const upload = this.store.put(bucket, key, body, { contentType: PROJECTION_CONTENT_TYPES[cmd.kind] });
      // A failed upload must stop the writer too (it may be waiting for the stream to drain).
      upload.catch((err: Error) => body.destroy(err));
      let itemCount: number;
      if (cmd.kind === 'pdf') {
        const writing = writePdf(this.pdfPages(members, bound, workDir), body, {
          title: bound.objectName ?? cmd.queryName,
          coverPage: bound.coverPage,
          subject: `Named query ${cmd.queryName}${cmd.args.length ? ` (${cmd.args.join(', ')})` : ''}`,
        });
        const [written] = await Promise.all([writing, upload]);
        itemCount = written.pageCount;
      } else {
        const entries = this.zipEntries(members, workDir);
        if (entries.length === 0) {
          body.destroy(new ProjectionInputError('no picture'));
          await upload.catch(() => undefined);
          throw new ProjectionInputError(
            `None of the ${members.length} assets of named query ${cmd.queryName} has an open thumbnail or image`,
          );
        }
        const [written] = await Promise.all([writeZip(entries, body), upload]);
        itemCount = written.entryCount;
      }
      const stat = await this.store.stat(bucket, key);
      const sizeBytes = stat?.size ?? 0;
      const done = await completeProjectionBuild(this.prisma, cmd.projectionId, cmd.build, {
        fingerprint,
        itemCount,
        sizeBytes,
        roles,
        objectBucket: bucket,
        objectKey: key,
      });
      if (!done.updated) {
        // Superseded while building: the newer build writes its own key; this object is nobody's.
        await this.store.delete(bucket, key);
        return { outcome: 'skipped', reason: 'superseded while it was being built' };
      }
      if (done.replaced) {
        await this.store
          .delete(done.replaced.bucket, done.replaced.key)
          .catch((err: Error) =>
            this.log.warn(
              `could not delete the replaced ${done.replaced!.bucket}/${done.replaced!.key}: ${err.message}`,
            ),
          );
      }
      return { outcome: 'built', itemCount, sizeBytes, members: members.length };
    } finally {
      signal?.removeEventListener('abort', abort);
      await this.workDirs.removeJobDir(workDir);
    }
  }

  /** The PDF's pages, one per member, each picture fetched when its page is due (the next one prefetched). */
  private async *pdfPages(
    members: NamedQueryAsset[],
    bound: BoundNamedQuery,
    workDir: string,
  ): AsyncGenerator<PdfPage> {
    const sources = members.map((m) => pdfPageSource(m));
    const fetchPage = (i: number): Promise<PdfPage> =>
      this.pdfPage(members[i], sources[i], bound, workDir, i);
    let next: Promise<PdfPage> | undefined = fetchPage(0);
    for (let i = 0; i < members.length; i++) {
      const current: Promise<PdfPage> = next!;
      next = i + 1 < members.length ? fetchPage(i + 1) : undefined;
      // Settled now, so a failing prefetch is never an unhandled rejection when this page fails first.
      next?.catch(() => undefined);
      yield await current;
    }
  }

  private async pdfPage(
    member: NamedQueryAsset,
    source: PdfPageSource,
    bound: BoundNamedQuery,
    workDir: string,
    index: number,
  ): Promise<PdfPage> {
    const label = `${member.customerId}/${member.spaceId}/${member.id}`;
    switch (source.kind) {
      case 'redacted':
        return {
          kind: 'text',
          text: bound.redactedMessage ?? DEFAULT_REDACTED_MESSAGE,
          label,
          ...size(source),
        };
      case 'no-image':
        return {
          kind: 'text',
          text: `${member.id}\n\nNo image is available for this item.`,
          label,
          ...size(source),
        };
      case 'image':
        return {
          kind: 'image',
          jpeg: await this.picture(source.image, workDir, index, label),
          width: source.image.width,
          height: source.image.height,
          label,
        };
    }
  }

  private zipEntries(members: NamedQueryAsset[], workDir: string): ZipEntrySource[] {
    const used = new Set<string>();
    const entries: ZipEntrySource[] = [];
    members.forEach((m, index) => {
      const source = zipEntrySource(m);
      if (!source) return;
      const label = `${m.customerId}/${m.spaceId}/${m.id}`;
      entries.push({
        name: zipEntryName(m.id, 'jpg', used),
        mtime: m.finished ?? m.updated,
        open: async (): Promise<Readable> =>
          source.kind === 'thumbnail'
            ? this.store.get(source.bucket, source.key)
            : bufferStream(await this.picture(source, workDir, index, label)),
      });
    });
    return entries;
  }

  /** The JPEG bytes of a picture: the thumbnail as stored, or a render of the tile source. */
  private async picture(image: Picture, workDir: string, index: number, label: string): Promise<Buffer> {
    if (image.kind === 'thumbnail') return this.store.getBuffer(image.bucket, image.key);
    const file = path.join(workDir, `source-${index}`);
    try {
      await this.store.download(image.bucket, image.key, file);
      const levels = await this.media.pyramidLevels(file);
      // The smallest level that still covers the render (levels are full size first).
      let page = 0;
      levels.forEach((l, i) => {
        if (l.width >= image.width && l.height >= image.height) page = i;
      });
      const raw = await this.media.renderRaw(file, image.width, image.height, {
        page,
        hasAlpha: false,
        mediaType: 'image/tiff',
        limitInputPixels: this.config.maxImagePixels,
      });
      return await this.media.encodeJpeg(raw, image.width, image.height);
    } catch (err) {
      throw new Error(
        `the tile source of ${label} (${image.bucket}/${image.key}) could not be rendered: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    } finally {
      await rm(file, { force: true });
    }
  }

  private ensureBucket(bucket: string): Promise<void> {
    let p = this.ensuredBuckets.get(bucket);
    if (!p) {
      p = this.store.ensureBucket(bucket);
      p.catch(() => this.ensuredBuckets.delete(bucket));
      this.ensuredBuckets.set(bucket, p);
    }
    return p;
  }
}

function size(s: { width: number; height: number }): { width: number; height: number } {
  return { width: s.width, height: s.height };
}

function bufferStream(buf: Buffer): Readable {
  const s = new PassThrough();
  s.end(buf);
  return s;
}
