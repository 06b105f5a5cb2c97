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
  BusMessageDeadLetteredV1,
  ImageDerivativesCreatedV1,
  type Envelope,
} from '@vellum/contracts';
import { createPrismaClient, PRISMA, type PrismaClient } from '@vellum/db';
import {
  createTransport,
  MessagePublisher,
  PRIORITY_LANE,
  queueNames,
  type VellumRmqTransport,
} from '@vellum/messaging';
import { FsObjectStore, thumbnailKey } from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  startPrivatePostgres,
  waitFor,
  type PrivatePostgres,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AppModule } from '../src/app.module';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { SERVICE_NAME } from '../src/tokens';
import { orchestratorTransportOptions } from '../src/transport-options';

jest.setTimeout(180_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const png = readFileSync(fixturePath('png-alpha.png'));
const imageChannels = [
  { channel: 'iiif-img', policy: 'default' },
  { channel: 'thumbs', policy: 'default' },
];

/** One orchestrator under test, the test playing its image-processor (it records every dispatched command). */
interface Rig {
  app: INestApplication;
  transport: VellumRmqTransport;
  prisma: PrismaClient;
  dispatched: Array<Envelope<Record<string, Loose>>>;
  publish(message: object, priority?: number): Promise<void>;
  close(): Promise<void>;
}

async function boot(opts: {
  databaseUrl: string;
  vhost: TestVhost;
  storageRoot: string;
  env?: Record<string, string>;
}): Promise<Rig> {
  const rawEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DATABASE_URL: opts.databaseUrl,
    AMQP_URL: opts.vhost.url,
    AMQP_EXCHANGE: opts.vhost.exchange,
    VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
    VELLUM_STORAGE_ROOT: opts.storageRoot,
    VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
    // The retry schedule, scaled down through the environment: 3 attempts, retries after at most 200 and 300 ms.
    VELLUM_RETRY_ATTEMPTS: '3',
    VELLUM_RETRY_INITIAL_DELAY_MS: '200',
    VELLUM_RETRY_MULTIPLIER: '1.5',
    VELLUM_RETRY_MAX_DELAY_MS: '300',
    ...opts.env,
  };
  const env = validateEnv(OrchestratorEnv, rawEnv);
  const dispatched: Array<Envelope<Record<string, Loose>>> = [];
  const conn = await amqp.connect(opts.vhost.url);
  const ch = await conn.createChannel();
  await ch.assertExchange(opts.vhost.exchange, 'topic', { durable: true });
  const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
  for (const key of ['image.derivatives.create.v1', 'image.derivatives.create.v1.priority'])
    await ch.bindQueue(q.queue, opts.vhost.exchange, key);
  await ch.consume(q.queue, (msg) => {
    if (!msg) return;
    dispatched.push(JSON.parse(msg.content.toString()) as Envelope<Record<string, Loose>>);
    ch.ack(msg);
  });
  const store = new FsObjectStore(opts.storageRoot);
  const app = await NestFactory.create(AppModule.forRoot({ env, store }), { logger: false });
  const prisma = createPrismaClient(opts.databaseUrl);
  const transport = createTransport(
    {
      serviceName: SERVICE_NAME,
      amqpUrl: opts.vhost.url,
      exchange: opts.vhost.exchange,
    },
    orchestratorTransportOptions(env, app.get<PrismaClient>(PRISMA)),
  );
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.init();
  return {
    app,
    transport,
    prisma,
    dispatched,
    publish: (message, priority = 0) => app.get(MessagePublisher).publish(message, { priority }),
    async close() {
      await app.close();
      await prisma.$disconnect();
      await conn.close().catch(() => undefined);
    },
  };
}

function request(customerId: number, assetId: string, priority = false, batchId?: number) {
  return Object.assign(new AssetIngestRequestedV1(), {
    customerId,
    spaceId: 1,
    assetId,
    attempt: 1,
    priority,
    ...(batchId ? { batchId } : {}),
  });
}

