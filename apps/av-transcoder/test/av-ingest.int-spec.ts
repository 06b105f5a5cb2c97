import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AssetIngestRequestedV1, type AssetDerivatives } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import { FsObjectStore } from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  type Daemon,
  fixturePath,
  freePort,
  startDaemon,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';

const ORCHESTRATOR_MAIN = path.resolve(__dirname, '../../ingest-orchestrator/dist/main.js');
const IMAGE_PROCESSOR_MAIN = path.resolve(__dirname, '../../image-processor/dist/main.js');

/**
 * Orchestrator → transcoder → image-processor, all real (issue 9 "An AV asset ... finishes with duration", and the
 * video's poster "through the image pipeline, so it gets thumbnails and an image service"): the built
 * ingest-orchestrator and image-processor (`apps/{ingest-orchestrator,image-processor}/dist/main.js`, child
 * processes), this app's AppModule in-process
 * with its RabbitMQ transport, a migrated Postgres clone, a RabbitMQ vhost, the filesystem object store both share,
 * a node:http origin on 127.0.0.1, and the real ffmpeg. An `asset.ingest.requested.v1` for an inserted asset must end
 * with the asset finished: duration, dimensions, derivatives (transcodes, poster, probe, and the poster's pyramid and
 * `thumbs/default` thumbnails, all stored), the latest `av.transcode.progress.v1` stored as `ingestProgress`, and no
 * error.
 */
