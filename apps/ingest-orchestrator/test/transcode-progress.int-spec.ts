import 'reflect-metadata';
import { AvTranscodeProgressV1, validatePayload } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import type { VellumRmqContext } from '@vellum/messaging';
import { createTestDatabase, type TestDatabase } from '@vellum/testing';
import { TranscodeProgressHandler } from '../src/transcode-progress.handler';

/**
 * `av.transcode.progress.v1` on the asset (SPEC.md §4.4 "visible on the asset's metadata"), against a real migrated
 * Postgres: the orchestrator's handler stores the latest report of the current, still-ingesting attempt as
 * `assets.ingestProgress`, and leaves the row alone for another attempt, a finalised asset or an older report.
 * (The bus hop, transcoder → orchestrator, runs in apps/av-transcoder/test/av-ingest.int-spec.ts.)
 */
describe('ingest-orchestrator: transcode progress on the asset (integration)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let handler: TranscodeProgressHandler;
  let customerId: number;
  const ctx = {} as VellumRmqContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    handler = new TranscodeProgressHandler(prisma);
    customerId = (await prisma.customer.create({ data: { name: 'progress', displayName: 'Progress' } })).id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 120_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  const report = (assetId: string, attempt: number, fraction: number, at: string) =>
    validatePayload<AvTranscodeProgressV1>(AvTranscodeProgressV1.routingKey, {
      customerId,
      spaceId: 1,
      assetId,
      attempt,
      preset: 'video-mp4-720p',
      presetIndex: 1,
      presetCount: 2,
      fraction,
      speed: 4.5,
      at,
    });
  const progressOf = async (id: string) =>
    (
      await prisma.asset.findUniqueOrThrow({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id } },
        select: { ingestProgress: true, updated: true },
      })
    ).ingestProgress;
  const insert = (id: string, ingesting: boolean) =>
    prisma.asset.create({
      data: { customerId, spaceId: 1, id, mediaType: 'video/mp4', ingesting, ingestAttempt: 2 },
    });

  it('stores the latest report of the ingesting attempt, never an older one, and leaves updated alone', async () => {
    const created = await insert('running', true);
    await handler.onProgress(report('running', 2, 0.25, '2026-12-01T10:00:05.000Z'), ctx);
    expect(await progressOf('running')).toEqual({
      attempt: 2,
      preset: 'video-mp4-720p',
      presetIndex: 1,
      presetCount: 2,
      fraction: 0.25,
      speed: 4.5,
      at: '2026-12-01T10:00:05.000Z',
    });
    await handler.onProgress(report('running', 2, 0.5, '2026-12-01T10:00:10.000Z'), ctx);
    // Redelivered out of order: the older report does not win.
    await handler.onProgress(report('running', 2, 0.25, '2026-12-01T10:00:05.000Z'), ctx);
    expect(await progressOf('running')).toMatchObject({ fraction: 0.5, at: '2026-12-01T10:00:10.000Z' });
    const row = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'running' } },
    });
    expect(row.updated).toEqual(created.updated);
  });

  it('ignores a report for another attempt, a finalised asset or an unknown one', async () => {
    await insert('stale', true);
    await handler.onProgress(report('stale', 1, 0.9, '2026-12-01T10:00:05.000Z'), ctx);
    expect(await progressOf('stale')).toBeNull();
    await insert('done', false);
    await handler.onProgress(report('done', 2, 0.9, '2026-12-01T10:00:05.000Z'), ctx);
    expect(await progressOf('done')).toBeNull();
    await expect(
      handler.onProgress(report('nope', 2, 0.1, '2026-12-01T10:00:05.000Z'), ctx),
    ).resolves.toBeUndefined();
  });

  it("a new attempt replaces the previous attempt's report whatever its time", async () => {
    await insert('again', true);
    await handler.onProgress(report('again', 2, 0.75, '2026-12-01T10:00:05.000Z'), ctx);
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'again' } },
      data: { ingestAttempt: 3 },
    });
    await handler.onProgress(report('again', 3, 0.1, '2026-12-01T09:00:00.000Z'), ctx);
    expect(await progressOf('again')).toMatchObject({ attempt: 3, fraction: 0.1 });
  });
});
