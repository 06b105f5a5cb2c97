import 'reflect-metadata';
import * as amqp from 'amqplib';
import { AssetIngestRequestedV1, Envelope } from '@vellum/contracts';
import { createPrismaClient, PrismaClient } from '@vellum/db';
import { createTestDatabase, createTestVhost, TestDatabase, TestVhost, waitFor } from '@vellum/testing';
import {
  AmqpConnectionManager,
  BrokerUnavailableError,
  MessagePublisher,
  OutboxRelay,
  outboxRow,
  PRIORITY_LANE,
} from './index';

jest.setTimeout(90_000);

let db: TestDatabase;
let vhost: TestVhost;
let prismaA: PrismaClient;
let prismaB: PrismaClient;
let probe: amqp.ChannelModel;
let probeCh: amqp.Channel;
const queue = 'outbox-probe';
const managers: AmqpConnectionManager[] = [];

function ingest(i: number): AssetIngestRequestedV1 {
  return Object.assign(new AssetIngestRequestedV1(), {
    customerId: 1,
    spaceId: 1,
    assetId: `asset-${i}`,
    attempt: 1,
    priority: false,
  });
}

async function relay(
  prisma: PrismaClient,
  opts: { start?: boolean } = {},
): Promise<{ relay: OutboxRelay; connection: AmqpConnectionManager }> {
  const connection = new AmqpConnectionManager({
    serviceName: 'api-gateway',
    amqpUrl: vhost.url,
    exchange: vhost.exchange,
  });
  managers.push(connection);
  if (opts.start !== false) await connection.start();
  return {
    relay: new OutboxRelay(prisma, new MessagePublisher(connection), connection, { batchSize: 7 }),
    connection,
  };
}

async function received(): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (;;) {
    const m = await probeCh.get(queue, { noAck: true });
    if (!m) return out;
    out.push(JSON.parse(m.content.toString()) as Envelope);
  }
}

async function writeRows(prisma: PrismaClient, from: number, to: number): Promise<string[]> {
  const rows: ReturnType<typeof outboxRow>[] = [];
  for (let i = from; i < to; i++)
    rows.push(outboxRow(ingest(i), { producer: 'api-gateway', correlationId: `corr-${i}` }));
  await prisma.$transaction(async (tx) => {
    for (const data of rows) await tx.outboxMessage.create({ data });
  });
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  prismaA = createPrismaClient(db.url);
  prismaB = createPrismaClient(db.url);
  probe = await amqp.connect(vhost.url);
  probeCh = await probe.createChannel();
  await probeCh.assertExchange(vhost.exchange, 'topic', { durable: true });
  await probeCh.assertQueue(queue, { durable: false, arguments: { 'x-max-priority': 10 } });
  await probeCh.bindQueue(queue, vhost.exchange, '#');
});

afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
  await probe?.close().catch(() => undefined);
  await prismaA?.$disconnect();
  await prismaB?.$disconnect();
  await db?.drop();
  await vhost?.drop();
});

beforeEach(async () => {
  await prismaA.outboxMessage.deleteMany({});
  await received();
});

describe('outboxRow', () => {
  it('validates the payload and builds the envelope row', () => {
    const row = outboxRow(ingest(1), {
      producer: 'api-gateway',
      correlationId: 'c-1',
      priority: PRIORITY_LANE,
    });
    expect(row.routingKey).toBe('asset.ingest.requested.v1');
    expect(row.priority).toBe(5);
    const env = row.envelope as unknown as Envelope;
    expect(env).toMatchObject({
      id: row.id,
      type: row.routingKey,
      correlationId: 'c-1',
      producer: 'api-gateway',
    });
    expect(() =>
      outboxRow(Object.assign(new AssetIngestRequestedV1(), { customerId: 0 }), { producer: 'x' }),
    ).toThrow(/Invalid asset.ingest.requested.v1/);
    expect(() => outboxRow({ some: 'object' }, { producer: 'x' })).toThrow(TypeError);
  });
});

describe('OutboxRelay (real Postgres + RabbitMQ)', () => {
  it('publishes committed rows exactly once even with two relays running, and marks sentAt', async () => {
    const ids = await writeRows(prismaA, 0, 60);
    const a = await relay(prismaA);
    const b = await relay(prismaB);
    a.relay.start();
    b.relay.start();
    // Hammer both relays while more rows are committed.
    const more = writeRows(prismaB, 60, 100);
    for (let i = 0; i < 10; i++) {
      a.relay.kick();
      b.relay.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
    ids.push(...(await more));
    const got: Envelope[] = [];
    await waitFor(
      async () => {
        got.push(...(await received()));
        return got.length >= 100;
      },
      { timeoutMs: 30_000, description: '100 messages' },
    );
    await new Promise((r) => setTimeout(r, 700));
    got.push(...(await received()));
    await a.relay.stop();
    await b.relay.stop();
    expect(got).toHaveLength(100);
    expect(new Set(got.map((e) => e.id))).toEqual(new Set(ids));
    expect(got.find((e) => e.id === ids[5])?.correlationId).toBe('corr-5');
    expect(await prismaA.outboxMessage.count({ where: { sentAt: null } })).toBe(0);
    expect(await prismaA.outboxMessage.count({ where: { attempts: { not: 1 } } })).toBe(0);
  });

  it('leaves rows unsent while the broker is unreachable and publishes them when it returns', async () => {
    const ids = await writeRows(prismaA, 0, 3);
    const { relay: r, connection } = await relay(prismaA, { start: false });
    const publisher = new MessagePublisher(connection);
    const t0 = Date.now();
    await expect(publisher.publish(ingest(9))).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - t0).toBeLessThan(100);
    r.start();
    r.kick();
    await new Promise((res) => setTimeout(res, 600));
    expect(await prismaA.outboxMessage.count({ where: { sentAt: null } })).toBe(3);
    expect(await received()).toHaveLength(0);
    // The broker "returns".
    await connection.start();
    r.kick();
    await waitFor(async () => (await prismaA.outboxMessage.count({ where: { sentAt: null } })) === 0, {
      description: 'rows sent',
    });
    await r.stop();
    const got = await received();
    expect(got.map((e) => e.id)).toEqual(ids);
  });

  it('keeps the row priority on the wire (the priority lane)', async () => {
    await prismaA.outboxMessage.create({
      data: outboxRow(ingest(1), { producer: 'api-gateway', priority: PRIORITY_LANE }),
    });
    const { relay: r } = await relay(prismaA);
    expect(await r.drain()).toBe(1);
    const m = await waitFor(async () => (await probeCh.get(queue, { noAck: true })) || undefined);
    expect(m.properties.priority).toBe(5);
    expect(m.properties.deliveryMode).toBe(2);
  });
});
