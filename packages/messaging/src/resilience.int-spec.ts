import 'reflect-metadata';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
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
  discardDeadLetters,
  HandlerTimeoutError,
  HEADERS,
  laneRoutingKey,
  listDeadLetters,
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

/** The same routing key with no priority queue of its own (how a queue declared before that change is bound). */
@Controller()
class SharedLaneHandler {
  @EventPattern(AssetIngestRequestedV1.routingKey, { prefetch: 1 })
  async onIngest(@Payload() payload: AssetIngestRequestedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    await behaviour(payload, ctx);
  }
}

async function start(
  controller: new () => object,
  extra: Partial<ConstructorParameters<typeof VellumRmqTransport>[0]> = {},
): Promise<{ app: INestMicroservice; transport: VellumRmqTransport; serviceName: string }> {
  const serviceName = extra.serviceName ?? `svc${++seq}-${vhost.id}`;
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

describe('a main queue declared before its priority lane had a queue of its own', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it('loses its priority binding, so a priority message runs once, on the priority queue', async () => {
    const serviceName = `svc${++seq}-${vhost.id}`;
    const before = await start(SharedLaneHandler, { serviceName });
    await before.app.close();
    const runs: Array<{ id: string; queue: string }> = [];
    behaviour = async (payload, ctx) => void runs.push({ id: payload.assetId, queue: ctx.queue });
    const svc = await start(LaneHandler, { serviceName });
    try {
      const ingest = (assetId: string, priority: boolean) => ({
        customerId: 1,
        spaceId: 1,
        assetId,
        attempt: 1,
        priority,
      });
      await publishRaw(AssetIngestRequestedV1.routingKey, ingest('put-once', true), PRIORITY_LANE);
      await waitFor(() => runs.some((r) => r.id === 'put-once'), {
        description: 'the priority message to run',
      });
      // The main queue is FIFO behind any copy of it: once a later batch message ran, a copy would have run too.
      await publishRaw(AssetIngestRequestedV1.routingKey, ingest('batch-after', false));
      await waitFor(() => runs.some((r) => r.id === 'batch-after'), {
        description: 'the batch message to run',
      });
      const main = queueNames.main(serviceName, AssetIngestRequestedV1.routingKey);
      expect(runs.filter((r) => r.id === 'put-once')).toEqual([
        { id: 'put-once', queue: queueNames.priority(main) },
      ]);
      expect(await readyCount(main)).toBe(0);
    } finally {
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

describe('a message that hangs its handler', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it('is abandoned at the handler deadline, retried, then dead-lettered as timeout; its bystanders run and nothing is redelivered forever', async () => {
    const events = await listen(BusMessageDeadLetteredV1.routingKey);
    const runs: Array<{ id: string; attempt: number }> = [];
    const aborted: unknown[] = [];
    behaviour = async (payload, ctx) => {
      runs.push({ id: payload.assetId, attempt: ctx.attempt });
      if (payload.assetId !== 'hangs') return;
      ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal.reason));
      // Never settles: neither resolves nor throws.
      await new Promise<never>(() => undefined);
    };
    // Prefetch 2: were an abandoned handler to keep its delivery, the bystanders would queue behind it.
    const svc = await start(DeletedHandler, { handlerTimeoutMs: 300, retryDelaysMs: [100, 200] });
    try {
      const env = await publishRaw(AssetDeletedV1.routingKey, deleted('hangs'));
      for (const id of ['bystander-1', 'bystander-2', 'bystander-3'])
        await publishRaw(AssetDeletedV1.routingKey, deleted(id));
      const event = await waitFor(() => events.got.find((e) => e.causationId === env.id), {
        timeoutMs: 30_000,
        description: 'the hung message to be dead-lettered',
      });
      expect(event.data).toMatchObject({
        service: svc.serviceName,
        messageType: AssetDeletedV1.routingKey,
        reason: 'timeout',
        attempts: 3,
        crashes: 0,
        error: `the ${AssetDeletedV1.routingKey} handler did not finish within 300 ms (handler deadline); abandoned`,
        data: deleted('hangs'),
      });
      expect(runs.filter((r) => r.id === 'hangs').map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(aborted).toHaveLength(3);
      expect(aborted.every((r) => r instanceof HandlerTimeoutError)).toBe(true);
      for (const id of ['bystander-1', 'bystander-2', 'bystander-3'])
        expect(runs.filter((r) => r.id === id)).toEqual([{ id, attempt: 1 }]);
      const dead = await drain(queueNames.deadLetter(svc.serviceName));
      expect(dead).toHaveLength(1);
      expect(dead[0].properties.headers).toMatchObject({ [HEADERS.reason]: 'timeout', [HEADERS.attempt]: 3 });
      const main = queueNames.main(svc.serviceName, AssetDeletedV1.routingKey);
      expect(await readyCount(main)).toBe(0);
      expect(await readyCount(queueNames.suspect(main))).toBe(0);
    } finally {
      await events.close();
      await svc.app.close();
    }
  });
});

describe('retry delays', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  it("are jittered per message under the retry queue's TTL (its ceiling)", async () => {
    behaviour = async () => {
      throw new Error('origin answered 503');
    };
    // One long retry: the retried messages wait in the retry queue, where the test reads them.
    const svc = await start(DeletedHandler, { retryDelaysMs: [600_000], retryJitter: 0.5 });
    const retryQueue = queueNames.retry(queueNames.main(svc.serviceName, AssetDeletedV1.routingKey), 600_000);
    try {
      for (let i = 0; i < 6; i++) await publishRaw(AssetDeletedV1.routingKey, deleted(`flaky-${i}`));
      await waitFor(async () => (await readyCount(retryQueue)) === 6, {
        timeoutMs: 20_000,
        description: 'every message to wait for its retry',
      });
    } finally {
      await svc.app.close();
    }
    const waiting = await drain(retryQueue);
    const delays = waiting.map((m) => Number(m.properties.expiration));
    expect(delays).toHaveLength(6);
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(300_000);
      expect(d).toBeLessThanOrEqual(600_000);
    }
    // Jittered: not one delay for all (six equal draws out of 300,001 values would be a broken random source).
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(waiting.every((m) => m.properties.headers?.[HEADERS.attempt] === 2)).toBe(true);
  });

  it('without jitter are the ceilings themselves (the queue TTL alone)', async () => {
    behaviour = async () => {
      throw new Error('origin answered 503');
    };
    const svc = await start(DeletedHandler, { retryDelaysMs: [600_000], retryJitter: 0 });
    const retryQueue = queueNames.retry(queueNames.main(svc.serviceName, AssetDeletedV1.routingKey), 600_000);
    try {
      await publishRaw(AssetDeletedV1.routingKey, deleted('steady'));
      await waitFor(async () => (await readyCount(retryQueue)) === 1, {
        timeoutMs: 20_000,
        description: 'the message to wait for its retry',
      });
    } finally {
      await svc.app.close();
    }
    const [waiting] = await drain(retryQueue);
    expect(waiting.properties.expiration).toBeUndefined();
  });
});

describe('discarding dead letters', () => {
  afterEach(() => {
    behaviour = async () => undefined;
  });

  /** Dead-letters `ids` through a service whose handler fails each as `how(id)` says; returns its name. */
  async function deadLettered(ids: string[], how: (id: string) => Error): Promise<string> {
    behaviour = async (payload) => {
      throw how(payload.assetId);
    };
    const svc = await start(DeletedHandler, { retryDelaysMs: [], deadLetterEvents: false });
    try {
      for (const id of ids) await publishRaw(AssetDeletedV1.routingKey, deleted(id));
      await waitFor(async () => (await readyCount(queueNames.deadLetter(svc.serviceName))) === ids.length, {
        timeoutMs: 20_000,
        description: 'every message to be dead-lettered',
      });
    } finally {
      await svc.app.close();
    }
    return svc.serviceName;
  }

  const byName = (id: string) =>
    id.startsWith('corrupt') ? new PermanentMessageError(`${id} is corrupt`) : new Error(`${id} failed`);

  it('removes the matching ones for good (by reason, by type, at most --limit) and keeps the rest in order', async () => {
    const service = await deadLettered(['corrupt-1', 'flaky-1', 'corrupt-2', 'flaky-2', 'corrupt-3'], byName);
    expect(await discardDeadLetters(probe, service, { reason: 'permanent', limit: 2 })).toEqual({
      discarded: 2,
      kept: 3,
    });
    expect((await listDeadLetters(probe, service)).map((l) => [l.reason, l.error])).toEqual([
      ['exhausted', 'flaky-1 failed'],
      ['exhausted', 'flaky-2 failed'],
      ['permanent', 'corrupt-3 is corrupt'],
    ]);
    expect(await discardDeadLetters(probe, service, { routingKey: 'image.derivatives.create.v1' })).toEqual({
      discarded: 0,
      kept: 3,
    });
    expect(await discardDeadLetters(probe, service, { routingKey: AssetDeletedV1.routingKey })).toEqual({
      discarded: 3,
      kept: 0,
    });
    expect(await readyCount(queueNames.deadLetter(service))).toBe(0);
  });

  it('through the CLI: needs a filter or --all, and says what it did', async () => {
    const service = await deadLettered(['corrupt-a', 'flaky-a', 'flaky-b'], byName);
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(__dirname, '..', 'bin', 'dead-letters.js'), ...args],
          { env: { ...process.env, AMQP_URL: vhost.url }, timeout: 30_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const refused = await cli('discard', service);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/say --all/);
    expect(await readyCount(queueNames.deadLetter(service))).toBe(3);

    expect(await cli('discard', service, '--reason', 'permanent')).toMatchObject({
      code: 0,
      stdout: `discarded 1, kept 2 in ${service}.dead-letter\n`,
    });
    const listed = await cli('list', service);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('2 dead letter(s)');
    expect(listed.stdout).not.toContain('corrupt-a');
    expect(await cli('discard', service, '--all')).toMatchObject({
      code: 0,
      stdout: `discarded 2, kept 0 in ${service}.dead-letter\n`,
    });
    expect(await readyCount(queueNames.deadLetter(service))).toBe(0);
    expect((await cli('discard', service, '--reason', 'bogus')).code).toBe(2);
  });
});
