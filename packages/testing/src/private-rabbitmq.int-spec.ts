import * as amqp from 'amqplib';
import { existsSync } from 'node:fs';
import { DEFAULT_TEST_AMQP_URL } from './rabbitmq';
import { startPrivateRabbitMQ, type PrivateRabbitMQ } from './private-rabbitmq';

jest.setTimeout(240_000);

describe('startPrivateRabbitMQ', () => {
  let rmq: PrivateRabbitMQ | undefined;
  afterAll(() => rmq?.dispose());

  it('is a node of its own; refuses while stopped; keeps durable queues and persistent messages across a restart; dispose removes it', async () => {
    rmq = await startPrivateRabbitMQ();
    expect(rmq.nodeName).toMatch(/^vellum-test-[a-z0-9]+-[0-9a-f]{8}@localhost$/);
    expect(rmq.port).not.toBe(5672);
    expect(rmq.running).toBe(true);

    const conn = await amqp.connect(rmq.url);
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    conn.on('error', () => undefined);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('durable-q', { durable: true });
    ch.sendToQueue('durable-q', Buffer.from('kept'), { persistent: true });
    await ch.waitForConfirms();
    // Not the machine's broker: the queue exists only on the private node.
    const shared = await amqp.connect(DEFAULT_TEST_AMQP_URL);
    try {
      const probe = await shared.createChannel();
      probe.on('error', () => undefined);
      await expect(probe.checkQueue('durable-q')).rejects.toThrow(/NOT_FOUND/);
    } finally {
      await shared.close().catch(() => undefined);
    }

    await rmq.stop();
    expect(rmq.running).toBe(false);
    await closed; // clients see the broker go
    await expect(amqp.connect(rmq.url)).rejects.toThrow(/ECONNREFUSED/);

    await rmq.start();
    const again = await amqp.connect(rmq.url);
    try {
      const ch2 = await again.createChannel();
      const msg = await ch2.get('durable-q', { noAck: true });
      expect(msg && msg.content.toString()).toBe('kept');
    } finally {
      await again.close();
    }

    const dir = rmq.dir;
    await rmq.dispose();
    expect(rmq.running).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(amqp.connect(rmq.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
