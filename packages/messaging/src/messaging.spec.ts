import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { BaseRpcExceptionFilter, EventPattern, MessagePattern } from '@nestjs/microservices';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { lastValueFrom, Observable } from 'rxjs';
import { correlation } from '@vellum/common';
import { AssetDeletedV1, AssetIngestRequestedV1, InvalidMessageError } from '@vellum/contracts';
import type { AmqpConnectionManager } from './connection-manager';
import { buildEnvelope, checkPriority, routingKeyOf } from './envelope-builder';
import { BrokerUnavailableError, errorMessage, isPermanentError, PermanentMessageError } from './errors';
import { runInMessageScope } from './message-scope';
import { HEADERS, queueNames, redactUrl, withHeartbeat } from './options';
import { MessagePublisher } from './publisher';
import { attemptOf, VellumRmqContext, VellumRmqTransport } from './transport';

function ingest(extra: Partial<AssetIngestRequestedV1> = {}): AssetIngestRequestedV1 {
  return Object.assign(new AssetIngestRequestedV1(), {
    customerId: 1,
    spaceId: 0,
    assetId: 'a',
    attempt: 1,
    priority: false,
    ...extra,
  });
}

describe('queue names and URL helpers', () => {
  it.each([
    [
      queueNames.main('ingest-orchestrator', 'asset.ingest.requested.v1'),
      'ingest-orchestrator.asset.ingest.requested.v1',
    ],
    [
      queueNames.exclusive('api-gateway', 'host-1-abc', 'asset.ingest.finished.v1'),
      'api-gateway.host-1-abc.asset.ingest.finished.v1',
    ],
    [queueNames.retry('svc.asset.created.v1', 5000), 'svc.asset.created.v1.retry.5000'],
    [queueNames.deadLetter('image-processor'), 'image-processor.dead-letter'],
  ])('%s', (actual, expected) => expect(actual).toBe(expected));

  it.each([
    ['amqp://g:g@h:5672', 'amqp://g:g@h:5672?heartbeat=15'],
    ['amqp://h/v?frameMax=0', 'amqp://h/v?frameMax=0&heartbeat=15'],
    ['amqp://h?heartbeat=5', 'amqp://h?heartbeat=5'],
  ])('withHeartbeat(%s)', (url, expected) => expect(withHeartbeat(url)).toBe(expected));

  it('redacts passwords', () =>
    expect(redactUrl('amqp://guest:secret@127.0.0.1:5672/v')).toBe('amqp://guest:***@127.0.0.1:5672/v'));
});

describe('attemptOf', () => {
  it.each([
    [undefined, 1],
    [{}, 1],
    [{ [HEADERS.attempt]: 3 }, 3],
    [{ [HEADERS.attempt]: '2' }, 2],
    [{ [HEADERS.attempt]: 0 }, 1],
    [{ [HEADERS.attempt]: 'x' }, 1],
    [{ [HEADERS.attempt]: 1.5 }, 1],
  ])('headers %j → %d', (headers, n) => {
    expect(attemptOf({ properties: { headers } } as never)).toBe(n);
  });
});

