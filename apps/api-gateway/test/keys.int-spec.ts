/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { freePort, waitFor } from '@vellum/testing';
import { ApiKeyService } from '../src/auth/api-key.service';
import { isProblem, startTestGateway, type TestGateway } from './harness';

/**
 * API keys (SPEC.md §3.2, §3.3 "Keys") through real Postgres and RabbitMQ, on three gateway replicas sharing one
 * database: `a` and `b` on the same vhost, `c` with no reachable broker. The verified-key cache TTL is ten minutes
 * everywhere, and on `a`/`b` the Postgres re-check bound is too, so only the `customer.apikey.deleted.v1` event
 * can explain `b` refusing a key deleted on `a` within seconds; `c` hears no event and re-checks every second.
 */
describe('keys (integration, three replicas)', () => {
  const TEN_MINUTES = '600000';
  let a: TestGateway;
  let b: TestGateway;
  let c: TestGateway;
  let admin: string;
  let acme: number;
  let other: number;
  let acmeKey: string;
  let otherKey: string;

  const keyOf = (pair: string) => pair.split(':')[0];
  const newKey = async (customer: number | string, gw: TestGateway = a) => {
    const r = await gw.call('POST', `/customers/${customer}/keys`, { key: admin });
    expect(r.status).toBe(201);
    return `${r.json.key}:${r.json.secret}`;
  };

  beforeAll(async () => {
    const env = {
      VELLUM_AUTH_CACHE_TTL_MS: TEN_MINUTES,
      VELLUM_AUTH_RECHECK_MS: TEN_MINUTES,
      VELLUM_AUTH_FAILURES_PER_ADDRESS: '0',
      VELLUM_AUTH_FAILURES_PER_KEY: '0',
    };
    a = await startTestGateway(env);
    [b, c] = await Promise.all([
      startTestGateway(env, { shareWith: a }),
      freePort().then((port) =>
        startTestGateway(
          { ...env, AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}`, VELLUM_AUTH_RECHECK_MS: '1000' },
          { shareWith: a },
        ),
      ),
    ]);
    const setup = await a.call('POST', '/setup');
    admin = `${setup.json.key}:${setup.json.secret}`;
    acme = (await a.call('POST', '/customers', { key: admin, body: { name: 'acme', displayName: 'Acme' } }))
      .json.id;
    other = (
      await a.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    acmeKey = await newKey(acme);
    otherKey = await newKey(other);
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    await b?.close();
    await a?.close();
  });

  it('creates a key: 201, Location, the secret once; lists and reads keys, never a secret or hash', async () => {
    const created = await a.call('POST', `/customers/${acme}/keys`, { key: acmeKey });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      '@id': `${a.base}/customers/${acme}/keys/${created.json.key}`,
      '@type': 'vocab:ApiKey',
      key: expect.any(String),
      secret: expect.any(String),
      customer: `${a.base}/customers/${acme}`,
      created: expect.stringMatching(/Z$/),
    });
    expect(created.headers.get('location')).toBe(created.json['@id']);
    const pair = `${created.json.key}:${created.json.secret}`;
    expect((await a.call('GET', `/customers/${acme}`, { key: pair })).status).toBe(200);

    const one = await a.call('GET', `/customers/${acme}/keys/${created.json.key}`, { key: acmeKey });
    expect(one.status).toBe(200);
    expect(one.json.secret).toBeUndefined();
    expect(one.json.secretHash).toBeUndefined();
    // The key's links resolve.
    expect((await a.call('GET', new URL(one.json.customer).pathname, { key: acmeKey })).status).toBe(200);

    const list = await a.call('GET', `/customers/${acme}/keys?orderBy=key&pageSize=1`, { key: acmeKey });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 2, pageSize: 1 });
    expect(list.json.view).toMatchObject({ totalPages: 2 });
    const all = await a.call('GET', `/customers/${acme}/keys?orderByDescending=key`, { key: admin });
    const keys = all.json.member.map((m: any) => m.key);
    expect(keys).toEqual([...keys].sort().reverse());
    const allowed = ['@context', '@id', '@type', 'key', 'customer', 'created', 'lastUsed'];
    for (const m of all.json.member) {
      expect(Object.keys(m).filter((k) => !allowed.includes(k))).toEqual([]);
      expect(JSON.stringify(m)).not.toMatch(/secret|scrypt/i);
    }
  });

  it('answers 400 naming the bad parameter or field', async () => {
    const order = await a.call('GET', `/customers/${acme}/keys?orderBy=secretHash`, { key: acmeKey });
    expect(order.status).toBe(400);
    expect(order.json.errors.map((e: any) => e.field)).toEqual(['orderBy']);
    const body = await a.call('POST', `/customers/${acme}/keys`, { key: acmeKey, body: { secret: 'mine' } });
    expect(body.status).toBe(400);
    expect(isProblem(body)).toBe(true);
    expect(body.json.errors.map((e: any) => e.field)).toEqual(['secret']);
  });

  it('answers 404 for an unknown key, and for another customer’s key under this customer', async () => {
    expect((await a.call('GET', `/customers/${acme}/keys/no-such-key`, { key: acmeKey })).status).toBe(404);
    expect((await a.call('DELETE', `/customers/${acme}/keys/no-such-key`, { key: acmeKey })).status).toBe(
      404,
    );
    const otherK = keyOf(otherKey);
    expect((await a.call('GET', `/customers/${acme}/keys/${otherK}`, { key: admin })).status).toBe(404);
    expect((await a.call('DELETE', `/customers/${acme}/keys/${otherK}`, { key: acmeKey })).status).toBe(404);
    expect((await a.call('GET', `/customers/${other}`, { key: otherKey })).status).toBe(200);
  });

  it("refuses another customer's key (403) on every key route, and changes nothing", async () => {
    const before = await a.prisma.apiKey.count();
    const acmeK = keyOf(acmeKey);
    for (const [method, path] of [
      ['GET', `/customers/${acme}/keys`],
      ['POST', `/customers/${acme}/keys`],
      ['GET', `/customers/${acme}/keys/${acmeK}`],
      ['DELETE', `/customers/${acme}/keys/${acmeK}`],
    ]) {
      const r = await a.call(method, path, { key: otherKey });
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(isProblem(r)).toBe(true);
    }
    expect(await a.prisma.apiKey.count()).toBe(before);
    expect((await a.call('GET', `/customers/${acme}`, { key: acmeKey })).status).toBe(200);
  });

  it("never deletes the admin customer's last key (409)", async () => {
    const adminKeys = await a.prisma.apiKey.findMany({ where: { customer: { isAdmin: true } } });
    expect(adminKeys).toHaveLength(1);
    const last = await a.call('DELETE', `/customers/admin/keys/${keyOf(admin)}`, { key: admin });
    expect(last.status).toBe(409);
    expect(isProblem(last)).toBe(true);
    const second = await newKey('admin');
    expect((await a.call('DELETE', `/customers/admin/keys/${keyOf(admin)}`, { key: second })).status).toBe(
      204,
    );
    admin = second;
    expect((await a.call('DELETE', `/customers/admin/keys/${keyOf(second)}`, { key: second })).status).toBe(
      409,
    );
    expect((await a.call('GET', '/customers', { key: admin })).status).toBe(200);
  });

  it('a key deleted on one replica stops working on every replica at once (the event, not the TTL)', async () => {
    const pair = await newKey(acme);
    const key = keyOf(pair);
    // Verified, hence cached, on all three replicas.
    for (const gw of [a, b, c])
      expect((await gw.call('GET', `/customers/${acme}`, { key: pair })).status).toBe(200);
    expect(b.app.get(ApiKeyService).isCached(key)).toBe(true);
    expect(c.app.get(ApiKeyService).isCached(key)).toBe(true);

    const deletedAt = Date.now();
    expect((await a.call('DELETE', `/customers/${acme}/keys/${key}`, { key: admin })).status).toBe(204);
    // The deleting replica: at once.
    const onA = await a.call('GET', `/customers/${acme}`, { key: pair });
    expect(onA.status).toBe(401);
    expect(onA.headers.get('www-authenticate')).toBe('Basic realm="Vellum"');
    // Another replica: through customer.apikey.deleted.v1 on its own queue (its TTL and re-check are 10 min).
    await waitFor(async () => (await b.call('GET', `/customers/${acme}`, { key: pair })).status === 401, {
      timeoutMs: 5_000,
      intervalMs: 25,
      description: 'replica b refusing the deleted key',
    });
    expect(Date.now() - deletedAt).toBeLessThan(5_000);
    expect(b.app.get(ApiKeyService).isCached(key)).toBe(false);
    const row = await a.prisma.outboxMessage.findFirst({
      where: {
        routingKey: 'customer.apikey.deleted.v1',
        envelope: { path: ['data', 'keys'], array_contains: [key] },
      },
    });
    expect((row?.envelope as any).data).toEqual({ customerId: acme, keys: [key], customerDeleted: false });
    // A replica that hears nothing (no broker): the Postgres re-check, once the cached check is 1 s old.
    await waitFor(async () => (await c.call('GET', `/customers/${acme}`, { key: pair })).status === 401, {
      timeoutMs: 5_000,
      intervalMs: 50,
      description: 'bus-less replica c refusing the deleted key',
    });
    // Other keys are unaffected everywhere.
    for (const gw of [a, b, c])
      expect((await gw.call('GET', `/customers/${acme}`, { key: acmeKey })).status).toBe(200);
  });

  it('deleting a customer stops all its keys on every replica, and every replica forgets the customer', async () => {
    const gone = (
      await a.call('POST', '/customers', { key: admin, body: { name: 'gone', displayName: 'Gone' } })
    ).json.id as number;
    const k1 = await newKey(gone);
    const k2 = await newKey(gone);
    for (const pair of [k1, k2])
      expect((await b.call('GET', '/customers/gone', { key: pair })).status).toBe(200);
    expect((await b.call('GET', '/customers/gone', { key: admin })).json.id).toBe(gone);

    expect((await a.call('DELETE', `/customers/${gone}`, { key: admin })).status).toBe(204);
    await waitFor(
      async () =>
        (await b.call('GET', `/customers/${gone}`, { key: k1 })).status === 401 &&
        (await b.call('GET', `/customers/${gone}`, { key: k2 })).status === 401,
      { timeoutMs: 5_000, intervalMs: 25, description: 'replica b refusing both keys' },
    );
    // b's route cache forgot it: the name routes to nothing, then to a new customer that takes it.
    expect((await b.call('GET', '/customers/gone', { key: admin })).status).toBe(404);
    const again = await a.call('POST', '/customers', {
      key: admin,
      body: { name: 'gone', displayName: 'Back' },
    });
    expect(again.status).toBe(201);
    expect((await b.call('GET', '/customers/gone', { key: admin })).json).toMatchObject({
      id: again.json.id,
      displayName: 'Back',
    });
    const row = await a.prisma.outboxMessage.findFirst({
      where: {
        routingKey: 'customer.apikey.deleted.v1',
        envelope: { path: ['data', 'customerId'], equals: gone },
      },
    });
    expect(((row?.envelope as any).data.keys as string[]).sort()).toEqual([keyOf(k1), keyOf(k2)].sort());
    expect((row?.envelope as any).data.customerDeleted).toBe(true);
  });
});
