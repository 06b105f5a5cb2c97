import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as amqp from 'amqplib';
import { validateEnv } from '@vellum/common';
import { AssetDeletedV1, AssetIngestRequestedV1, ImageDerivativesCreatedV1 } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher, transportEnvOptions } from '@vellum/messaging';
import {
  assetKeyPrefix,
  createObjectStore,
  originKey,
  pyramidKey,
  storageConfigFromEnv,
  thumbnailKey,
  thumbnailSizesKey,
  type ObjectStore,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  startS3Server,
  waitFor,
  type S3TestServer,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AppModule } from '../src/app.module';
import { FinaliserService } from '../src/finaliser.service';
import { IngestMetrics } from '../src/ingest-metrics';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { SERVICE_NAME } from '../src/tokens';

/**
 * Deleted assets leave nothing in the object store (SPEC.md §3.3 DELETE, §8 "Clean-up"): the orchestrator's
 * `asset.deleted.v1` consumer and its handling of ingest attempts whose asset was deleted meanwhile, against a real
 * S3-protocol server (s3rver), real Postgres and a real RabbitMQ vhost, through the real transport.
 */
describe('ingest-orchestrator: deleted assets (integration)', () => {
  const ORIGINS = 'vellum-origins';
  const DERIVATIVES = 'vellum-derivatives';
  const THUMBS = 'vellum-thumbs';
  const FOREIGN = 'customer-own-bucket';
  const bytes = readFileSync(fixturePath('png-alpha.png'));
  let db: TestDatabase;
  let vhost: TestVhost;
  let s3: S3TestServer;
  let store: ObjectStore;
  let app: INestApplication;
  let prisma: PrismaClient;
  let customerId: number;
  let origin: Server;
  let originBase: string;
  let releaseOrigin: (() => void) | undefined;
  let originAsked: (() => void) | undefined;
  let conn: amqp.ChannelModel;

  const ref = (assetId: string) => ({ customerId, spaceId: 1, assetId });

  /** Writes what an ingest of `id` leaves: staged origin, pyramid, two thumbnails, the sizes document. */
  async function writeObjects(id: string): Promise<string[]> {
    const r = ref(id);
    const objects: Array<[string, string]> = [
      [ORIGINS, originKey(r)],
      [DERIVATIVES, pyramidKey(r)],
      [THUMBS, thumbnailKey(r, 100, 50)],
      [THUMBS, thumbnailKey(r, 200, 100)],
      [THUMBS, thumbnailSizesKey(r)],
    ];
    for (const [bucket, key] of objects) await store.put(bucket, key, Buffer.from(`${bucket}/${key}`));
    return objects.map(([b, k]) => `${b}/${k}`);
  }

  /** Every object under an asset's prefix in the three platform buckets. */
  async function objectsOf(id: string): Promise<string[]> {
    const prefix = `${assetKeyPrefix(customerId, 1, id)}/`;
    const out: string[] = [];
    for (const bucket of [ORIGINS, DERIVATIVES, THUMBS])
      for await (const o of store.list(bucket, prefix)) out.push(`${bucket}/${o.key}`);
    return out.sort();
  }

  const publish = (message: object) => app.get(MessagePublisher).publish(message);
  /** `vellum_ingest_outcomes_total{outcome="deleted"}`: purges of deleted assets so far. */
  const deletedCount = async () =>
    (await app.get(IngestMetrics).outcomes.get()).values.find((v) => v.labels.outcome === 'deleted')?.value ??
    0;
  /** True once the orchestrator published an image.derivatives.create.v1 (it must not for a deleted asset). */
  const dispatched = () => dispatchedKeys.length > 0;
  const dispatchedKeys: string[] = [];

  beforeAll(async () => {
    process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
    [db, vhost, s3] = await Promise.all([
      createTestDatabase(),
      createTestVhost(),
      startS3Server({ buckets: [ORIGINS, DERIVATIVES, THUMBS, FOREIGN] }),
    ]);
    store = createObjectStore(storageConfigFromEnv(s3.env));
    origin = createServer((req, res) => {
      // A slow origin: answers once the test releases it (to delete the asset while it is being staged).
      originAsked?.();
      const send = () => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
        res.end(bytes);
      };
      if (req.url === '/slow.png')
        releaseOrigin = () => {
          releaseOrigin = undefined;
          send();
        };
      else send();
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originBase = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const env = validateEnv(OrchestratorEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL,
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
      VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      // The retry schedule, scaled down through the environment: 3 attempts, retries after at most 200 and 300 ms.
      VELLUM_RETRY_ATTEMPTS: '3',
      VELLUM_RETRY_INITIAL_DELAY_MS: '200',
      VELLUM_RETRY_MULTIPLIER: '1.5',
      VELLUM_RETRY_MAX_DELAY_MS: '300',
      ...s3.env,
    });
    // Plays the image-processor's queue: records every work command the orchestrator dispatches.
    conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    await ch.assertExchange(vhost.exchange, 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
    for (const k of ['image.derivatives.create.v1', 'image.derivatives.create.v1.priority'])
      await ch.bindQueue(q.queue, vhost.exchange, k);
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      dispatchedKeys.push(msg.fields.routingKey);
      ch.ack(msg);
    });
    app = await NestFactory.create(AppModule.forRoot({ env, store }), { logger: false });
    app.connectMicroservice(
      {
        strategy: createTransport({
          serviceName: SERVICE_NAME,
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
          ...transportEnvOptions(env),
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();
    prisma = createPrismaClient(db.url);
    customerId = (await prisma.customer.create({ data: { name: 'del', displayName: 'Delete test' } })).id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 120_000);

  afterAll(async () => {
    releaseOrigin?.();
    await app?.close();
    await prisma?.$disconnect();
    await conn?.close().catch(() => undefined);
    origin?.closeAllConnections();
    await new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve()));
    await Promise.all([db?.drop(), vhost?.drop(), s3?.stop()]);
  }, 60_000);

  it('asset.deleted.v1 removes every object of the asset (and nothing of another asset or a foreign bucket)', async () => {
    const mine = await writeObjects('gone x');
    await writeObjects('gone x2');
    await store.put(FOREIGN, 'keep/me.jpg', Buffer.from('customer data'));
    await store.put(DERIVATIVES, 'elsewhere/transcode.mp4', Buffer.from('named by the derivatives JSON'));
    expect(await objectsOf('gone x')).toEqual(mine.sort());
    await publish(
      Object.assign(new AssetDeletedV1(), {
        ...ref('gone x'),
        deleteFrom: ['cdn'],
        objects: [
          { bucket: DERIVATIVES, key: pyramidKey(ref('gone x')), kind: 'pyramid' },
          { bucket: FOREIGN, key: 'keep/me.jpg', kind: 'original' },
          { bucket: DERIVATIVES, key: 'elsewhere/transcode.mp4', kind: 'transcode' },
        ],
      }),
    );
    await waitFor(async () => (await objectsOf('gone x')).length === 0, { timeoutMs: 15_000 });
    await waitFor(async () => (await store.stat(DERIVATIVES, 'elsewhere/transcode.mp4')) === null, {
      timeoutMs: 15_000,
    });
    expect(await objectsOf('gone x2')).toHaveLength(5);
    expect(await store.stat(FOREIGN, 'keep/me.jpg')).not.toBeNull();
    // Idempotent: the same event again changes nothing and does not fail.
    await publish(Object.assign(new AssetDeletedV1(), { ...ref('gone x'), deleteFrom: [] }));
    await publish(Object.assign(new AssetDeletedV1(), { ...ref('gone x2'), deleteFrom: [] }));
    await waitFor(async () => (await objectsOf('gone x2')).length === 0, { timeoutMs: 15_000 });
  });

  it('an asset registered again after its delete keeps its objects', async () => {
    await prisma.asset.create({
      data: { ...{ customerId, spaceId: 1, id: 'again' }, mediaType: 'image/png', ingesting: false },
    });
    await writeObjects('again');
    await publish(Object.assign(new AssetDeletedV1(), { ...ref('again'), deleteFrom: [] }));
    // Let the consumer run (a purge of another asset after it proves it has been through the queue).
    await writeObjects('marker');
    await publish(Object.assign(new AssetDeletedV1(), { ...ref('marker'), deleteFrom: [] }));
    await waitFor(async () => (await objectsOf('marker')).length === 0, { timeoutMs: 15_000 });
    expect(await objectsOf('again')).toHaveLength(5);
  });

  it('a worker result for an asset deleted while it ran records nothing and removes what it wrote', async () => {
    const usageBefore = await prisma.storageUsage.findMany({ where: { customerId } });
    await writeObjects('late');
    // No asset row: the gateway deleted it (and its accounting) after the work was dispatched.
    const r = ref('late');
    await publish(
      Object.assign(new ImageDerivativesCreatedV1(), {
        ...r,
        attempt: 1,
        width: 592,
        height: 1167,
        pyramid: { bucket: DERIVATIVES, key: pyramidKey(r), size: 10 },
        openThumbnails: [
          { width: 100, height: 50, location: { bucket: THUMBS, key: thumbnailKey(r, 100, 50), size: 5 } },
        ],
        authThumbnails: [],
        elapsedMs: 1,
      }),
    );
    await waitFor(async () => (await objectsOf('late')).length === 0, { timeoutMs: 15_000 });
    expect(await prisma.asset.count({ where: { customerId, id: 'late' } })).toBe(0);
    expect(await prisma.assetStorage.count({ where: { customerId, assetId: 'late' } })).toBe(0);
    expect(await prisma.storageUsage.findMany({ where: { customerId } })).toEqual(usageBefore);
    expect(await prisma.outboxMessage.count({ where: { routingKey: 'asset.ingest.finished.v1' } })).toBe(0);
  });

  it('the finaliser, meeting an attempt whose asset is gone, applies nothing and purges', async () => {
    await writeObjects('fin');
    const result = await app.get(FinaliserService).finalise({
      ...ref('fin'),
      attempt: 3,
      outcome: { success: true, derivatives: null, storage: { size: 100, thumbnailSize: 10 } },
      deleteStagedOrigin: false,
    });
    expect(result.applied).toBe(false);
    expect(await objectsOf('fin')).toEqual([]);
    expect(await prisma.assetStorage.count({ where: { customerId, assetId: 'fin' } })).toBe(0);
  });

  it('an asset deleted while its origin is being staged leaves no staged copy', async () => {
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id: 'staging',
        origin: `${originBase}/slow.png`,
        mediaType: 'image/png',
        deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
        ingesting: true,
        ingestAttempt: 1,
      },
    });
    const deletedBefore = await deletedCount();
    const asked = new Promise<void>((resolve) => (originAsked = resolve));
    await publish(
      Object.assign(new AssetIngestRequestedV1(), { ...ref('staging'), attempt: 1, priority: true }),
    );
    await asked;
    await prisma.asset.delete({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'staging' } },
    });
    await waitFor(() => releaseOrigin !== undefined, { timeoutMs: 5_000 });
    releaseOrigin?.();
    // The stager writes the copy, then (before dispatching) sees the asset gone and removes it again.
    await waitFor(async () => (await deletedCount()) > deletedBefore, { timeoutMs: 15_000 });
    expect(await objectsOf('staging')).toEqual([]);
    expect(dispatched()).toBe(false);
  });
});
