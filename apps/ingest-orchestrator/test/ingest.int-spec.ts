import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as amqp from 'amqplib';
import { validateEnv } from '@vellum/common';
import {
  AssetIngestRequestedV1,
  ImageDerivativesCreatedV1,
  ImageDerivativesFailedV1,
  type Envelope,
} from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher, transportEnvOptions } from '@vellum/messaging';
import { SecretBox, sealOrigin } from '@vellum/secrets';
import { FsObjectStore, thumbnailKey } from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AppModule } from '../src/app.module';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { StuckIngestSweeper } from '../src/stuck-ingest.sweeper';
import { SERVICE_NAME } from '../src/tokens';

/** Loosely typed message data, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/**
 * The ingest state machine against real Postgres (a migrated clone), a real RabbitMQ vhost, a real node:http origin
 * on 127.0.0.1 (allow-listed) and the fs object store. The test plays the image-processor: it listens for
 * `image.derivatives.create.v1` on its own queue and replies.
 */
describe('ingest-orchestrator (integration)', () => {
  const FIXTURE = 'png-alpha.png';
  const fixtureBytes = readFileSync(fixturePath(FIXTURE));
  let db: TestDatabase;
  let vhost: TestVhost;
  let storageRoot: string;
  let store: FsObjectStore;
  let origin: Server;
  let originBase: string;
  let originHits: Record<string, number>;
  let lastAuthorization: string | undefined;
  let app: INestApplication;
  let prisma: PrismaClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const dispatched: Array<{ envelope: Envelope<Record<string, Loose>>; priority?: number }> = [];
  let customerId: number;

  beforeAll(async () => {
    process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-orch-int-'));
    store = new FsObjectStore(storageRoot);

    originHits = {};
    origin = createServer((req, res) => {
      const url = req.url ?? '/';
      originHits[url] = (originHits[url] ?? 0) + 1;
      if (url === '/image.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': fixtureBytes.length });
        res.end(fixtureBytes);
      } else if (url === '/doc.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        res.end(Buffer.alloc(1234, 1));
      } else if (url === '/private.png') {
        lastAuthorization = req.headers.authorization;
        if (req.headers.authorization !== `Basic ${Buffer.from('reader:pa ss').toString('base64')}`) {
          res.writeHead(401);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': fixtureBytes.length });
        res.end(fixtureBytes);
      } else if (url === '/busy') {
        res.writeHead(503);
        res.end();
      } else {
        res.writeHead(404);
        res.end('not here');
      }
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originBase = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

    const rawEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL,
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
      VELLUM_ORIGIN_TIMEOUT_MS: '5000',
      VELLUM_STORAGE_ROOT: storageRoot,
      VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      VELLUM_INGEST_STUCK_MS: '60000',
      // The retry schedule, scaled down through the environment: 3 attempts, retries after at most 200 and 300 ms.
      VELLUM_RETRY_ATTEMPTS: '3',
      VELLUM_RETRY_INITIAL_DELAY_MS: '200',
      VELLUM_RETRY_MULTIPLIER: '1.5',
      VELLUM_RETRY_MAX_DELAY_MS: '300',
    };
    const env = validateEnv(OrchestratorEnv, rawEnv);

    // The test's "image-processor": a queue bound to image.derivatives.create.v1 before anything is published.
    conn = await amqp.connect(vhost.url);
    ch = await conn.createChannel();
    await ch.assertExchange(vhost.exchange, 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
    // Both lanes: priority work is published as `<type>.priority`.
    for (const key of ['image.derivatives.create.v1', 'av.transcode.create.v1']) {
      await ch.bindQueue(q.queue, vhost.exchange, key);
      await ch.bindQueue(q.queue, vhost.exchange, `${key}.priority`);
    }
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      dispatched.push({
        envelope: JSON.parse(msg.content.toString()),
        priority: msg.properties.priority as number | undefined,
      });
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
    const customer = await prisma.customer.create({
      data: { name: 'orch-test', displayName: 'Orchestrator test' },
    });
    customerId = customer.id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await ch?.close().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    origin?.closeAllConnections();
    await new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve()));
    await Promise.all([
      db?.drop(),
      vhost?.drop(),
      storageRoot ? rm(storageRoot, { recursive: true, force: true }) : undefined,
    ]);
  }, 60_000);

  const imageChannels = [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
  ];

  async function insertAsset(id: string, over: Record<string, unknown> = {}) {
    return prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id,
        origin: `${originBase}/image.png`,
        mediaType: 'image/png',
        deliveryChannels: imageChannels,
        ingesting: true,
        ingestAttempt: 1,
        ...over,
      },
    });
  }

  function request(id: string, attempt = 1, priority = false, batchId?: number) {
    return Object.assign(new AssetIngestRequestedV1(), {
      customerId,
      spaceId: 1,
      assetId: id,
      attempt,
      priority,
      ...(batchId ? { batchId } : {}),
    });
  }

  function publish(message: object, priority = 0) {
    return app.get(MessagePublisher).publish(message, { priority });
  }

  function dispatchFor(id: string, attempt = 1) {
    return dispatched.find((d) => d.envelope.data.assetId === id && d.envelope.data.attempt === attempt);
  }

  function created(id: string, attempt = 1): ImageDerivativesCreatedV1 {
    const prefix = `${customerId}/1/${encodeURIComponent(id)}`;
    const thumb = (w: number, h: number, size: number) => ({
      width: w,
      height: h,
      location: {
        bucket: 'vellum-thumbs',
        key: thumbnailKey({ customerId, spaceId: 1, assetId: id }, w, h),
        size,
      },
    });
    return Object.assign(new ImageDerivativesCreatedV1(), {
      customerId,
      spaceId: 1,
      assetId: id,
      attempt,
      width: 592,
      height: 1167,
      pyramid: { bucket: 'vellum-derivatives', key: `${prefix}/image.tif`, size: 100_000 },
      openThumbnails: [thumb(203, 400, 4000), thumb(101, 200, 2000), thumb(51, 100, 1000)],
      authThumbnails: [thumb(519, 1024, 9000)],
      elapsedMs: 420,
    });
  }

  async function outbox(routingKey: string) {
    const rows = await prisma.outboxMessage.findMany({ where: { routingKey }, orderBy: { created: 'asc' } });
    return rows.map((r) => r.envelope as unknown as Envelope<Record<string, Loose>>);
  }

  it('runs a batch end to end: stage, dispatch, finalise, exact counters, batch.completed once', async () => {
    const batch = await prisma.batch.create({ data: { customerId, count: 2 } });
    for (const id of ['b-1', 'b 2']) {
      await insertAsset(id, { batchId: batch.id });
      await prisma.batchMember.create({
        data: { batchId: batch.id, customerId, spaceId: 1, assetId: id, attempt: 1 },
      });
    }
    await publish(request('b-1', 1, false, batch.id));
    await publish(request('b 2', 1, false, batch.id));

    const d1 = await waitFor(() => dispatchFor('b-1'), { description: 'dispatch of b-1' });
    const d2 = await waitFor(() => dispatchFor('b 2'), { description: 'dispatch of b 2' });
    expect(d1.envelope.type).toBe('image.derivatives.create.v1');
    expect(d1.priority ?? 0).toBe(0);
    expect(d2.envelope.data).toMatchObject({
      mediaType: 'image/png',
      source: { bucket: 'vellum-origins', key: `${customerId}/1/b%202/origin`, size: fixtureBytes.length },
      pyramid: {
        location: { bucket: 'vellum-derivatives', key: `${customerId}/1/b%202/image.tif` },
        tileSize: 512,
      },
      thumbnails: {
        sizes: ['!1024,1024', '!400,400', '!200,200', '!100,100'],
        bucket: 'vellum-thumbs',
        keyPrefix: `${customerId}/1/b%202`,
      },
    });
    expect(d2.envelope.data.thumbnails.openMax).toBeUndefined();
    // The staged origin is in the store, byte for byte.
    expect(
      (await store.getBuffer('vellum-origins', `${customerId}/1/b%202/origin`)).equals(fixtureBytes),
    ).toBe(true);

    await publish(created('b-1'));
    const a1 = await waitFor(async () => {
      const a = await prisma.asset.findUniqueOrThrow({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'b-1' } },
      });
      return a.ingesting ? null : a;
    });
    expect(a1).toMatchObject({ width: 592, height: 1167, error: null, ingesting: false });
    expect(a1.finished).toBeInstanceOf(Date);
    expect(a1.derivatives).toEqual({
      pyramid: {
        bucket: 'vellum-derivatives',
        key: `${customerId}/1/b-1/image.tif`,
        size: 100_000,
        tileSize: 512,
      },
      thumbnails: {
        bucket: 'vellum-thumbs',
        open: [
          [203, 400],
          [101, 200],
          [51, 100],
        ],
        auth: [[519, 1024]],
        keys: {
          '203,400': `${customerId}/1/b-1/full/203,400/0/default.jpg`,
          '101,200': `${customerId}/1/b-1/full/101,200/0/default.jpg`,
          '51,100': `${customerId}/1/b-1/full/51,100/0/default.jpg`,
          '519,1024': `${customerId}/1/b-1/full/519,1024/0/default.jpg`,
        },
        size: 16000,
      },
    });
    // The staged origin is gone (no `file` channel).
    await waitFor(async () => (await store.stat('vellum-origins', `${customerId}/1/b-1/origin`)) === null, {
      description: 'origin deleted',
    });

    let b = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(b).toMatchObject({ completed: 1, errors: 0, finished: null });

    // The same reply again (a redelivery): nothing changes.
    await publish(created('b-1'));
    await new Promise((r) => setTimeout(r, 700));
    b = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(b).toMatchObject({ completed: 1, errors: 0, finished: null });
    expect((await outbox('asset.ingest.finished.v1')).filter((e) => e.data.assetId === 'b-1')).toHaveLength(
      1,
    );

    await publish(created('b 2'));
    b = await waitFor(async () => {
      const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
      return row.finished ? row : null;
    });
    expect(b).toMatchObject({ count: 2, completed: 2, errors: 0, superseded: false });
    const members = await prisma.batchMember.findMany({ where: { batchId: batch.id } });
    expect(members.map((m) => m.outcome)).toEqual(['completed', 'completed']);

    const finished = (await outbox('asset.ingest.finished.v1')).filter((e) => e.data.batchId === batch.id);
    expect(finished).toHaveLength(2);
    expect(finished[0].data).toMatchObject({
      customerId,
      spaceId: 1,
      assetId: 'b-1',
      attempt: 1,
      success: true,
      width: 592,
      height: 1167,
      batchId: batch.id,
    });
    expect(finished[0].producer).toBe(SERVICE_NAME);
    const completed = (await outbox('batch.completed.v1')).filter((e) => e.data.batchId === batch.id);
    expect(completed).toHaveLength(1);
    expect(completed[0].data).toEqual({ customerId, batchId: batch.id, count: 2, completed: 2, errors: 0 });

    // Storage accounting: per asset, per space and per customer, by deltas.
    const storage = await prisma.assetStorage.findMany({ where: { customerId } });
    expect(storage.map((s) => [s.assetId, Number(s.size), Number(s.thumbnailSize)]).sort()).toEqual([
      ['b 2', 100_000, 16000],
      ['b-1', 100_000, 16000],
    ]);
    const usage = await prisma.storageUsage.findMany({ where: { customerId }, orderBy: { spaceId: 'asc' } });
    expect(
      usage.map((u) => [
        u.spaceId,
        Number(u.numberOfStoredImages),
        Number(u.totalSizeOfStoredImages),
        Number(u.totalSizeOfThumbnails),
      ]),
    ).toEqual([
      [0, 2, 200_000, 32000],
      [1, 2, 200_000, 32000],
    ]);
  });

  it('reingest of the same asset moves storage totals by the difference only', async () => {
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'b-1' } },
      data: { ingesting: true, ingestAttempt: 2 },
    });
    await publish(request('b-1', 2, true));
    const d = await waitFor(() => dispatchFor('b-1', 2), { description: 'dispatch of b-1 attempt 2' });
    expect(d.priority).toBe(5);
    const reply = created('b-1', 2);
    reply.pyramid = { ...reply.pyramid!, size: 60_000 };
    await publish(reply);
    await waitFor(
      async () =>
        !(
          await prisma.asset.findUniqueOrThrow({
            where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'b-1' } },
          })
        ).ingesting,
    );
    const usage = await prisma.storageUsage.findMany({ where: { customerId }, orderBy: { spaceId: 'asc' } });
    expect(
      usage.map((u) => [u.spaceId, Number(u.numberOfStoredImages), Number(u.totalSizeOfStoredImages)]),
    ).toEqual([
      [0, 2, 160_000],
      [1, 2, 160_000],
    ]);
    // An immediate registration (no batch member): asset.ingest.finished.v1 goes in the priority lane.
    const rows = await prisma.outboxMessage.findMany({ where: { routingKey: 'asset.ingest.finished.v1' } });
    const row = rows.find(
      (r) => (r.envelope as Loose).data.assetId === 'b-1' && (r.envelope as Loose).data.attempt === 2,
    );
    expect(row?.priority).toBe(5);
  });

  it('opens origin credentials sealed by the gateway, only to fetch (Basic auth to the origin)', async () => {
    const sealed = sealOrigin(
      originBase.replace('http://', 'http://reader:pa%20ss@') + '/private.png',
      SecretBox.fromConfig({ nodeEnv: 'test' }),
    );
    expect(sealed).not.toContain('pa%20ss');
    await insertAsset('sealed', { origin: sealed });
    await publish(request('sealed'));
    const d = await waitFor(() => dispatchFor('sealed'), {
      description: 'dispatch of the sealed-origin asset',
    });
    expect(d.envelope.data.source.size).toBe(fixtureBytes.length);
    expect(lastAuthorization).toBe(`Basic ${Buffer.from('reader:pa ss').toString('base64')}`);
  });

  it('fails the asset at once with a clear message when the origin answers 404', async () => {
    const batch = await prisma.batch.create({ data: { customerId, count: 1 } });
    await insertAsset('missing', { origin: `${originBase}/nope.png`, batchId: batch.id });
    await prisma.batchMember.create({
      data: { batchId: batch.id, customerId, spaceId: 1, assetId: 'missing', attempt: 1 },
    });
    await publish(request('missing', 1, false, batch.id));
    const a = await waitFor(async () => {
      const row = await prisma.asset.findUniqueOrThrow({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'missing' } },
      });
      return row.ingesting ? null : row;
    });
    expect(a.error).toBe(
      `Origin ${originBase}/nope.png answered HTTP 404 (not found) (permanent, 1 attempt)`,
    );
    expect(originHits['/nope.png']).toBe(1); // permanent: not retried
    expect(dispatchFor('missing')).toBeUndefined();
    const b = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(b).toMatchObject({ completed: 0, errors: 1 });
    expect(b.finished).toBeInstanceOf(Date);
    const member = await prisma.batchMember.findFirstOrThrow({ where: { batchId: batch.id } });
    expect(member).toMatchObject({ outcome: 'error', error: a.error });
    const fin = (await outbox('asset.ingest.finished.v1')).find((e) => e.data.assetId === 'missing');
    expect(fin?.data).toMatchObject({ success: false, error: a.error, batchId: batch.id });
  });

  it('retries a 5xx origin and fails the asset after the last attempt', async () => {
    await insertAsset('busy', { origin: `${originBase}/busy` });
    await publish(request('busy', 1, true));
    const a = await waitFor(
      async () => {
        const row = await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'busy' } },
        });
        return row.ingesting ? null : row;
      },
      { timeoutMs: 20_000 },
    );
    expect(a.error).toBe(
      `Origin unreachable after 3 attempts (retryable): Origin ${originBase}/busy answered HTTP 503`,
    );
    expect(originHits['/busy']).toBe(3);
  });

  it('ignores a stale request and a stale reply', async () => {
    await insertAsset('stale', { ingestAttempt: 2 });
    await publish(request('stale', 1));
    await publish(created('stale', 1));
    await new Promise((r) => setTimeout(r, 800));
    expect(dispatchFor('stale', 1)).toBeUndefined();
    expect(originHits['/image.png']).toBe(3); // b-1, b 2, b-1 reingest: the stale request fetched nothing
    const a = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'stale' } },
    });
    expect(a).toMatchObject({ ingesting: true, width: null, finished: null });
  });

  it('records a worker failure as the asset error', async () => {
    await insertAsset('corrupt');
    await publish(request('corrupt', 1));
    await waitFor(() => dispatchFor('corrupt'));
    await publish(
      Object.assign(new ImageDerivativesFailedV1(), {
        customerId,
        spaceId: 1,
        assetId: 'corrupt',
        attempt: 1,
        error: 'Unsupported or corrupt image',
        retryable: false,
      }),
    );
    const a = await waitFor(async () => {
      const row = await prisma.asset.findUniqueOrThrow({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'corrupt' } },
      });
      return row.ingesting ? null : row;
    });
    expect(a.error).toBe('Unsupported or corrupt image');
    expect(await store.stat('vellum-origins', `${customerId}/1/corrupt/origin`)).toBeNull();
  });

  it('closes an older pending membership as superseded when a newer attempt finishes', async () => {
    const older = await prisma.batch.create({ data: { customerId, count: 2 } });
    const newer = await prisma.batch.create({ data: { customerId, count: 1 } });
    await insertAsset('resubmitted', { ingestAttempt: 2, batchId: newer.id });
    await insertAsset('other', { batchId: older.id });
    await prisma.batchMember.createMany({
      data: [
        { batchId: older.id, customerId, spaceId: 1, assetId: 'resubmitted', attempt: 1 },
        { batchId: older.id, customerId, spaceId: 1, assetId: 'other', attempt: 1, outcome: 'completed' },
        { batchId: newer.id, customerId, spaceId: 1, assetId: 'resubmitted', attempt: 2 },
      ],
    });
    await prisma.batch.update({ where: { id: older.id }, data: { completed: 1 } });
    await publish(request('resubmitted', 2, false, newer.id));
    await waitFor(() => dispatchFor('resubmitted', 2));
    await publish(created('resubmitted', 2));
    const o = await waitFor(async () => {
      const row = await prisma.batch.findUniqueOrThrow({ where: { id: older.id } });
      return row.finished ? row : null;
    });
    // 'other' still has the older batch as its batch: not superseded (SPEC.md §3.3).
    expect(o).toMatchObject({ completed: 1, errors: 1, superseded: false });
    const n = await prisma.batch.findUniqueOrThrow({ where: { id: newer.id } });
    expect(n).toMatchObject({ completed: 1, errors: 0, superseded: false });
    expect(n.finished).toBeInstanceOf(Date);
    const m = await prisma.batchMember.findUniqueOrThrow({
      where: {
        batchId_customerId_spaceId_assetId: {
          batchId: older.id,
          customerId,
          spaceId: 1,
          assetId: 'resubmitted',
        },
      },
    });
    expect(m).toMatchObject({ outcome: 'error', error: 'superseded by a newer submission' });

    // A batch none of whose assets still has it as batch is superseded once its last member is closed.
    const lone = await prisma.batch.create({ data: { customerId, count: 1 } });
    const next = await prisma.batch.create({ data: { customerId, count: 1 } });
    await insertAsset('moved', { ingestAttempt: 2, batchId: next.id });
    await prisma.batchMember.createMany({
      data: [
        { batchId: lone.id, customerId, spaceId: 1, assetId: 'moved', attempt: 1 },
        { batchId: next.id, customerId, spaceId: 1, assetId: 'moved', attempt: 2 },
      ],
    });
    await publish(request('moved', 2, false, next.id));
    await waitFor(() => dispatchFor('moved', 2));
    await publish(created('moved', 2));
    const l = await waitFor(async () => {
      const row = await prisma.batch.findUniqueOrThrow({ where: { id: lone.id } });
      return row.finished ? row : null;
    });
    expect(l).toMatchObject({ completed: 0, errors: 1, superseded: true });
  });

  it('finishes `none` at once and keeps the original for `file`', async () => {
    await insertAsset('nothing', { deliveryChannels: [{ channel: 'none', policy: 'none' }] });
    await insertAsset('doc', {
      mediaType: 'application/pdf',
      origin: `${originBase}/doc.pdf`,
      deliveryChannels: [{ channel: 'file', policy: 'none' }],
    });
    await publish(request('nothing', 1));
    await publish(request('doc', 1));
    const done = async (id: string) =>
      waitFor(async () => {
        const row = await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId, spaceId: 1, id } },
        });
        return row.ingesting ? null : row;
      });
    expect(await done('nothing')).toMatchObject({ error: null, derivatives: null });
    const doc = await done('doc');
    expect(doc.error).toBeNull();
    expect(doc.derivatives).toEqual({
      original: { bucket: 'vellum-origins', key: `${customerId}/1/doc/origin`, size: 1234 },
    });
    expect((await store.stat('vellum-origins', `${customerId}/1/doc/origin`))?.size).toBe(1234);
  });

  it('iiif-img/use-original: a tile-ready origin is the tile source (its tile edge recorded); a re-encoded one is not kept', async () => {
    const useOriginal = [{ channel: 'iiif-img', policy: 'use-original' }];
    await insertAsset('uo-kept', { deliveryChannels: useOriginal });
    await insertAsset('uo-reencoded', { deliveryChannels: useOriginal });
    await publish(request('uo-kept', 1));
    await publish(request('uo-reencoded', 1));
    const cmds = await waitFor(() => {
      const a = dispatchFor('uo-kept');
      const b = dispatchFor('uo-reencoded');
      return a && b ? [a, b] : null;
    });
    for (const [cmd, id] of [
      [cmds[0], 'uo-kept'],
      [cmds[1], 'uo-reencoded'],
    ] as const) {
      // The command says where a pyramid goes if the origin is not tile-ready, and that it may be kept.
      expect(cmd.envelope.data.pyramid).toEqual({
        location: { bucket: 'vellum-derivatives', key: `${customerId}/1/${id}/image.tif` },
        tileSize: 512,
        useOriginal: true,
      });
      expect(cmd.envelope.data.thumbnails).toBeUndefined();
    }
    const base = (id: string) =>
      Object.assign(new ImageDerivativesCreatedV1(), {
        customerId,
        spaceId: 1,
        assetId: id,
        attempt: 1,
        width: 592,
        height: 1167,
        openThumbnails: [],
        authThumbnails: [],
        elapsedMs: 10,
      });
    await publish(Object.assign(base('uo-kept'), { useOriginal: { tileSize: 256 } }));
    await publish(
      Object.assign(base('uo-reencoded'), {
        pyramid: {
          bucket: 'vellum-derivatives',
          key: `${customerId}/1/uo-reencoded/image.tif`,
          size: 77_000,
        },
      }),
    );
    const done = (id: string) =>
      waitFor(async () => {
        const row = await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId, spaceId: 1, id } },
        });
        return row.ingesting ? null : row;
      });
    const kept = await done('uo-kept');
    expect(kept.error).toBeNull();
    expect(kept.derivatives).toEqual({
      pyramid: {
        bucket: 'vellum-origins',
        key: `${customerId}/1/uo-kept/origin`,
        size: fixtureBytes.length,
        tileSize: 256,
        useOriginal: true,
      },
    });
    expect((await store.stat('vellum-origins', `${customerId}/1/uo-kept/origin`))?.size).toBe(
      fixtureBytes.length,
    );

    const reencoded = await done('uo-reencoded');
    expect(reencoded.derivatives).toEqual({
      pyramid: {
        bucket: 'vellum-derivatives',
        key: `${customerId}/1/uo-reencoded/image.tif`,
        size: 77_000,
        tileSize: 512,
      },
    });
    // Re-encoded: the staged origin serves nothing any more, so it is deleted after finalising.
    await waitFor(async () =>
      (await store.stat('vellum-origins', `${customerId}/1/uo-reencoded/origin`)) ? null : true,
    );
  });

  it('keeps batch counters exact when many replies (and duplicates) land concurrently', async () => {
    const n = 24;
    const batch = await prisma.batch.create({ data: { customerId, count: n } });
    const ids = Array.from({ length: n }, (_, i) => `many-${i}`);
    await prisma.asset.createMany({
      data: ids.map((id) => ({
        customerId,
        spaceId: 1,
        id,
        origin: `${originBase}/image.png`,
        mediaType: 'image/png',
        deliveryChannels: imageChannels,
        ingesting: true,
        ingestAttempt: 1,
        batchId: batch.id,
      })),
    });
    await prisma.batchMember.createMany({
      data: ids.map((assetId) => ({ batchId: batch.id, customerId, spaceId: 1, assetId, attempt: 1 })),
    });
    // Every third asset fails; every reply is delivered twice.
    const replies = ids.map((id, i) =>
      i % 3 === 0
        ? Object.assign(new ImageDerivativesFailedV1(), {
            customerId,
            spaceId: 1,
            assetId: id,
            attempt: 1,
            error: 'bad pixels',
            retryable: false,
          })
        : created(id),
    );
    await Promise.all([...replies, ...replies].map((r) => publish(r)));
    const b = await waitFor(
      async () => {
        const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
        return row.finished ? row : null;
      },
      { timeoutMs: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 500)); // let the duplicates drain
    expect(await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } })).toMatchObject({
      count: n,
      completed: 16,
      errors: 8,
    });
    expect(b.completed + b.errors).toBe(n);
    expect((await outbox('batch.completed.v1')).filter((e) => e.data.batchId === batch.id)).toHaveLength(1);
    expect(
      (await outbox('asset.ingest.finished.v1')).filter((e) => e.data.batchId === batch.id),
    ).toHaveLength(n);
    expect(await prisma.asset.count({ where: { batchId: batch.id, ingesting: true } })).toBe(0);
  });

  it('the sweeper fails assets stuck in ingesting through the same finalise path', async () => {
    await insertAsset('stuck');
    await prisma.$executeRaw`UPDATE "assets" SET "updated" = now() - interval '2 hours' WHERE "id" = 'stuck'`;
    const failed = await app.get(StuckIngestSweeper).sweep();
    expect(failed).toBeGreaterThanOrEqual(1);
    const a = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'stuck' } },
    });
    expect(a).toMatchObject({ ingesting: false, error: 'Ingest timed out after 60 s without a result' });
    expect(
      (await outbox('asset.ingest.finished.v1')).some(
        (e) => e.data.assetId === 'stuck' && e.data.success === false,
      ),
    ).toBe(true);
  });
});
