import 'reflect-metadata';
import { Controller, INestMicroservice, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { execFile } from 'node:child_process';
import * as amqp from 'amqplib';
import { correlation, createValidationPipe } from '@vellum/common';
import { AssetCreatedV1, AssetDeletedV1, AssetIngestRequestedV1, createEnvelope } from '@vellum/contracts';
import { createTestVhost, TestVhost, waitFor } from '@vellum/testing';
import {
  HEADERS,
  MessagePublisher,
  MessagingModule,
  ParkMessage,
  PermanentMessageError,
  queueNames,
  type TransportOptions,
  VellumRmqContext,
  VellumRmqTransport,
} from './index';

jest.setTimeout(60_000);

let vhost: TestVhost;
let probe: amqp.ChannelModel;
let probeCh: amqp.Channel;
let seq = 0;

beforeAll(async () => {
  vhost = await createTestVhost();
  probe = await amqp.connect(vhost.url);
  probeCh = await probe.createChannel();
});

afterAll(async () => {
  await probe?.close().catch(() => undefined);
  await vhost?.drop();
});

/** Calls recorded by the handlers below. */
interface Call {
  key: string;
  payload: unknown;
  attempt: number;
  isLastAttempt: boolean;
  correlationId: string | undefined;
  envelopeCorrelationId: string;
  producer: string;
}
let calls: Call[] = [];
/** Per-test behaviour of the handlers. */
let behaviour: (key: string, payload: unknown, ctx: VellumRmqContext) => Promise<void> = async () =>
  undefined;

function record(key: string, payload: unknown, ctx: VellumRmqContext): Promise<void> {
  calls.push({
    key,
    payload,
    attempt: ctx.attempt,
    isLastAttempt: ctx.isLastAttempt,
    correlationId: correlation.get(),
    envelopeCorrelationId: ctx.envelope.correlationId,
    producer: ctx.envelope.producer,
  });
  return behaviour(key, payload, ctx);
}

@Controller()
class IngestHandlers {
  @EventPattern(AssetIngestRequestedV1.routingKey, { prefetch: 1 })
  async onIngest(@Payload() payload: AssetIngestRequestedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await record(AssetIngestRequestedV1.routingKey, payload, ctx);
  }

  @EventPattern(AssetDeletedV1.routingKey)
  async onDeleted(@Payload() payload: AssetDeletedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await record(AssetDeletedV1.routingKey, payload, ctx);
  }
}

@Controller()
class ExclusiveHandlers {
  @EventPattern(AssetCreatedV1.routingKey, { exclusive: true })
  async onCreated(@Payload() payload: AssetCreatedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await record(AssetCreatedV1.routingKey, payload, ctx);
  }
}

interface Service {
  app: INestMicroservice;
  transport: VellumRmqTransport;
  publisher: MessagePublisher;
  serviceName: string;
}

async function startService(
  controllers: Type[],
  opts: {
    retryDelaysMs?: number[];
    serviceName?: string;
    globalPipe?: boolean;
    transport?: Partial<TransportOptions>;
  } = {},
): Promise<Service> {
  const serviceName = opts.serviceName ?? `svc${++seq}-${vhost.id}`;
  const messaging = { serviceName, amqpUrl: vhost.url, exchange: vhost.exchange };
  @Module({ imports: [MessagingModule.forRoot(messaging)], controllers })
  class TestModule {}
  const transport = new VellumRmqTransport({
    ...messaging,
    retryDelaysMs: opts.retryDelaysMs ?? [100, 200],
    ...opts.transport,
  });
  const app = await NestFactory.createMicroservice(TestModule, {
    strategy: transport,
    logger: process.env.TEST_LOGS ? undefined : false,
  });
  if (opts.globalPipe) app.useGlobalPipes(createValidationPipe());
  await app.listen();
  return { app, transport, publisher: app.get(MessagePublisher), serviceName };
}

async function getAll(queue: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = [];
  for (;;) {
    const m = await probeCh.get(queue, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ingest(assetId: string, extra: Partial<AssetIngestRequestedV1> = {}): AssetIngestRequestedV1 {
  return Object.assign(new AssetIngestRequestedV1(), {
    customerId: 1,
    spaceId: 2,
    assetId,
    attempt: 1,
    priority: false,
    ...extra,
  });
}

beforeEach(() => {
  calls = [];
  behaviour = async () => undefined;
});

describe('VellumRmqTransport (real RabbitMQ)', () => {
  it('round-trips a message through a Nest microservice, carrying the correlation id', async () => {
    const svc = await startService([IngestHandlers]);
    try {
      await correlation.run('corr-round-trip', () => svc.publisher.publish(ingest('a1')));
      await waitFor(() => calls.length === 1, { description: 'handler call' });
      const [call] = calls;
      expect(call.payload).toBeInstanceOf(AssetIngestRequestedV1);
      expect(call.payload).toEqual({ customerId: 1, spaceId: 2, assetId: 'a1', attempt: 1, priority: false });
      expect(call.correlationId).toBe('corr-round-trip');
      expect(call.envelopeCorrelationId).toBe('corr-round-trip');
      expect(call.producer).toBe(svc.serviceName);
      expect(call.attempt).toBe(1);
      const ingestQueue = queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey);
      const deletedQueue = queueNames.main(svc.serviceName, AssetDeletedV1.routingKey);
      expect(svc.transport.queues).toEqual([
        ingestQueue,
        queueNames.suspect(ingestQueue),
        deletedQueue,
        queueNames.suspect(deletedQueue),
      ]);
      const q = await probeCh.checkQueue(queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey));
      expect(q.messageCount).toBe(0);
    } finally {
      await svc.app.close();
    }
  });

  it('dead-letters an invalid payload at once, without calling the handler or retrying', async () => {
    const svc = await startService([IngestHandlers]);
    try {
      const bad = createEnvelope(
        AssetIngestRequestedV1.routingKey,
        { customerId: 'x', assetId: 'a2' },
        { correlationId: 'c', producer: 'test' },
      );
      await svc.publisher.publishEnvelope(bad);
      const dlq = queueNames.deadLetter(svc.serviceName);
      const [dead] = await waitFor(
        async () => {
          const m = await getAll(dlq);
          return m.length ? m : undefined;
        },
        { description: 'dead letter' },
      );
      expect(calls).toHaveLength(0);
      const h = dead.properties.headers ?? {};
      expect(h[HEADERS.reason]).toBe('invalid');
      expect(String(h[HEADERS.error])).toMatch(/customerId/);
      expect(h[HEADERS.routingKey]).toBe(AssetIngestRequestedV1.routingKey);
      expect(h[HEADERS.queue]).toBe(queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey));
      expect(JSON.parse(dead.content.toString()).id).toBe(bad.id);
      // Not JSON at all: dead-lettered too.
      probeCh.publish(vhost.exchange, AssetDeletedV1.routingKey, Buffer.from('not json'));
      await waitFor(async () => (await getAll(dlq)).length === 1, { description: 'second dead letter' });
      await sleep(400);
      expect(calls).toHaveLength(0);
    } finally {
      await svc.app.close();
    }
  });

  it('retries a failing handler through the retry queues, then dead-letters it with the error', async () => {
    const svc = await startService([IngestHandlers], { retryDelaysMs: [100, 200] });
    try {
      behaviour = async () => {
        throw new Error('origin timed out');
      };
      const started = Date.now();
      await svc.publisher.publish(ingest('a3'));
      const dlq = queueNames.deadLetter(svc.serviceName);
      const [dead] = await waitFor(
        async () => {
          const m = await getAll(dlq);
          return m.length ? m : undefined;
        },
        { description: 'dead letter' },
      );
      // Each retry waits between (1 - jitter) × its ceiling and the ceiling: here at least 50 + 100 ms.
      const shortest = [100, 200].reduce((sum, d) => sum + d * (1 - svc.transport.retryJitter), 0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(Math.floor(shortest));
      expect(calls.map((c) => [c.attempt, c.isLastAttempt])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      const h = dead.properties.headers ?? {};
      expect(h[HEADERS.error]).toBe('origin timed out');
      expect(h[HEADERS.reason]).toBe('exhausted');
      expect(h[HEADERS.attempt]).toBe(3);
      await sleep(400);
      expect(calls).toHaveLength(3);
    } finally {
      await svc.app.close();
    }
  });

  it('acks a message whose retry succeeds, and dead-letters PermanentMessageError at once', async () => {
    const svc = await startService([IngestHandlers], { retryDelaysMs: [100, 200] });
    try {
      behaviour = async (_k, payload, ctx) => {
        const id = (payload as AssetIngestRequestedV1).assetId;
        if (id === 'flaky' && ctx.attempt === 1) throw new Error('flaky once');
        if (id === 'corrupt') throw new PermanentMessageError('corrupt file');
      };
      await svc.publisher.publish(ingest('flaky'));
      await svc.publisher.publish(ingest('corrupt'));
      const dlq = queueNames.deadLetter(svc.serviceName);
      const [dead] = await waitFor(
        async () => {
          const m = await getAll(dlq);
          return m.length ? m : undefined;
        },
        { description: 'dead letter' },
      );
      await waitFor(
        () => calls.filter((c) => (c.payload as AssetIngestRequestedV1).assetId === 'flaky').length === 2,
      );
      await sleep(500);
      expect(calls.filter((c) => (c.payload as AssetIngestRequestedV1).assetId === 'corrupt')).toHaveLength(
        1,
      );
      expect(calls.filter((c) => (c.payload as AssetIngestRequestedV1).assetId === 'flaky')).toHaveLength(2);
      expect(dead.properties.headers?.[HEADERS.reason]).toBe('permanent');
      expect(dead.properties.headers?.[HEADERS.error]).toBe('corrupt file');
      expect(await getAll(dlq)).toHaveLength(0);
    } finally {
      await svc.app.close();
    }
  });

  it('ParkMessage sets a message aside without spending an attempt; unpark moves it back ahead of fresh work', async () => {
    const svc = await startService([IngestHandlers], { retryDelaysMs: [100, 200] });
    try {
      let parking = true;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      behaviour = async (_k, payload) => {
        const id = (payload as AssetIngestRequestedV1).assetId;
        if (id.startsWith('parked-') && parking) throw new ParkMessage('customer-7', 'over its window');
        if (id === 'blocker') await gate;
      };
      for (let i = 0; i < 3; i++) await svc.publisher.publish(ingest(`parked-${i}`));
      await waitFor(() => calls.length === 3, { description: 'three handled once' });
      const main = queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey);
      const lot = queueNames.parked(main, 'customer-7');
      await waitFor(async () => (await probeCh.checkQueue(lot)).messageCount === 3, {
        description: 'three in the lot',
      });
      expect(await svc.transport.unpark(AssetIngestRequestedV1.routingKey, 'customer-9', 5)).toBe(0);

      // A blocker holds the consumer (prefetch 1) while fresh work queues up behind it; unparked messages jump it.
      parking = false;
      await svc.publisher.publish(ingest('blocker'));
      await waitFor(() => calls.length === 4, { description: 'blocker running' });
      for (let i = 0; i < 3; i++) await svc.publisher.publish(ingest(`fresh-${i}`));
      expect(await svc.transport.unpark(AssetIngestRequestedV1.routingKey, 'customer-7', 2)).toBe(2);
      expect((await probeCh.checkQueue(lot)).messageCount).toBe(1);
      release();
      await waitFor(() => calls.length === 9, { description: 'all but one parked handled' });
      const after = calls.slice(4).map((c) => (c.payload as AssetIngestRequestedV1).assetId);
      expect(after.slice(0, 2).sort()).toEqual(['parked-0', 'parked-1']);
      expect(after.slice(2).sort()).toEqual(['fresh-0', 'fresh-1', 'fresh-2']);
      // The attempt is the same as the first delivery's: parking spent none.
      expect(calls.slice(4, 6).map((c) => c.attempt)).toEqual([1, 1]);
      expect(await svc.transport.unpark(AssetIngestRequestedV1.routingKey, 'customer-7', 5)).toBe(1);
      await waitFor(() => calls.length === 10, { description: 'the last parked handled' });
      expect((await probeCh.checkQueue(lot)).messageCount).toBe(0);
      expect(await getAll(queueNames.deadLetter(svc.serviceName))).toHaveLength(0);
      await expect(svc.transport.unpark('asset.deleted.v1.nope', 'customer-7', 1)).rejects.toThrow(
        'no durable consumer',
      );
    } finally {
      await svc.app.close();
    }
  });

  it('priority lane: with prefetch 1, a priority-5 message overtakes a backlog of priority-0 messages', async () => {
    const svc = await startService([IngestHandlers]);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      behaviour = async (_k, payload) => {
        if ((payload as AssetIngestRequestedV1).assetId === 'blocker') await gate;
      };
      await svc.publisher.publish(ingest('blocker'));
      await waitFor(() => calls.length === 1);
      for (let i = 0; i < 20; i++) await svc.publisher.publish(ingest(`batch-${i}`));
      await svc.publisher.publish(ingest('interactive', { priority: true }), { priority: 5 });
      release();
      await waitFor(() => calls.length === 22, { description: 'all handled' });
      const order = calls.map((c) => (c.payload as AssetIngestRequestedV1).assetId);
      expect(order[0]).toBe('blocker');
      expect(order[1]).toBe('interactive');
    } finally {
      await svc.app.close();
    }
  });

  it('close() waits for in-flight handlers, and the message is acked, not redelivered', async () => {
    const svc = await startService([IngestHandlers]);
    let finished = false;
    behaviour = async () => {
      await sleep(500);
      finished = true;
    };
    await svc.publisher.publish(ingest('slow'));
    await waitFor(() => calls.length === 1);
    await svc.app.close();
    expect(finished).toBe(true);
    const q = await probeCh.checkQueue(queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey));
    expect(q.messageCount).toBe(0);
  });

  it('exclusive patterns: every instance gets its own auto-delete queue and every message', async () => {
    const a = await startService([ExclusiveHandlers], { serviceName: `gw-${vhost.id}` });
    const b = await startService([ExclusiveHandlers], { serviceName: `gw-${vhost.id}` });
    try {
      expect(a.transport.queues[0]).not.toBe(b.transport.queues[0]);
      expect(a.transport.queues[0]).toMatch(new RegExp(`^gw-${vhost.id}\\..+\\.asset\\.created\\.v1$`));
      await a.publisher.publish(
        Object.assign(new AssetCreatedV1(), {
          customerId: 1,
          spaceId: 1,
          assetId: 'x',
          mediaType: 'image/jpeg',
        }),
      );
      await waitFor(() => calls.length === 2, { description: 'both instances' });
    } finally {
      await a.app.close();
      await b.app.close();
    }
    const scratch = await probe.createChannel();
    scratch.on('error', () => undefined);
    await expect(scratch.checkQueue(a.transport.queues[0])).rejects.toThrow(/NOT_FOUND/);
  });

  it('broadcastSince: when the per-instance queue was bound; undefined while it is gone; later after a reconnect', async () => {
    if (!vhost.isolated) return; // needs rabbitmqctl
    const t0 = Date.now();
    // A slow first reconnect, so the gap (no per-instance queue) lasts long enough to be seen.
    const svc = await startService([ExclusiveHandlers, IngestHandlers], {
      transport: { reconnectMinDelayMs: 1500, reconnectMaxDelayMs: 3000 },
    });
    let closed = false;
    try {
      const key = AssetCreatedV1.routingKey;
      const first = svc.transport.broadcastSince(key);
      expect(first).toBeGreaterThanOrEqual(t0);
      expect(first).toBeLessThanOrEqual(Date.now());
      // Durable patterns are not broadcasts: no per-instance queue, nothing to miss.
      expect(svc.transport.broadcastSince(AssetIngestRequestedV1.routingKey)).toBeUndefined();
      await new Promise<void>((resolve, reject) =>
        execFile(
          'rabbitmqctl',
          ['close_all_connections', '-p', vhost.vhost, 'test: simulated broker loss'],
          (err) => (err ? reject(new Error(err.message)) : resolve()),
        ),
      );
      await waitFor(() => svc.transport.broadcastSince(key) === undefined, {
        timeoutMs: 5_000,
        intervalMs: 10,
        description: 'the queue counted as gone while disconnected',
      });
      await waitFor(() => (svc.transport.broadcastSince(key) ?? 0) > first!, {
        timeoutMs: 20_000,
        description: 're-subscribed with a later time',
      });
      probe = await amqp.connect(vhost.url).catch(() => probe);
      probeCh = await probe.createChannel();
      const event = Object.assign(new AssetCreatedV1(), {
        customerId: 1,
        spaceId: 1,
        assetId: 'after-gap',
        mediaType: 'image/jpeg',
      });
      await waitFor(
        async () => {
          try {
            await svc.publisher.publish(event);
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000 },
      );
      await waitFor(() => calls.some((c) => (c.payload as AssetCreatedV1).assetId === 'after-gap'), {
        description: 'heard after the gap',
      });
      await svc.app.close();
      closed = true;
      expect(svc.transport.broadcastSince(key)).toBeUndefined();
    } finally {
      if (!closed) await svc.app.close();
    }
  });

  it('reconnects after the broker drops its connections, re-asserts topology and re-subscribes', async () => {
    if (!vhost.isolated) return; // needs rabbitmqctl
    const svc = await startService([IngestHandlers]);
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(
          'rabbitmqctl',
          ['close_all_connections', '-p', vhost.vhost, 'test: simulated broker loss'],
          (err) => (err ? reject(new Error(err.message)) : resolve()),
        ),
      );
      await waitFor(() => !svc.transport.isConnected, { timeoutMs: 10_000, intervalMs: 20 }).catch(
        () => undefined,
      );
      probe = await amqp.connect(vhost.url).catch(() => probe);
      probeCh = await probe.createChannel();
      await waitFor(() => svc.transport.isConnected && svc.app.get(MessagePublisher) !== undefined, {
        timeoutMs: 20_000,
      });
      await waitFor(
        async () => {
          try {
            await svc.publisher.publish(ingest('after-reconnect'));
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000 },
      );
      await waitFor(
        () => calls.some((c) => (c.payload as AssetIngestRequestedV1).assetId === 'after-reconnect'),
        { timeoutMs: 20_000 },
      );
    } finally {
      await svc.app.close();
    }
  });

  it('works with the global ValidationPipe apps install (createValidationPipe)', async () => {
    const svc = await startService([IngestHandlers], { globalPipe: true });
    try {
      await correlation.run('corr-pipe', () => svc.publisher.publish(ingest('piped')));
      await waitFor(() => calls.length === 1, { description: 'handler call' });
      expect(calls[0].payload).toBeInstanceOf(AssetIngestRequestedV1);
      expect(calls[0].envelopeCorrelationId).toBe('corr-pipe');
      expect(calls[0].attempt).toBe(1);
    } finally {
      await svc.app.close();
    }
  });

  it('refuses to start with a handler for an unregistered routing key', async () => {
    @Controller()
    class Bad {
      @EventPattern('nothing.registered.here.v1')
      async on(): Promise<void> {}
    }
    await expect(startService([Bad])).rejects.toThrow(/no message registered/);
  });
});
