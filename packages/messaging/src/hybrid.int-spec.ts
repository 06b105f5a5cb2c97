import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Controller, INestApplication, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import * as amqp from 'amqplib';
import {
  bootstrapService,
  correlation,
  createValidationPipe,
  ProblemExceptionFilter,
  VellumCommonModule,
} from '@vellum/common';
import { AssetDeletedV1 } from '@vellum/contracts';
import { createTestVhost, TestVhost, waitFor } from '@vellum/testing';
import {
  AmqpReadiness,
  createTransport,
  HEADERS,
  MessagePublisher,
  MessagingModule,
  queueNames,
  VellumRmqContext,
} from './index';

jest.setTimeout(60_000);

const seen: Array<{ assetId: string; correlationId?: string; causationId?: string }> = [];

@Controller()
class Handlers {
  constructor(private readonly publisher: MessagePublisher) {}

  @EventPattern(AssetDeletedV1.routingKey, { prefetch: 2 })
  async onDeleted(@Payload() payload: AssetDeletedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    seen.push({
      assetId: payload.assetId,
      correlationId: correlation.get(),
      causationId: ctx.envelope.causationId,
    });
    if (payload.assetId === 'kaput') throw new Error('kaput: store unreachable');
    if (payload.assetId === 'chain') {
      // A follow-up message inherits correlation id and gets this message as its cause.
      await this.publisher.publish(Object.assign(new AssetDeletedV1(), { ...payload, assetId: 'chained' }));
    }
  }
}

describe('hybrid app via bootstrapService (real RabbitMQ)', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let base: string;
  const logs: string[] = [];
  let serviceName = 'hybrid';

  beforeAll(async () => {
    vhost = await createTestVhost();
    serviceName = `hybrid-${vhost.id}`;
    const messaging = { serviceName, amqpUrl: vhost.url, exchange: vhost.exchange };
    @Module({
      imports: [
        VellumCommonModule.forRoot({
          serviceName,
          readiness: [AmqpReadiness],
          logDestination: new Writable({
            write: (chunk: Buffer, _e, cb) => (logs.push(chunk.toString()), cb()),
          }),
        }),
        MessagingModule.forRoot(messaging),
      ],
      controllers: [Handlers],
    })
    class AppModule {}
    app = await bootstrapService(AppModule, {
      serviceName,
      port: 0,
      host: '127.0.0.1',
      transport: createTransport({ ...messaging, retryDelaysMs: [] }),
      configure: (a) => {
        a.useGlobalFilters(new ProblemExceptionFilter());
        a.useGlobalPipes(createValidationPipe());
      },
    });
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.drop();
  });

  it('is ready, handles messages, chains correlation/causation, dead-letters with the real error, records metrics', async () => {
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const publisher = app.get(MessagePublisher);
    await correlation.run('corr-hybrid', async () => {
      await publisher.publish(
        Object.assign(new AssetDeletedV1(), { customerId: 1, spaceId: 1, assetId: 'chain', deleteFrom: [] }),
      );
      await publisher.publish(
        Object.assign(new AssetDeletedV1(), { customerId: 1, spaceId: 1, assetId: 'kaput', deleteFrom: [] }),
      );
    });
    await waitFor(() => seen.length === 3, { description: 'three deliveries' });
    expect(seen.every((s) => s.correlationId === 'corr-hybrid')).toBe(true);
    expect(seen.find((s) => s.assetId === 'chained')?.causationId).toBeDefined();

    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      const dead = await waitFor(
        async () => (await ch.get(queueNames.deadLetter(serviceName), { noAck: true })) || undefined,
        { description: 'dead letter' },
      );
      expect(dead.properties.headers?.[HEADERS.error]).toBe('kaput: store unreachable');
      expect(dead.properties.headers?.[HEADERS.reason]).toBe('exhausted');
    } finally {
      await conn.close();
    }

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /vellum_messages_consumed_total\{routing_key="asset.deleted.v1",outcome="success"[^}]*\} 2/,
    );
    expect(metrics).toMatch(
      /vellum_messages_consumed_total\{routing_key="asset.deleted.v1",outcome="dead_letter"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /vellum_message_handler_duration_seconds_count\{[^}]*routing_key="asset.deleted.v1"[^}]*\} 3/,
    );
    expect(logs.some((l) => l.includes('kaput') && l.includes('corr-hybrid'))).toBe(true);
  });
});
