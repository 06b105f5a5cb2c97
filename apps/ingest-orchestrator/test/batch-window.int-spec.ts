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
import { AssetIngestRequestedV1, ImageDerivativesCreatedV1, type Envelope } from '@vellum/contracts';
import { cancelBatch, createPrismaClient, PRISMA, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher, queueNames } from '@vellum/messaging';
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
import { BatchWindow } from '../src/batch-window/batch-window';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { SERVICE_NAME } from '../src/tokens';
import { orchestratorTransportOptions } from '../src/transport-options';

/** Loosely typed message data, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const WINDOW = 2;
const PER_BATCH = 6;

/**
 * The batch window (fair share between customers) with the real orchestrator, a real RabbitMQ vhost, a real
 * Postgres clone, a node:http origin serving a real fixture and the fs object store. The test plays the
 * image-processor and replies only when told, so it sees exactly what is in flight.
 *
 * Customer A's whole batch is queued before customer B's. With a window of 2 (and no sweeper: only the releases on
 * finishing move parked members back), B's first members are dispatched before A's third, neither customer ever
 * has more than 2 in flight, and every member lands with exact counters. B's batch is then cancelled while four
 * of its members are parked: they come back, are skipped, and each skip lets the next one forward until B's lot
 * is empty.
 */
describe('batch window: customers share the workers (integration, real orchestrator)', () => {
  const image = { ...fixture('png-alpha.png'), data: readFileSync(fixturePath('png-alpha.png')) };
  let db: TestDatabase;
  let vhost: TestVhost;
  let storageRoot: string;
  let origin: Server;
  let originBase: string;
  let app: INestApplication;
  let prisma: PrismaClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  /** Commands dispatched to the "image-processor", in order; `replied` once the test answered one. */
  const dispatched: Array<{ data: Record<string, Loose>; replied: boolean }> = [];
  const customers: Record<'A' | 'B', number> = { A: 0, B: 0 };

  beforeAll(async () => {
    process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-orch-window-'));
    origin = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': image.mediaType, 'content-length': image.data.length });
      res.end(image.data);
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
      VELLUM_STORAGE_ROOT: storageRoot,
      VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      VELLUM_INGEST_CUSTOMER_WINDOW: String(WINDOW),
      VELLUM_INGEST_WINDOW_SWEEP_MS: '0',
    });

    conn = await amqp.connect(vhost.url);
    ch = await conn.createChannel();
    await ch.assertExchange(vhost.exchange, 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
    await ch.bindQueue(q.queue, vhost.exchange, 'image.derivatives.create.v1');
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      ch.ack(msg);
      dispatched.push({ data: (JSON.parse(msg.content.toString()) as Envelope<Loose>).data, replied: false });
    });

    const store = new FsObjectStore(storageRoot);
    app = await NestFactory.create(AppModule.forRoot({ env, store }), { logger: false });
    app.connectMicroservice(
      {
        strategy: createTransport(
          { serviceName: SERVICE_NAME, amqpUrl: vhost.url, exchange: vhost.exchange },
          orchestratorTransportOptions(env, app.get<PrismaClient>(PRISMA)),
        ),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();

    prisma = createPrismaClient(db.url);
    for (const k of ['A', 'B'] as const) {
      const name = `window-${k.toLowerCase()}`;
      customers[k] = (await prisma.customer.create({ data: { name, displayName: name } })).id;
      await prisma.space.create({ data: { customerId: customers[k], id: 1, name: 'one' } });
    }
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

  /** A batch as the gateway writes it: assets ingesting, members pending, one request per member. */
  async function submit(customerId: number): Promise<number> {
    const batch = await prisma.batch.create({ data: { customerId, count: PER_BATCH } });
    const ids = Array.from({ length: PER_BATCH }, (_, i) => `m-${i}`);
    await prisma.asset.createMany({
      data: ids.map((id) => ({
        customerId,
        spaceId: 1,
        id,
        origin: `${originBase}/${id}`,
        mediaType: image.mediaType,
        deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
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
    return batch.id;
  }

  /** Answers one dispatched command as the image-processor would (success). */
  async function reply(entry: (typeof dispatched)[number]): Promise<void> {
    entry.replied = true;
    const cmd = entry.data;
    const ref = { customerId: cmd.customerId, spaceId: 1, assetId: cmd.assetId, attempt: cmd.attempt };
    await app.get(MessagePublisher).publish(
      Object.assign(new ImageDerivativesCreatedV1(), {
        ...ref,
        width: image.width,
        height: image.height,
        pyramid: {
          bucket: 'vellum-derivatives',
          key: `${cmd.customerId}/1/${cmd.assetId}/image.tif`,
          size: 1,
        },
        openThumbnails: [
          {
            width: 100,
            height: 100,
            location: { bucket: 'vellum-thumbs', key: thumbnailKey(ref, 100, 100), size: 1 },
          },
        ],
        authThumbnails: [],
        elapsedMs: 1,
      }),
    );
  }

  const inFlight = (customerId: number) =>
    dispatched.filter((d) => d.data.customerId === customerId && !d.replied).length;
  const lot = (customerId: number) =>
    queueNames.parked(`${SERVICE_NAME}.${AssetIngestRequestedV1.routingKey}`, BatchWindow.lotOf(customerId));
  const parked = async (customerId: number) => {
    const c = await conn.createChannel();
    try {
      return (await c.checkQueue(lot(customerId))).messageCount;
    } catch {
      return 0;
    } finally {
      await c.close().catch(() => undefined);
    }
  };
  const batchRow = (id: number) => prisma.batch.findUniqueOrThrow({ where: { id } });

  it('interleaves two customers within their windows, and drains a cancelled batch from its lot', async () => {
    const batchA = await submit(customers.A);
    const batchB = await submit(customers.B);

    // Each customer has its window dispatched, the rest parked: B's first members go before A's third.
    await waitFor(
      async () =>
        dispatched.length === 2 * WINDOW &&
        (await parked(customers.A)) === PER_BATCH - WINDOW &&
        (await parked(customers.B)) === PER_BATCH - WINDOW,
      { timeoutMs: 30_000, description: 'both windows dispatched, the rest parked' },
    );
    expect(inFlight(customers.A)).toBe(WINDOW);
    expect(inFlight(customers.B)).toBe(WINDOW);

    // B is cancelled while four of its members are parked (not started): only its two in flight remain.
    const cancelled = await prisma.$transaction((tx) => cancelBatch(tx, customers.B, batchB, new Date()));
    expect(cancelled.kind === 'cancelled' && cancelled.members.length).toBe(PER_BATCH - WINDOW);

    // The "image-processor" answers one command at a time, oldest first; each finish brings the next forward.
    while (dispatched.some((d) => !d.replied)) {
      const next = dispatched.find((d) => !d.replied)!;
      const before = dispatched.length;
      await reply(next);
      if (next.data.customerId === customers.A && before < PER_BATCH + WINDOW)
        await waitFor(() => dispatched.length > before, {
          timeoutMs: 30_000,
          description: 'a parked member of A dispatched after A finished one',
        });
      expect(inFlight(customers.A)).toBeLessThanOrEqual(WINDOW);
      expect(inFlight(customers.B)).toBeLessThanOrEqual(WINDOW);
    }

    const [a, b] = await Promise.all(
      [batchA, batchB].map((id) =>
        waitFor(async () => ((await batchRow(id)).finished ? batchRow(id) : null), {
          timeoutMs: 30_000,
          description: `batch ${id} finished`,
        }),
      ),
    );
    expect(a).toMatchObject({ count: PER_BATCH, completed: PER_BATCH, errors: 0, cancelled: 0 });
    expect(b).toMatchObject({
      count: PER_BATCH,
      completed: WINDOW,
      errors: 0,
      cancelled: PER_BATCH - WINDOW,
    });
    // B's cancelled members came back one after another (each skip lets the next forward) and were never dispatched.
    await waitFor(async () => (await parked(customers.B)) === 0 && (await parked(customers.A)) === 0, {
      timeoutMs: 30_000,
      description: 'both lots empty',
    });
    expect(dispatched.filter((d) => d.data.customerId === customers.B)).toHaveLength(WINDOW);
    expect(dispatched.filter((d) => d.data.customerId === customers.A)).toHaveLength(PER_BATCH);
    const assets = await prisma.asset.findMany({ where: { ingesting: true } });
    expect(assets).toEqual([]);
  }, 120_000);
});