describe('envelope building', () => {
  it('finds the routing key of registered classes only', () => {
    expect(routingKeyOf(ingest())).toBe('asset.ingest.requested.v1');
    expect(() => routingKeyOf({})).toThrow(TypeError);
    class Fake {
      static routingKey = 'asset.ingest.requested.v1';
    }
    expect(() => routingKeyOf(new Fake())).toThrow(/not a registered message class/);
  });

  it.each([[0], [5], [10]])('accepts priority %d', (p) => expect(checkPriority(p)).toBe(p));
  it.each([[-1], [11], [2.5], [NaN]])('rejects priority %d', (p) =>
    expect(() => checkPriority(p)).toThrow(RangeError),
  );

  it('validates, and defaults correlation and causation from the async context', () => {
    expect(() => buildEnvelope(ingest({ customerId: 0 }), { producer: 'p' })).toThrow(InvalidMessageError);
    const outside = buildEnvelope(ingest(), { producer: 'p' }).envelope;
    expect(outside.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outside.causationId).toBeUndefined();
    const inside = correlation.run('corr-1', () =>
      runInMessageScope({ envelope: { ...outside, id: 'cause-1' } }, () =>
        buildEnvelope(ingest(), { producer: 'p', priority: 5 }),
      ),
    );
    expect(inside.envelope).toMatchObject({
      correlationId: 'corr-1',
      causationId: 'cause-1',
      producer: 'p',
      type: 'asset.ingest.requested.v1',
    });
    expect(inside.priority).toBe(5);
    const explicit = buildEnvelope(ingest(), {
      producer: 'p',
      correlationId: 'c',
      causationId: 'x',
    }).envelope;
    expect(explicit).toMatchObject({ correlationId: 'c', causationId: 'x' });
    expect(explicit.data).toEqual({ customerId: 1, spaceId: 0, assetId: 'a', attempt: 1, priority: false });
  });
});

describe('MessagePublisher', () => {
  function stub(connected: boolean) {
    const publish = jest.fn(async () => {
      if (!connected) throw new BrokerUnavailableError('not connected');
    });
    const conn = { serviceName: 'svc', exchange: 'ex', publish } as unknown as AmqpConnectionManager;
    return { publisher: new MessagePublisher(conn), publish };
  }

  it('publishes persistent JSON envelopes with the lane routing key (the type, + .priority) and priority', async () => {
    const { publisher, publish } = stub(true);
    await correlation.run('corr-2', () => publisher.publish(ingest(), { priority: 5 }));
    const [[exchange, key, body, props]] = publish.mock.calls as unknown as [
      [string, string, Buffer, Record<string, unknown>],
    ];
    expect([exchange, key]).toEqual(['ex', 'asset.ingest.requested.v1.priority']);
    const env = JSON.parse(body.toString());
    expect(env).toMatchObject({
      type: 'asset.ingest.requested.v1',
      producer: 'svc',
      correlationId: 'corr-2',
    });
    expect(props).toMatchObject({
      persistent: true,
      priority: 5,
      messageId: env.id,
      correlationId: 'corr-2',
      contentType: 'application/json',
    });
  });

  it('rejects invalid payloads before publishing, and passes broker outages on', async () => {
    const { publisher, publish } = stub(false);
    await expect(publisher.publish(ingest({ assetId: '' }))).rejects.toBeInstanceOf(InvalidMessageError);
    expect(publish).not.toHaveBeenCalled();
    await expect(publisher.publish(ingest())).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(publisher.publishEnvelope({ id: 'x' } as never)).rejects.toBeInstanceOf(InvalidMessageError);
  });
});

describe('PermanentMessageError', () => {
  it('survives Nest’s default RPC exception filter', async () => {
    const filter = new BaseRpcExceptionFilter();
    const host = new ExecutionContextHost([]);
    const out = filter.catch(new PermanentMessageError('corrupt'), host) as Observable<unknown>;
    const rethrown = await lastValueFrom(out).catch((e: unknown) => e);
    expect(isPermanentError(rethrown)).toBe(true);
    expect(errorMessage(rethrown)).toBe('corrupt');
    expect(isPermanentError(new Error('x'))).toBe(false);
    expect(new PermanentMessageError('m').message).toBe('m');
  });

  it.each([
    [new Error('boom'), 'boom'],
    ['text', 'text'],
    [{ message: 'obj' }, 'obj'],
    [42, '42'],
  ])('errorMessage(%p)', (err, msg) => expect(errorMessage(err)).toBe(msg));
});