function created(customerId: number, assetId: string): ImageDerivativesCreatedV1 {
  const prefix = `${customerId}/1/${encodeURIComponent(assetId)}`;
  return Object.assign(new ImageDerivativesCreatedV1(), {
    customerId,
    spaceId: 1,
    assetId,
    attempt: 1,
    width: 592,
    height: 1167,
    pyramid: { bucket: 'vellum-derivatives', key: `${prefix}/image.tif`, size: 100_000 },
    openThumbnails: [
      {
        width: 203,
        height: 400,
        location: {
          bucket: 'vellum-thumbs',
          key: thumbnailKey({ customerId, spaceId: 1, assetId }, 203, 400),
          size: 4000,
        },
      },
    ],
    authThumbnails: [],
    elapsedMs: 420,
  });
}

async function customerWithSpace(prisma: PrismaClient, name: string): Promise<number> {
  const c = await prisma.customer.create({ data: { name, displayName: name } });
  await prisma.space.create({ data: { customerId: c.id, id: 1, name: 'one' } });
  return c.id;
}

async function queuedBatch(
  prisma: PrismaClient,
  customerId: number,
  ids: string[],
  origin: (id: string) => string,
) {
  const batch = await prisma.batch.create({ data: { customerId, count: ids.length } });
  for (const id of ids) {
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id,
        origin: origin(id),
        mediaType: 'image/png',
        deliveryChannels: imageChannels,
        ingesting: true,
        ingestAttempt: 1,
        batchId: batch.id,
      },
    });
    await prisma.batchMember.create({
      data: { batchId: batch.id, customerId, spaceId: 1, assetId: id, attempt: 1 },
    });
  }
  return batch.id;
}

