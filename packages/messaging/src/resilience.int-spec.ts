import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import * as amqp from 'amqplib';
import {
  AssetDeletedV1,
  AssetIngestRequestedV1,
  BusMessageDeadLetteredV1,
  createEnvelope,
  type Envelope,
} from '@vellum/contracts';
import { createTestVhost, type TestVhost, waitFor } from '@vellum/testing';
import {
  HEADERS,
  laneRoutingKey,
  MessagingModule,
  PermanentMessageError,
  PRIORITY_LANE,
  queueNames,
  replayDeadLetters,
  type VellumRmqContext,
  VellumRmqTransport,
} from './index';

jest.setTimeout(120_000);

/**
 * The transport's defences against what a real platform meets (issue: crash loops, a database outage stranding
 * a batch, a starved priority lane), against a real RabbitMQ vhost.
 */
let vhost: TestVhost;
let probe: amqp.ChannelModel;
let probeCh: amqp.Channel;
let seq = 0;

beforeAll(async () => {
  vhost = await createTestVhost();
  probe = await amqp.connect(vhost.url);
  probeCh = await probe.createChannel();
  await probeCh.assertExchange(vhost.exchange, 'topic', { durable: true });
});

afterAll(async () => {
  await probe?.close().catch(() => undefined);
  await vhost?.drop();
});

function envelopeOf(type: string, data: object): Envelope {
  return createEnvelope(type, data, { producer: 'test', correlationId: `corr-${++seq}` });
}

/** Publishes an envelope on the exchange as a Vellum publisher would (lane routing key, priority). */
async function publishRaw(type: string, data: object, priority = 0): Promise<Envelope> {
  const env = envelopeOf(type, data);
  const ch = await probe.createConfirmChannel();
  ch.publish(vhost.exchange, laneRoutingKey(type, priority), Buffer.from(JSON.stringify(env)), {
    persistent: true,
    priority,
    messageId: env.id,
    contentType: 'application/json',
  });
  await ch.waitForConfirms();
  await ch.close();
  return env;
}

/** Collects the envelopes published under `routingKey` (both lanes) on a private queue. */
async function listen(routingKey: string): Promise<{ got: Envelope[]; close: () => Promise<void> }> {
  const ch = await probe.createChannel();
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, vhost.exchange, routingKey);
  await ch.bindQueue(q.queue, vhost.exchange, laneRoutingKey(routingKey, PRIORITY_LANE));
  const got: Envelope[] = [];
  await ch.consume(q.queue, (m) => {
    if (!m) return;
    got.push(JSON.parse(m.content.toString()) as Envelope);
    ch.ack(m);
  });
  return { got, close: () => ch.close() };
}

/** Every message in a queue, read with basic.get and acked (the queue is emptied). */
async function drain(queue: string): Promise<amqp.GetMessage[]> {
  const ch = await probe.createChannel();
  const out: amqp.GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) break;
    out.push(m);
  }
  await ch.close();
  return out;
}

async function readyCount(queue: string): Promise<number> {
  const ch = await probe.createChannel();
  try {
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await ch.close();
  }
}

const deleted = (assetId: string) => ({ customerId: 1, spaceId: 1, assetId, deleteFrom: [] as string[] });