describe('VellumRmqContext', () => {
  it('exposes envelope, attempt, isLastAttempt and the deadline signal', () => {
    const env = buildEnvelope(ingest(), { producer: 'p' }).envelope;
    const { signal } = new AbortController();
    const ctx = new VellumRmqContext([
      env,
      {} as never,
      { attempt: 3, maxAttempts: 4, queue: 'q', redeliveries: 0, channel: {} as never, signal },
    ]);
    expect([ctx.attempt, ctx.maxAttempts, ctx.isLastAttempt, ctx.queue, ctx.routingKey]).toEqual([
      3,
      4,
      false,
      'q',
      env.type,
    ]);
    const last = new VellumRmqContext([
      env,
      {} as never,
      { attempt: 4, maxAttempts: 4, queue: 'q', redeliveries: 2, channel: {} as never, signal },
    ]);
    expect(last.isLastAttempt).toBe(true);
    expect(last.signal).toBe(signal);
  });
});

describe('VellumRmqTransport handler validation', () => {
  const opts = { serviceName: 'svc', amqpUrl: 'amqp://127.0.0.1:1' };

  async function listenWith(register: (t: VellumRmqTransport) => void): Promise<unknown> {
    const t = new VellumRmqTransport(opts);
    register(t);
    let result: unknown = 'ok';
    await t.listen((err?: unknown) => {
      if (err) result = err;
    });
    await t.close();
    return result;
  }

  it('rejects @MessagePattern handlers, duplicates and bad prefetch', async () => {
    const handler = Object.assign(async () => undefined, {});
    expect(await listenWith((t) => t.addHandler(AssetDeletedV1.routingKey, handler, false))).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/@EventPattern/) }),
    );
    expect(
      await listenWith((t) => {
        t.addHandler(AssetDeletedV1.routingKey, async () => undefined, true);
        t.addHandler(AssetDeletedV1.routingKey, async () => undefined, true);
      }),
    ).toEqual(expect.objectContaining({ message: expect.stringMatching(/more than one handler/) }));
    expect(
      await listenWith((t) =>
        t.addHandler(AssetDeletedV1.routingKey, async () => undefined, true, { prefetch: 0 }),
      ),
    ).toEqual(expect.objectContaining({ message: expect.stringMatching(/prefetch/) }));
  });

  it('starts (not ready) when the broker is unreachable', async () => {
    const t = new VellumRmqTransport({ ...opts, reconnectMinDelayMs: 10_000 });
    t.addHandler(AssetDeletedV1.routingKey, async () => undefined, true, { prefetch: 3 });
    const err = await new Promise((resolve) => void t.listen((e?: unknown) => resolve(e)));
    expect(err).toBeUndefined();
    expect(t.isConnected).toBe(false);
    expect(t.queues).toEqual(['svc.asset.deleted.v1', 'svc.asset.deleted.v1.suspect']);
    expect(() => t.unwrap()).toThrow(BrokerUnavailableError);
    await t.close();
  });

  it('rejects bad retry delays, jitter and handler deadlines', () => {
    expect(() => new VellumRmqTransport({ ...opts, retryDelaysMs: [0] })).toThrow(RangeError);
    expect(() => new VellumRmqTransport({ ...opts, retryJitter: 1.5 })).toThrow(/retryJitter/);
    expect(() => new VellumRmqTransport({ ...opts, handlerTimeoutMs: -1 })).toThrow(/handlerTimeoutMs/);
  });

  it('rejects a bad per-pattern deadline at start-up', async () => {
    const err = await listenWith((t) =>
      t.addHandler(AssetDeletedV1.routingKey, async () => undefined, true, { timeoutMs: 1.5 }),
    );
    expect(String(err)).toMatch(/timeoutMs must be a non-negative integer/);
  });

  // Keep the decorators imported (used by app code; documented in README).
  it('EventPattern accepts extras', () => {
    @Controller()
    class C {
      @EventPattern(AssetDeletedV1.routingKey, { prefetch: 1, exclusive: true })
      a(): void {}
      @MessagePattern('x')
      b(): void {}
    }
    expect(C).toBeDefined();
  });
});