/** Origins on 127.0.0.1: a fast one serving a PNG, and one trickling one byte a second that never finishes. */
async function origins(): Promise<{
  base: string;
  trickling: () => number;
  maxTrickling: () => number;
  close: () => Promise<void>;
}> {
  let trickling = 0;
  let maxTrickling = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/trickle/')) {
      trickling++;
      maxTrickling = Math.max(maxTrickling, trickling);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 1_000_000 });
      const t = setInterval(() => res.write('x'), 1000);
      res.on('close', () => {
        clearInterval(t);
        trickling--;
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
    res.end(png);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    trickling: () => trickling,
    maxTrickling: () => maxTrickling,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What {@link useRig} sets up for one describe block (filled in by its `beforeAll`). */
interface RigContext {
  rig: Rig;
  origin: Awaited<ReturnType<typeof origins>>;
  vhost: TestVhost;
  /** The private PostgreSQL cluster, when asked for. */
  pg?: PrivatePostgres;
}

/**
 * Registers `beforeAll`/`afterAll` for an orchestrator on a fresh database (on a private PostgreSQL cluster when
 * `privatePostgres`), a fresh vhost, a temp store and the test origins, and returns the context they fill.
 */
function useRig(opts: { env?: Record<string, string>; privatePostgres?: boolean } = {}): RigContext {
  const ctx = {} as RigContext;
  let db: TestDatabase | undefined;
  let storageRoot: string | undefined;
  beforeAll(async () => {
    if (opts.privatePostgres) ctx.pg = await startPrivatePostgres();
    [db, ctx.vhost] = await Promise.all([createTestDatabase({ baseUrl: ctx.pg?.url }), createTestVhost()]);
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-orch-resilience-'));
    ctx.origin = await origins();
    ctx.rig = await boot({ databaseUrl: db.url, vhost: ctx.vhost, storageRoot, env: opts.env });
  });
  afterAll(async () => {
    await ctx.pg?.start().catch(() => undefined);
    await ctx.origin?.close();
    await ctx.rig?.close();
    await Promise.all([
      db?.drop(),
      ctx.vhost?.drop(),
      storageRoot ? rm(storageRoot, { recursive: true, force: true }) : undefined,
    ]);
    await ctx.pg?.destroy();
  });
  return ctx;
}

describe('one customer with slow origins', () => {
  const ctx = useRig({
    // Small lanes so the test is light: 4 batch slots (2 per customer), 2 priority slots. Rate check off, so the
    // trickling origins hold their slots for as long as the test runs.
    env: {
      VELLUM_INGEST_PREFETCH: '4',
      VELLUM_INGEST_CUSTOMER_SLOTS: '2',
      VELLUM_INGEST_PRIORITY_SLOTS: '2',
      VELLUM_ORIGIN_MIN_BYTES_PER_SECOND: '0',
    },
  });

  it("holds at most its share of the batch lane, and delays neither another customer's batch nor an immediate PUT", async () => {
    const a = await customerWithSpace(ctx.rig.prisma, 'fair-a');
    const b = await customerWithSpace(ctx.rig.prisma, 'fair-b');
    // B queues 6 images from origins that trickle a byte a second: more than the whole batch lane (4 slots), fewer
    // than its prefetch (8), as in the report (16 trickling origins against 16 slots and a prefetch of 32).
    const bIds = Array.from({ length: 6 }, (_, i) => `slow-${i}`);
    const bBatch = await queuedBatch(ctx.rig.prisma, b, bIds, (id) => `${ctx.origin.base}/trickle/${id}.png`);
    for (const id of bIds) await ctx.rig.publish(request(b, id, false, bBatch));
    await waitFor(() => ctx.origin.trickling() === 2, {
      timeoutMs: 30_000,
      description: "B's stagings to start",
    });

    // Then A: one batch image and one immediate registration (priority lane), both from a fast origin.
    const aBatch = await queuedBatch(ctx.rig.prisma, a, ['a-batch'], () => `${ctx.origin.base}/a.png`);
    await ctx.rig.prisma.asset.create({
      data: {
        customerId: a,
        spaceId: 1,
        id: 'a-put',
        origin: `${ctx.origin.base}/a.png`,
        mediaType: 'image/png',
        deliveryChannels: imageChannels,
        ingesting: true,
        ingestAttempt: 1,
      },
    });
    await ctx.rig.publish(request(a, 'a-batch', false, aBatch));
    await ctx.rig.publish(request(a, 'a-put', true), PRIORITY_LANE);

    const dispatchedOf = (id: string) => ctx.rig.dispatched.find((d) => d.data.assetId === id);
    await waitFor(() => dispatchedOf('a-put') && dispatchedOf('a-batch'), {
      timeoutMs: 30_000,
      description: "A's immediate and batch images to be staged and dispatched while B's origins trickle",
    });
    // B never held more than its share, and is still trickling (its slow stagings were not what made room).
    expect(ctx.origin.maxTrickling()).toBe(2);
    expect(ctx.origin.trickling()).toBe(2);
    expect(ctx.rig.dispatched.filter((d) => String(d.data.assetId).startsWith('slow-'))).toHaveLength(0);
  });
});

describe('a PostgreSQL outage longer than the retry schedule', () => {
  const ctx = useRig({ privatePostgres: true });

  it('pauses consumers, dead-letters nothing, and the batch completes with exact counters once it is back', async () => {
    const c = await customerWithSpace(ctx.rig.prisma, 'outage');
    const ids = Array.from({ length: 6 }, (_, i) => `page-${i}`);
    const batchId = await queuedBatch(ctx.rig.prisma, c, ids, (id) => `${ctx.origin.base}/${id}.png`);
    for (const id of ids) await ctx.rig.publish(request(c, id, false, batchId));
    await waitFor(() => ctx.rig.dispatched.length === ids.length, {
      timeoutMs: 30_000,
      description: 'every page dispatched',
    });

    await ctx.pg!.stop();
    // The worker replies while the database is down: the orchestrator cannot finalise them.
    for (const id of ids) await ctx.rig.publish(created(c, id));
    await waitFor(() => ctx.rig.transport.isPausedForOutage, {
      timeoutMs: 30_000,
      description: 'consumers to pause',
    });
    // Keep the database down for several times the whole retry schedule (200 ms + 300 ms here): without the
    // outage gate every reply would have been dead-lettered by now.
    await new Promise((r) => setTimeout(r, 3000));
    await ctx.pg!.start();

    const batch = await waitFor(
      async () => {
        const b = await ctx.rig.prisma.batch.findUnique({ where: { id: batchId } });
        return b?.finished ? b : null;
      },
      { timeoutMs: 60_000, description: 'the batch to finish after the outage' },
    );
    expect({ count: batch.count, completed: batch.completed, errors: batch.errors }).toEqual({
      count: 6,
      completed: 6,
      errors: 0,
    });
    expect(await ctx.rig.prisma.asset.count({ where: { customerId: c, ingesting: true } })).toBe(0);
    const probe = await amqp.connect(ctx.vhost.url);
    try {
      const ch = await probe.createChannel();
      const { messageCount } = await ch.checkQueue(queueNames.deadLetter(SERVICE_NAME));
      expect(messageCount).toBe(0);
    } finally {
      await probe.close();
    }
  });
});

describe('a worker that gives up on a command', () => {
  const ctx = useRig();

  it('fails the asset attempt and counts the batch error when its command is dead-lettered as crashed', async () => {
    const c = await customerWithSpace(ctx.rig.prisma, 'crashy');
    const batchId = await queuedBatch(ctx.rig.prisma, c, ['bomb'], () => `${ctx.origin.base}/bomb.png`);
    await ctx.rig.publish(request(c, 'bomb', false, batchId));
    const cmd = await waitFor(() => ctx.rig.dispatched.find((d) => d.data.assetId === 'bomb'), {
      description: 'the image command',
    });
    // What the image-processor's transport announces after the command crashed it three times.
    await ctx.rig.publish(
      Object.assign(new BusMessageDeadLetteredV1(), {
        service: 'image-processor',
        queue: 'image-processor.image.derivatives.create.v1',
        messageType: 'image.derivatives.create.v1',
        messageId: cmd.id,
        reason: 'crashed',
        error: 'redelivered 3 times',
        attempts: 1,
        crashes: 3,
        data: cmd.data,
      }),
    );
    const asset = await waitFor(
      async () => {
        const a = await ctx.rig.prisma.asset.findUnique({
          where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id: 'bomb' } },
        });
        return a && !a.ingesting ? a : null;
      },
      { timeoutMs: 20_000, description: 'the asset to be failed' },
    );
    expect(asset.error).toBe(
      'Image processing was abandoned: it was in hand each of the 3 times the image-processor died (the file may be malformed, or need more memory or time than the worker has)',
    );
    const batch = await ctx.rig.prisma.batch.findUnique({ where: { id: batchId } });
    expect(batch).toMatchObject({ count: 1, completed: 0, errors: 1 });
    expect(batch?.finished).toBeTruthy();
  });
});