describe('a message that kills its consumer', () => {
  it('is counted, isolated on the suspect lane and dead-lettered as crashed after maxRedeliveries; its bystanders are handled', async () => {
    const serviceName = `crashy-${vhost.id}`;
    const script = path.join(__dirname, '..', 'test', 'crashing-consumer.js');
    const events = await listen(BusMessageDeadLetteredV1.routingKey);
    const output: string[] = [];
    let child: ChildProcess | undefined;
    let starts = 0;
    let stopping = false;
    const run = (): void => {
      starts++;
      const c = spawn(process.execPath, [script, vhost.url, vhost.exchange, serviceName], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      c.stdout?.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
      // The supervisor: restart the consumer whenever it dies, as npm start and Kubernetes do.
      c.on('exit', () => {
        if (!stopping) run();
      });
      child = c;
    };
    const stop = async (): Promise<void> => {
      stopping = true;
      await new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    };
    let event: Envelope | undefined;
    run();
    try {
      await waitFor(() => output.includes('listening'), {
        timeoutMs: 30_000,
        description: 'the consumer to listen',
      });
      for (const id of ['innocent-1', 'poison', 'innocent-2', 'innocent-3'])
        await publishRaw(AssetDeletedV1.routingKey, deleted(id));

      event = await waitFor(
        () =>
          events.got.find(
            (e) => (e.data as { messageType?: string }).messageType === AssetDeletedV1.routingKey,
          ),
        { timeoutMs: 90_000, description: 'the poison message to be dead-lettered' },
      );
      await waitFor(
        () => ['innocent-1', 'innocent-2', 'innocent-3'].every((id) => output.includes(`handled ${id}`)),
        {
          timeoutMs: 30_000,
          description: 'every bystander to be handled',
        },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; consumer output: ${output.join(' | ')}`);
    } finally {
      await stop();
      await events.close();
    }

    expect(event?.data).toMatchObject({
      service: serviceName,
      queue: queueNames.main(serviceName, AssetDeletedV1.routingKey),
      reason: 'crashed',
      crashes: 3,
      data: { assetId: 'poison' },
    });
    // Three crashes, then the poison is not run again: the fourth process lives.
    expect(output.filter((l) => l.startsWith('crashing on poison'))).toHaveLength(3);
    expect(starts).toBe(4);
    const dead = await drain(queueNames.deadLetter(serviceName));
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0].content.toString())).toMatchObject({ data: { assetId: 'poison' } });
    expect(dead[0].properties.headers).toMatchObject({
      [HEADERS.reason]: 'crashed',
      [HEADERS.redeliveries]: 3,
      [HEADERS.queue]: queueNames.main(serviceName, AssetDeletedV1.routingKey),
    });
  });
});

/** Handler behaviour per test. */
let behaviour: (payload: { assetId: string }, ctx: VellumRmqContext) => Promise<void> = async () => undefined;

@Controller()
class DeletedHandler {
  @EventPattern(AssetDeletedV1.routingKey, { prefetch: 2 })
  async onDeleted(@Payload() payload: AssetDeletedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await behaviour(payload, ctx);
  }
}

@Controller()
class LaneHandler {
  @EventPattern(AssetIngestRequestedV1.routingKey, { prefetch: 1, priorityPrefetch: 1 })
  async onIngest(@Payload() payload: AssetIngestRequestedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await behaviour(payload, ctx);
  }
}

async function start(
  controller: new () => object,
  extra: Partial<ConstructorParameters<typeof VellumRmqTransport>[0]> = {},
): Promise<{ app: INestMicroservice; transport: VellumRmqTransport; serviceName: string }> {
  const serviceName = `svc${++seq}-${vhost.id}`;
  const messaging = { serviceName, amqpUrl: vhost.url, exchange: vhost.exchange };
  @Module({ imports: [MessagingModule.forRoot(messaging)], controllers: [controller] })
  class TestModule {}
  const transport = new VellumRmqTransport({ ...messaging, retryDelaysMs: [100, 200], ...extra });
  const app = await NestFactory.createMicroservice(TestModule, { strategy: transport, logger: false });
  await app.listen();
  return { app, transport, serviceName };
}

describe('a dependency outage', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it('pauses consumers and spends no attempt; held and queued messages run once the probe answers', async () => {
    let down = true;
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'EOUTAGE' });
    const runs: Array<{ id: string; attempt: number }> = [];
    behaviour = async (payload, ctx) => {
      runs.push({ id: payload.assetId, attempt: ctx.attempt });
      if (down) throw outage;
    };
    const svc = await start(DeletedHandler, {
      outage: {
        name: 'test database',
        isOutage: (err) => (err as { code?: string })?.code === 'EOUTAGE',
        probe: async () => {
          if (down) throw outage;
        },
        maxDelayMs: 200,
      },
    });
    try {
      await publishRaw(AssetDeletedV1.routingKey, deleted('held-1'));
      await waitFor(() => svc.transport.isPausedForOutage, {
        timeoutMs: 20_000,
        description: 'consumers to pause',
      });
      // Published during the outage: nobody takes them (they stay ready in the queue).
      for (const id of ['queued-1', 'queued-2', 'queued-3'])
        await publishRaw(AssetDeletedV1.routingKey, deleted(id));
      const main = queueNames.main(svc.serviceName, AssetDeletedV1.routingKey);
      await waitFor(async () => (await readyCount(main)) === 3, {
        timeoutMs: 20_000,
        description: 'the messages published during the outage to wait in the queue',
      });
      expect(runs.map((r) => r.id)).not.toContain('queued-1');

      down = false;
      const done = (id: string) => runs.filter((r) => r.id === id).length > 0;
      await waitFor(() => ['queued-1', 'queued-2', 'queued-3'].every(done) && runs.at(-1) !== undefined, {
        timeoutMs: 30_000,
        description: 'every message to run after the outage',
      });
      await waitFor(async () => !svc.transport.isPausedForOutage && (await readyCount(main)) === 0, {
        timeoutMs: 20_000,
        description: 'the queue to drain',
      });
      // No attempt was spent: every run was attempt 1, nothing went to a retry queue or the dead-letter queue.
      expect(runs.every((r) => r.attempt === 1)).toBe(true);
      expect(await readyCount(queueNames.deadLetter(svc.serviceName))).toBe(0);
    } finally {
      await svc.app.close();
    }
  });
});

describe('the priority lane with a queue of its own', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it('runs priority work while every batch slot is taken', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const started: Array<{ id: string; priority: boolean; queue: string }> = [];
    behaviour = async (payload, ctx) => {
      started.push({ id: payload.assetId, priority: ctx.isPriorityLane, queue: ctx.queue });
      if (!ctx.isPriorityLane) await blocked;
    };
    const svc = await start(LaneHandler);
    try {
      const ingest = (assetId: string, priority: boolean) => ({
        customerId: 1,
        spaceId: 1,
        assetId,
        attempt: 1,
        priority,
      });
      await publishRaw(AssetIngestRequestedV1.routingKey, ingest('batch-1', false));
      await publishRaw(AssetIngestRequestedV1.routingKey, ingest('batch-2', false));
      await waitFor(() => started.some((s) => s.id === 'batch-1'), {
        description: 'the batch slot to be taken',
      });
      await publishRaw(AssetIngestRequestedV1.routingKey, ingest('put-1', true), PRIORITY_LANE);
      await waitFor(() => started.some((s) => s.id === 'put-1'), {
        timeoutMs: 20_000,
        description: 'the priority message to run beside the blocked batch slot',
      });
      const main = queueNames.main(svc.serviceName, AssetIngestRequestedV1.routingKey);
      expect(started.find((s) => s.id === 'put-1')).toEqual({
        id: 'put-1',
        priority: true,
        queue: queueNames.priority(main),
      });
      expect(started.map((s) => s.id)).not.toContain('batch-2');
      release();
      await waitFor(() => started.some((s) => s.id === 'batch-2'), {
        description: 'the batch lane to move on',
      });
    } finally {
      release();
      await svc.app.close();
    }
  });
});

describe('dead letters', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it('are announced with their payload, and a replay runs them again with fresh attempts', async () => {
    const events = await listen(BusMessageDeadLetteredV1.routingKey);
    let failing = true;
    const runs: Array<{ id: string; attempt: number }> = [];
    behaviour = async (payload, ctx) => {
      runs.push({ id: payload.assetId, attempt: ctx.attempt });
      if (failing) throw new Error('the database said no');
    };
    const svc = await start(DeletedHandler);
    try {
      const env = await publishRaw(AssetDeletedV1.routingKey, deleted('replay-me'));
      const event = await waitFor(() => events.got.find((e) => e.causationId === env.id), {
        timeoutMs: 20_000,
        description: 'the dead-letter announcement',
      });
      expect(event.data).toMatchObject({
        service: svc.serviceName,
        messageType: AssetDeletedV1.routingKey,
        messageId: env.id,
        reason: 'exhausted',
        error: 'the database said no',
        attempts: 3,
        crashes: 0,
        data: deleted('replay-me'),
      });
      expect(event.correlationId).toBe(env.correlationId);
      expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);

      failing = false;
      const result = await replayDeadLetters(probe, svc.serviceName);
      expect(result).toEqual({ replayed: 1, kept: 0 });
      await waitFor(() => runs.length === 4, {
        timeoutMs: 20_000,
        description: 'the replayed message to run',
      });
      expect(runs[3]).toEqual({ id: 'replay-me', attempt: 1 });
      await waitFor(async () => (await readyCount(queueNames.deadLetter(svc.serviceName))) === 0, {
        description: 'the dead-letter queue to be empty',
      });
    } finally {
      await events.close();
      await svc.app.close();
    }
  });

  it('of a permanent failure keep the priority lane in their announcement', async () => {
    const events = await listen(BusMessageDeadLetteredV1.routingKey);
    behaviour = async () => {
      throw new PermanentMessageError('corrupt');
    };
    const svc = await start(DeletedHandler);
    try {
      const env = await publishRaw(AssetDeletedV1.routingKey, deleted('urgent'), PRIORITY_LANE);
      const event = await waitFor(() => events.got.find((e) => e.causationId === env.id), {
        timeoutMs: 20_000,
        description: 'the dead-letter announcement',
      });
      expect(event.data).toMatchObject({ reason: 'permanent', attempts: 1, error: 'corrupt' });
    } finally {
      await events.close();
      await svc.app.close();
    }
  });
});