describe('av ingest: orchestrator → av-transcoder (integration)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let storageRoot: string;
  let store: FsObjectStore;
  let origin: Server;
  let originBase: string;
  let orchestrator: Daemon;
  let imageProcessor: Daemon;
  let app: INestApplication;
  let prisma: PrismaClient;
  let customerId: number;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    storageRoot = await mkdtemp(path.join(tmpdir(), 'avt-ingest-int-'));
    store = new FsObjectStore(storageRoot);

    origin = createServer((req, res) => {
      const name = (req.url ?? '/').slice(1);
      if (!['video.mp4', 'audio.mp3'].includes(name)) {
        res.writeHead(404);
        res.end();
        return;
      }
      const body = readFileSync(fixturePath(name));
      res.writeHead(200, {
        'content-type': name.endsWith('mp4') ? 'video/mp4' : 'audio/mpeg',
        'content-length': body.length,
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originBase = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

    const common = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_STORAGE_ROOT: storageRoot,
    };
    const orchPort = await freePort();
    orchestrator = await startDaemon({
      env: {
        ...common,
        PORT: String(orchPort),
        DATABASE_URL: db.url,
        VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
        VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      },
      command: 'nice',
      args: ['-n', '19', process.execPath, ORCHESTRATOR_MAIN],
      port: orchPort,
      description: 'ingest-orchestrator',
      timeoutMs: 60_000,
    });

    const ipPort = await freePort();
    imageProcessor = await startDaemon({
      env: { ...common, PORT: String(ipPort), DATABASE_URL: db.url, IMAGE_PROCESSOR_CONCURRENCY: '1' },
      command: 'nice',
      args: ['-n', '19', process.execPath, IMAGE_PROCESSOR_MAIN],
      port: ipPort,
      description: 'image-processor',
      timeoutMs: 60_000,
    });

    // The transcoder: AppModule validates process.env when it is first imported.
    Object.assign(process.env, {
      ...common,
      PORT: String(await freePort()),
      AV_STALL_TIMEOUT_MS: '30000',
      // Every ffmpeg progress block is reported: the clip is short.
      AV_PROGRESS_INTERVAL_MS: '0',
    });
    const { AppModule } = await import('../src/app.module');
    app = await NestFactory.create(AppModule, { logger: ['error'] });
    app.connectMicroservice(
      {
        strategy: createTransport({
          serviceName: 'av-transcoder',
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
          defaultPrefetch: 1,
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();

    prisma = createPrismaClient(db.url);
    customerId = (await prisma.customer.create({ data: { name: 'avt-int', displayName: 'AV test' } })).id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await orchestrator?.stop();
    await imageProcessor?.stop();
    await prisma?.$disconnect();
    origin?.closeAllConnections();
    await new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve()));
    await Promise.all([
      db?.drop(),
      vhost?.drop(),
      storageRoot ? rm(storageRoot, { recursive: true, force: true }) : undefined,
    ]);
  }, 60_000);

  async function ingest(id: string, file: string, mediaType: string, policy: string) {
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id,
        origin: `${originBase}/${file}`,
        mediaType,
        deliveryChannels: [{ channel: 'iiif-av', policy }],
        ingesting: true,
        ingestAttempt: 1,
      },
    });
    await app.get(MessagePublisher).publish(
      Object.assign(new AssetIngestRequestedV1(), {
        customerId,
        spaceId: 1,
        assetId: id,
        attempt: 1,
        priority: true,
      }),
      { priority: 5 },
    );
    return waitFor(
      async () => {
        const a = await prisma.asset.findUnique({
          where: { customerId_spaceId_id: { customerId, spaceId: 1, id } },
        });
        return a && !a.ingesting ? a : null;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  }

  const ffprobeMs = (file: string): number =>
    Math.round(
      Number(
        execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], {
          encoding: 'utf8',
        }),
      ) * 1000,
    );

  it('a video asset (iiif-av/default-video) finishes with duration, size, a 720p MP4 and a poster with its pyramid and thumbnails', async () => {
    const asset = await ingest('clip', 'video.mp4', 'video/mp4', 'default-video');
    expect(asset.error).toBeNull();
    expect(Math.abs((asset.duration ?? -1000) - ffprobeMs(fixturePath('video.mp4')))).toBeLessThanOrEqual(
      100,
    );
    expect({ width: asset.width, height: asset.height }).toEqual({ width: 960, height: 540 });
    const d = asset.derivatives as unknown as AssetDerivatives;
    const prefix = `${customerId}/1/clip`;
    expect(d.transcodes).toEqual([
      expect.objectContaining({
        preset: 'video-mp4-720p',
        key: `${prefix}/av/video-mp4-720p.mp4`,
        mediaType: 'video/mp4',
        width: 960,
        height: 540,
        codec: 'h264+aac',
      }),
    ]);
    expect(d.poster).toMatchObject({ key: `${prefix}/av/poster.jpg`, mediaType: 'image/jpeg', width: 960 });
    expect(d.probe?.streams.map((s) => s.codec)).toEqual(['h264', 'aac']);
    const t = d.transcodes![0];
    expect((await store.stat(t.bucket, t.key))?.size).toBe(t.size);
    expect((await store.stat(d.poster!.bucket, d.poster!.key))?.size).toBe(d.poster!.size);
    // The transcoder's progress reports reached the orchestrator, which stored the attempt's latest on the asset.
    expect(asset.ingestProgress).toMatchObject({
      attempt: 1,
      preset: 'video-mp4-720p',
      presetIndex: 1,
      presetCount: 1,
      fraction: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The poster went through the image pipeline: a pyramid (the image service) and the thumbs/default sizes.
    expect(d.pyramid).toMatchObject({ key: `${prefix}/image.tif`, tileSize: 512 });
    expect(d.pyramid!.useOriginal).toBeUndefined();
    expect((await store.stat(d.pyramid!.bucket, d.pyramid!.key))?.size).toBe(d.pyramid!.size);
    expect(d.thumbnails).toMatchObject({
      open: [
        [960, 540],
        [400, 225],
        [200, 113],
        [100, 56],
      ],
      auth: [],
    });
    for (const [w, h] of d.thumbnails!.open) {
      const key = d.thumbnails!.keys[`${w},${h}`];
      expect(key).toBe(`${prefix}/full/${w},${h}/0/default.jpg`);
      expect(await store.stat(d.thumbnails!.bucket, key)).not.toBeNull();
    }
    // Sizes: transcodes + poster + pyramid; thumbnails apart.
    const stored = await prisma.assetStorage.findUnique({
      where: { customerId_spaceId_assetId: { customerId, spaceId: 1, assetId: 'clip' } },
    });
    expect(stored).toMatchObject({
      size: BigInt(t.size + d.poster!.size + d.pyramid!.size),
      thumbnailSize: BigInt(d.thumbnails!.size),
    });
  });

  it('an audio asset with a video policy ends with the permanent error, not ingesting', async () => {
    const asset = await ingest('song', 'audio.mp3', 'audio/mpeg', 'default-video');
    expect(asset.error).toBe(
      'Preset video-mp4-720p needs a video stream, and the file has none (audio only) (permanent, 1 attempt)',
    );
    expect(asset.duration).toBeNull();
  });
});
