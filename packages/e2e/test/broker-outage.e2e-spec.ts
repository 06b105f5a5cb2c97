/**
 * A RabbitMQ outage mid-batch, end to end (SPEC.md §2 "Outbox", §10 "Reliability": "restart RabbitMQ, and the
 * batch still completes with exact counters and no asset left ingesting"). The six services run against a RabbitMQ
 * node of the test's own (`startPrivateRabbitMQ`; the machine's broker is never touched). A batch is queued whose
 * stagings are held at the origin; the node is stopped while they are in hand; the API keeps accepting
 * registrations (the outbox holds their messages); the node is started again; every asset then ends finished (or
 * with an error), the counters are exact and nothing stays `ingesting`.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fixturePath, startPrivateRabbitMQ, waitFor, type PrivateRabbitMQ } from '@vellum/testing';
import { startRig, type Json, type Rig } from '../src/rig';

jest.setTimeout(240_000);

const FILE = 'grayscale.png';

describe('a RabbitMQ outage mid-batch', () => {
  let rmq: PrivateRabbitMQ;
  let rig: Rig;
  let customer: number;
  const space = 1;
  let failed = false;
  /** Origin requests for `/held/...` wait for this (they are staging when the broker goes). */
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let heldRequests = 0;

  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  const origin: http.RequestListener = (req, res) => {
    const serve = () => {
      const file = fixturePath(path.basename(req.url ?? ''));
      res.writeHead(200, { 'content-length': fs.statSync(file).size, 'content-type': 'image/png' });
      fs.createReadStream(file).pipe(res);
    };
    if (req.url?.startsWith('/held/')) {
      heldRequests++;
      void released.then(serve);
    } else serve();
  };

  beforeAll(async () => {
    rmq = await startPrivateRabbitMQ();
    rig = await startRig('broker-outage', {
      origin,
      amqpUrl: rmq.url,
      env: {
        // An immediate PUT made while the broker is down answers 202 (ingesting) after this long.
        VELLUM_IMMEDIATE_TIMEOUT_MS: '3000',
        // Reconnects (250 ms doubling) are capped by the services' own 10 s; retries scaled down.
        VELLUM_RETRY_ATTEMPTS: '4',
        VELLUM_RETRY_INITIAL_DELAY_MS: '200',
        VELLUM_RETRY_MULTIPLIER: '2',
        VELLUM_RETRY_MAX_DELAY_MS: '1000',
      },
    });
    const c = await rig.api('POST', '/customers', { name: 'broker-outage', displayName: 'Broker outage' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await rig.api('POST', `/customers/${customer}/spaces`, { name: 'one' })).status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    release?.();
    await rmq?.start().catch(() => undefined);
    await rig?.stop({ printLogs: failed });
    await rmq?.dispose();
  }, 120_000);

  const queue = (ids: string[], prefix = '') =>
    rig.api('POST', `/customers/${customer}/queue`, {
      '@type': 'Collection',
      member: ids.map((id) => ({
        id,
        space,
        origin: `${rig.originUrl}/${prefix}${FILE}`,
        mediaType: 'image/png',
      })),
    });

  it('loses no registration: every asset ends finished or failed, counters exact, none left ingesting', async () => {
    // 1. A batch: 8 images held at the origin (in hand when the broker stops) and 16 served at once.
    const held = Array.from({ length: 8 }, (_, i) => `held-${i}`);
    const quick = Array.from({ length: 16 }, (_, i) => `quick-${i}`);
    const first = await rig.api('POST', `/customers/${customer}/queue`, {
      '@type': 'Collection',
      member: [
        ...held.map((id) => ({ id, space, origin: `${rig.originUrl}/held/${FILE}`, mediaType: 'image/png' })),
        ...quick.map((id) => ({ id, space, origin: `${rig.originUrl}/${FILE}`, mediaType: 'image/png' })),
      ],
    });
    expect(first.status).toBe(201);
    const firstPath = new URL(first.body['@id']).pathname;
    await waitFor(() => heldRequests >= 4, {
      timeoutMs: 60_000,
      description: 'stagings of the held images to be in hand',
    });

    // 2. The broker goes, mid-batch.
    const before = (await rig.api('GET', firstPath)).body;
    expect(before.finished).toBeUndefined();
    await rmq.stop();

    // 3. Registrations keep being accepted: a second batch, and immediate PUTs (202: still ingesting).
    const second = await queue(Array.from({ length: 6 }, (_, i) => `during-${i}`));
    expect(second.status).toBe(201);
    const secondPath = new URL(second.body['@id']).pathname;
    const puts: string[] = [];
    for (const id of ['put-during-0', 'put-during-1']) {
      const r = await rig.api('PUT', `/customers/${customer}/spaces/${space}/images/${id}`, {
        origin: `${rig.originUrl}/${FILE}`,
        mediaType: 'image/png',
      });
      expect([id, r.status]).toEqual([id, 202]);
      expect(r.body.ingesting).toBe(true);
      puts.push(id);
    }
    // The held stagings finish while the broker is away: their dispatches cannot be published.
    release();

    // 4. The broker comes back: everything drains.
    await rmq.start();
    const finished = async (p: string) => {
      const b = (await rig.api('GET', p)).body;
      return b.finished ? b : null;
    };
    const [b1, b2] = await waitFor(
      async () => {
        const a = await finished(firstPath);
        const b = a && (await finished(secondPath));
        return a && b ? [a, b] : null;
      },
      { timeoutMs: 150_000, intervalMs: 500, description: 'both batches to finish after the outage' },
    );
    for (const [b, n] of [
      [b1, held.length + quick.length],
      [b2, 6],
    ] as Array<[Json, number]>) {
      expect(b.count).toBe(n);
      expect(b.completed + b.errors).toBe(n);
    }
    await waitFor(
      async () => {
        for (const id of puts) {
          const a = (await rig.api('GET', `/customers/${customer}/spaces/${space}/images/${id}`)).body;
          if (a.ingesting) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, description: 'the immediate registrations to finish' },
    );

    // Every asset: not ingesting, and finished with dimensions or failed with an error; the batch counters agree
    // with the assets' own outcomes.
    const all = (await rig.api('GET', `/customers/${customer}/allImages?pageSize=500`)).body;
    expect(all.totalItems).toBe(held.length + quick.length + 6 + puts.length);
    const stuck = all.member.filter((a: Json) => a.ingesting).map((a: Json) => a.id);
    expect(stuck).toEqual([]);
    const unexplained = all.member.filter((a: Json) => !(a.error ? true : a.finished && a.width === 512));
    expect(unexplained).toEqual([]);
    const errorsOf = (ids: string[]) =>
      all.member.filter((a: Json) => ids.includes(a.id.split('/').pop()) && a.error).length;
    expect(b1.errors).toBe(errorsOf([...held, ...quick]));
    expect(b2.errors).toBe(errorsOf(Array.from({ length: 6 }, (_, i) => `during-${i}`)));
    // An outage is not the assets' fault: none of them failed.
    expect(all.member.filter((a: Json) => a.error).map((a: Json) => [a.id, a.error])).toEqual([]);
  });
});