describe('an ingest that hangs its handler', () => {
  const ctx = useRig({
    // An origin trickling a byte a second with the rate check off never finishes a staging: only the handler
    // deadline ends it.
    env: {
      VELLUM_HANDLER_TIMEOUT_MS: '1500',
      VELLUM_ORIGIN_MIN_BYTES_PER_SECOND: '0',
    },
  });

  it('is abandoned at the deadline on every attempt (its staging stopped), dead-lettered as timeout, and the asset fails', async () => {
    const c = await customerWithSpace(ctx.rig.prisma, 'hangs');
    const batchId = await queuedBatch(
      ctx.rig.prisma,
      c,
      ['stuck'],
      () => `${ctx.origin.base}/trickle/stuck.png`,
    );
    await ctx.rig.publish(request(c, 'stuck', false, batchId));
    const asset = await waitFor(
      async () => {
        const a = await ctx.rig.prisma.asset.findUnique({
          where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id: 'stuck' } },
        });
        return a && !a.ingesting ? a : null;
      },
      { timeoutMs: 60_000, description: 'the asset to be failed' },
    );
    expect(asset.error).toBe(
      'Ingest hung (the ingest-orchestrator gave up at its handler deadline) after 3 attempts (retryable): the asset.ingest.requested.v1 handler did not finish within 1500 ms (handler deadline); abandoned',
    );
    const batch = await ctx.rig.prisma.batch.findUnique({ where: { id: batchId } });
    expect(batch).toMatchObject({ count: 1, completed: 0, errors: 1 });
    expect(batch?.finished).toBeTruthy();
    // Each abandoned attempt stopped its fetch: no staging keeps trickling (and holding its slot) behind the retry.
    await waitFor(() => ctx.origin.trickling() === 0, {
      timeoutMs: 20_000,
      description: 'every abandoned staging to close its origin connection',
    });
    expect(ctx.rig.dispatched.filter((d) => d.data.assetId === 'stuck')).toHaveLength(0);
    const probe = await amqp.connect(ctx.vhost.url);
    try {
      const ch = await probe.createChannel();
      const dead = await ch.get(queueNames.deadLetter(SERVICE_NAME), { noAck: true });
      expect(dead && dead.properties.headers).toMatchObject({ 'x-vellum-dead-letter-reason': 'timeout' });
      const q = await ch.checkQueue(queueNames.main(SERVICE_NAME, AssetIngestRequestedV1.routingKey));
      expect(q.messageCount).toBe(0);
    } finally {
      await probe.close();
    }
  });
});
