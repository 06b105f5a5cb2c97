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
import { cancelBatch, createPrismaClient, PRISMA, type CancelOutcome, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import { FsObjectStore, thumbnailKey } from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixture,
  fixturePath,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AppModule } from '../src/app.module';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { SERVICE_NAME } from '../src/tokens';
import { orchestratorTransportOptions } from '../src/transport-options';

/** Loosely typed message data, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/**
 * Cancelling a batch mid-way (`POST C/queue/batches/{b}/cancel`, beyond the reference; docs/api/queue.md) with the
 * real orchestrator consuming from a real RabbitMQ vhost, a real Postgres clone, a node:http origin serving real
 * fixture images and the fs object store. The test plays the image-processor (it replies to each
 * `image.derivatives.create.v1` after checking the staged bytes) and cancels through the batch ledger's
 * `cancelBatch`, the very call the gateway's cancel route makes in its transaction.
 *
 * One staging runs at a time (`VELLUM_INGEST_PREFETCH=1`), and the origin holds back member 3 until released, so at
 * the cancel: members 0–2 have landed (one of them a corrupt file: an error), member 3 is being staged, member 4 has
 * been delivered and waits for a staging slot, and members 5–7 wait in the queue.
 */
describe('batch cancellation mid-way (integration, real orchestrator)', () => {
  const FIXTURES = [
    'photo-large.jpg',
    'corrupt-truncated.jpg',
    'png-alpha.png',
    'tiff-lzw.tif',
    'exif-orientation-6.jpg',
    'scan.jp2',
    'cmyk.jpg',
    'grayscale.png',
  ].map((name) => ({ ...fixture(name), data: readFileSync(fixturePath(name)) }));
  const HELD = 3;
  const ids = FIXTURES.map((_, i) => `member-${i}`);

  let db: TestDatabase;
  let vhost: TestVhost;
  let storageRoot: string;
  let store: FsObjectStore;
  let origin: Server;
  let originBase: string;
  const originHits: Record<string, number> = {};
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let app: INestApplication;
  let prisma: PrismaClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const dispatched: Envelope<Record<string, Loose>>[] = [];
  const stagedBytesOk: Record<string, boolean> = {};
  let customerId: number;

  beforeAll(async () => {
    process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-orch-cancel-'));
    store = new FsObjectStore(storageRoot);

    origin = createServer((req, res) => {
      const i = Number(/^\/(\d+)$/.exec(req.url ?? '')?.[1] ?? NaN);
      const f = FIXTURES[i];
      if (!f) {
        res.writeHead(404);
        res.end();
        return;
      }
      originHits[ids[i]] = (originHits[ids[i]] ?? 0) + 1;
      const send = () => {
        res.writeHead(200, { 'content-type': f.mediaType, 'content-length': f.data.length });
        res.end(f.data);
      };
      if (i === HELD) void held.then(send);
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
      VELLUM_ORIGIN_TIMEOUT_MS: '30000',
      VELLUM_STORAGE_ROOT: storageRoot,
      VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      // One batch-lane staging at a time; the queue's prefetch is twice that.
      VELLUM_INGEST_PREFETCH: '1',
      VELLUM_INGEST_CUSTOMER_SLOTS: '1',
      // The retry schedule, scaled down through the environment: 3 attempts, retries after at most 200 and 300 ms.
      VELLUM_RETRY_ATTEMPTS: '3',
      VELLUM_RETRY_INITIAL_DELAY_MS: '200',
      VELLUM_RETRY_MULTIPLIER: '1.5',
      VELLUM_RETRY_MAX_DELAY_MS: '300',
    });

    // The test's image-processor: checks the staged master against the fixture, then replies.
    conn = await amqp.connect(vhost.url);
    ch = await conn.createChannel();
    await ch.assertExchange(vhost.exchange, 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
    for (const key of ['image.derivatives.create.v1', 'image.derivatives.create.v1.priority'])
      await ch.bindQueue(q.queue, vhost.exchange, key);
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      ch.ack(msg);
      const envelope = JSON.parse(msg.content.toString()) as Envelope<Record<string, Loose>>;
      dispatched.push(envelope);
      void reply(envelope.data);
    });

    store = new FsObjectStore(storageRoot);
    app = await NestFactory.create(AppModule.forRoot({ env, store }), { logger: false });
    app.connectMicroservice(
      {
        strategy: createTransport(
          {
            serviceName: SERVICE_NAME,
            amqpUrl: vhost.url,
            exchange: vhost.exchange,
          },
          orchestratorTransportOptions(env, app.get<PrismaClient>(PRISMA)),
        ),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();

    prisma = createPrismaClient(db.url);
    customerId = (await prisma.customer.create({ data: { name: 'cancel-test', displayName: 'Cancel test' } }))
      .id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 120_000);

  afterAll(async () => {
    release?.();
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

  /** Plays the image-processor for one command: a corrupt fixture fails, any other succeeds with its pixel size. */
  async function reply(cmd: Loose): Promise<void> {
    const i = ids.indexOf(cmd.assetId as string);
    const f = FIXTURES[i];
    const staged = await store.getBuffer(cmd.source.bucket as string, cmd.source.key as string);
    stagedBytesOk[cmd.assetId as string] = staged.equals(f.data);
    const ref = { customerId, spaceId: 1, assetId: cmd.assetId as string, attempt: cmd.attempt as number };
    const publisher = app.get(MessagePublisher);
    if (f.corrupt) {
      await publisher.publish(
        Object.assign(new ImageDerivativesFailedV1(), {
          ...ref,
          error: 'Unsupported or corrupt image',
          retryable: false,
        }),
      );
      return;
    }
    const thumb = (w: number, h: number) => ({
      width: w,
      height: h,
      location: { bucket: 'vellum-thumbs', key: thumbnailKey(ref, w, h), size: 1000 },
    });
    await publisher.publish(
      Object.assign(new ImageDerivativesCreatedV1(), {
        ...ref,
        width: f.width,
        height: f.height,
        pyramid: {
          bucket: 'vellum-derivatives',
          key: `${customerId}/1/${ref.assetId}/image.tif`,
          size: f.data.length,
        },
        openThumbnails: [thumb(100, 100)],
        authThumbnails: [],
        elapsedMs: 10,
      }),
    );
  }

  const member = (assetId: string, batchId: number) =>
    prisma.batchMember.findUniqueOrThrow({
      where: { batchId_customerId_spaceId_assetId: { batchId, customerId, spaceId: 1, assetId } },
    });
  const outbox = async (routingKey: string, batchId: number) =>
    (await prisma.outboxMessage.findMany({ where: { routingKey }, orderBy: { created: 'asc' } }))
      .map((r) => (r.envelope as unknown as Envelope<Record<string, Loose>>).data)
      .filter((d) => d.batchId === batchId);

  it('skips the members not yet started, lets the one being staged finish, and the counters add up', async () => {
    // The batch as the gateway writes it: assets ingesting, members pending, one request per member.
    const batch = await prisma.batch.create({ data: { customerId, count: FIXTURES.length } });
    await prisma.asset.createMany({
      data: FIXTURES.map((f, i) => ({
        customerId,
        spaceId: 1,
        id: ids[i],
        origin: `${originBase}/${i}`,
        mediaType: f.mediaType,
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
        ],
        ingesting: true,
        ingestAttempt: 1,
        batchId: batch.id,
      })),
    });
    await prisma.batchMember.createMany({
      data: ids.map((assetId) => ({ batchId: batch.id, customerId, spaceId: 1, assetId, attempt: 1 })),
    });
    const publisher = app.get(MessagePublisher);
    for (const assetId of ids)
      await publisher.publish(
        Object.assign(new AssetIngestRequestedV1(), {
          customerId,
          spaceId: 1,
          assetId,
          attempt: 1,
          batchId: batch.id,
          priority: false,
        }),
      );

    // Mid-way: three members landed, the fourth is being staged (its origin is held back).
    await waitFor(
      async () => {
        const b = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
        return b.completed + b.errors === HELD && originHits[ids[HELD]] === 1 ? b : null;
      },
      { timeoutMs: 30_000, description: 'members 0-2 landed and member 3 staging' },
    );
    expect((await member(ids[HELD], batch.id)).started).toBeInstanceOf(Date);

    const outcome: CancelOutcome = await prisma.$transaction((tx) =>
      cancelBatch(tx, customerId, batch.id, new Date()),
    );
    expect(outcome.kind).toBe('cancelled');
    if (outcome.kind !== 'cancelled') return;
    expect(outcome.members.map((m) => [m.assetId, m.assetStopped])).toEqual(
      ids.slice(HELD + 1).map((id) => [id, true]),
    );
    expect(outcome.update).toMatchObject({
      justFinished: false,
      row: { count: 8, completed: 2, errors: 1, cancelled: 4, finished: null },
    });

    // Member 3's origin answers: it is staged, processed and lands normally; the batch finishes with it.
    release();
    const done = await waitFor(
      async () => {
        const b = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
        return b.finished ? b : null;
      },
      { timeoutMs: 30_000, description: 'batch finished' },
    );
    expect(done).toMatchObject({ count: 8, completed: 3, errors: 1, cancelled: 4 });
    expect(done.completed + done.errors + done.cancelled).toBe(done.count);

    // Every request was consumed (the skipped ones acked), and no cancelled member was ever fetched or dispatched.
    const check = await conn.createChannel();
    await waitFor(
      async () =>
        (await check.checkQueue(`${SERVICE_NAME}.${AssetIngestRequestedV1.routingKey}`)).messageCount === 0,
      { description: 'ingest requests consumed' },
    );
    await check.close();
    await new Promise((r) => setTimeout(r, 300)); // let a wrongly processed member show itself
    for (const id of ids.slice(HELD + 1)) {
      expect({ id, hits: originHits[id] ?? 0 }).toEqual({ id, hits: 0 });
      expect(dispatched.some((d) => d.data.assetId === id)).toBe(false);
    }
    expect(dispatched.map((d) => d.data.assetId).sort()).toEqual(ids.slice(0, HELD + 1).sort());
    expect(Object.values(stagedBytesOk)).toEqual([true, true, true, true]);

    // The members and assets: nothing left ingesting.
    const members = await prisma.batchMember.findMany({
      where: { batchId: batch.id },
      orderBy: { assetId: 'asc' },
    });
    expect(members.map((m) => [m.assetId, m.outcome, m.started !== null])).toEqual([
      [ids[0], 'completed', true],
      [ids[1], 'error', true],
      [ids[2], 'completed', true],
      [ids[3], 'completed', true],
      ...ids.slice(HELD + 1).map((id) => [id, 'cancelled', false]),
    ]);
    const assets = await prisma.asset.findMany({ where: { batchId: batch.id }, orderBy: { id: 'asc' } });
    expect(assets.filter((a) => a.ingesting)).toEqual([]);
    expect(assets.map((a) => [a.id, a.error, a.width])).toEqual([
      [ids[0], null, 5312],
      [ids[1], 'Unsupported or corrupt image', null],
      [ids[2], null, 592],
      [ids[3], null, FIXTURES[3].width],
      ...ids.slice(HELD + 1).map((id) => [id, 'cancelled', null]),
    ]);

    // batch.completed.v1 exactly once, with the cancelled count; one asset.ingest.finished per processed member
    // (the gateway's cancel route writes the cancelled members' own).
    expect(await outbox('batch.completed.v1', batch.id)).toEqual([
      { customerId, batchId: batch.id, count: 8, completed: 3, errors: 1, cancelled: 4 },
    ]);
    expect((await outbox('asset.ingest.finished.v1', batch.id)).map((d) => d.assetId).sort()).toEqual(
      ids.slice(0, HELD + 1).sort(),
    );

    // A cancel now finds the batch finished (the gateway answers 409).
    const late = await prisma.$transaction((tx) => cancelBatch(tx, customerId, batch.id, new Date()));
    expect(late.kind).toBe('finished');
  }, 90_000);
});
