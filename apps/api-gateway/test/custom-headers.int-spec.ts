/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { waitFor } from '@vellum/testing';
import {
  createRoles,
  isProblem,
  roleUri,
  seedCustomer,
  startTestGateway,
  type CallResult,
  type TestGateway,
} from './harness';

/**
 * Custom headers through the real gateway, Postgres and RabbitMQ (SPEC.md §3.3 "Custom headers", §5): CRUD,
 * header name/value rules, one header per name and scope (409), a `customer.custom-headers.changed.v1` outbox
 * row in the transaction of every change, tenant isolation.
 */
describe('custom headers (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  const H = () => `/customers/${c}/customHeaders`;
  const path = (r: CallResult) => r.headers.get('location')!.slice(gw.base.length);
  /** A role URI as a client may send it (any host); rendered with the API's base (`roleUri`). */
  const ROLE = 'https://api.example.org/customers/acme/roles/staff';

  const fields = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);
  const expectStatus = (r: CallResult, status: number) =>
    expect({ status: r.status, problem: status >= 400 ? isProblem(r) : true }).toEqual({
      status,
      problem: true,
    });
  const expect400 = (r: CallResult, ...names: string[]) => {
    expectStatus(r, 400);
    expect(fields(r)).toEqual(expect.arrayContaining(names));
  };
  /** The `customer.custom-headers.changed.v1` outbox rows of the customer. */
  const changeEvents = async () =>
    (
      await gw.prisma.outboxMessage.findMany({ where: { routingKey: 'customer.custom-headers.changed.v1' } })
    ).filter((m) => (m.envelope as any).data.customerId === c).length;

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    await createRoles(gw, key, c, ['staff']);
    const other = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  let wide: CallResult;

  it('POST creates a header (201 + Location) and records the change in the outbox', async () => {
    expect(await changeEvents()).toBe(0);
    wide = await gw.call('POST', H(), { key, body: { key: 'Cache-Control', value: 'public, max-age=60' } });
    expectStatus(wide, 201);
    expect(wide.headers.get('location')).toMatch(new RegExp(`^${gw.base}${H()}/[0-9a-f-]{36}$`));
    expect(wide.json).toMatchObject({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': wide.headers.get('location'),
      '@type': 'vocab:CustomHeader',
      key: 'Cache-Control',
      value: 'public, max-age=60',
      created: expect.stringMatching(/Z$/),
    });
    expect(wide.json.space).toBeUndefined();
    expect(wide.json.role).toBeUndefined();
    expect((await gw.call('GET', path(wide), { key })).json).toEqual(wide.json);
    expect(await changeEvents()).toBe(1);
    const row = await gw.prisma.outboxMessage.findFirst({
      where: { routingKey: 'customer.custom-headers.changed.v1' },
    });
    expect(row!.envelope).toMatchObject({
      type: 'customer.custom-headers.changed.v1',
      producer: 'api-gateway',
      data: { customerId: c },
    });
    // The relay publishes it (the publisher validates the payload against the registry first).
    await waitFor(
      async () => (await gw.prisma.outboxMessage.findUnique({ where: { id: row!.id } }))?.sentAt != null,
      { timeoutMs: 10_000, description: 'the custom headers change published by the outbox relay' },
    );
  });

  it('one header per name (any case), space and role: 409; another scope is fine', async () => {
    const dup = await gw.call('POST', H(), { key, body: { key: 'cache-control', value: 'no-store' } });
    expectStatus(dup, 409);
    const inSpace = await gw.call('POST', H(), {
      key,
      body: { key: 'cache-control', value: 'private', space: 1 },
    });
    expectStatus(inSpace, 201);
    expect(inSpace.json).toMatchObject({ key: 'cache-control', space: 1 });
    const withRole = await gw.call('POST', H(), {
      key,
      body: { key: 'Cache-Control', value: 'private', role: ROLE },
    });
    expectStatus(withRole, 201);
    const both = await gw.call('POST', H(), {
      key,
      body: { key: 'Cache-Control', value: 'no-store', space: 1, role: ROLE },
    });
    expectStatus(both, 201);
    expectStatus(
      await gw.call('POST', H(), { key, body: { key: 'CACHE-CONTROL', value: 'x', space: 1, role: ROLE } }),
      409,
    );
    expect(await changeEvents()).toBe(4);
  });

  it('lists them (paged, filtered by key, space, role; ordered)', async () => {
    const all = await gw.call('GET', H(), { key });
    expect(all.json).toMatchObject({ '@type': 'Collection', totalItems: 4 });
    expect((await gw.call('GET', `${H()}?space=1`, { key })).json.totalItems).toBe(2);
    expect((await gw.call('GET', `${H()}?role=${encodeURIComponent(ROLE)}`, { key })).json.totalItems).toBe(
      2,
    );
    expect(
      (
        await gw.call('GET', `${H()}?q=${encodeURIComponent(JSON.stringify({ space: 1, role: ROLE }))}`, {
          key,
        })
      ).json.totalItems,
    ).toBe(1);
    const ordered = await gw.call('GET', `${H()}?orderBy=space&pageSize=1`, { key });
    expect(ordered.json.member[0].space).toBe(1);
    expect(ordered.json.view).toMatchObject({ totalPages: 4 });
    expect400(await gw.call('GET', `${H()}?orderBy=value`, { key }), 'orderBy');
    expect400(await gw.call('GET', `${H()}?space=one`, { key }), 'space');
  });

  it('400 names every failed field', async () => {
    const before = await changeEvents();
    expect400(await gw.call('POST', H(), { key, body: {} }), 'key', 'value');
    expect400(
      await gw.call('POST', H(), { key, body: { key: 'Content-Type', value: 'a\r\nSet-Cookie: x=1' } }),
      'key',
      'value',
    );
    expect400(
      await gw.call('POST', H(), { key, body: { key: 'Access-Control-Allow-Origin', value: '*' } }),
      'key',
    );
    expect400(await gw.call('POST', H(), { key, body: { key: 'Connection', value: 'close' } }), 'key');
    expect400(await gw.call('POST', H(), { key, body: { key: 'X Bad', value: 'v' } }), 'key');
    expect400(await gw.call('POST', H(), { key, body: { key: 'X-A', value: 'v\n' } }), 'value');
    expect400(await gw.call('POST', H(), { key, body: { key: 'X-A', value: 'v', space: 99 } }), 'space');
    expect400(
      await gw.call('POST', H(), { key, body: { key: 'X-A', value: 'v', space: -1, role: 5 } }),
      'space',
      'role',
    );
    expect400(await gw.call('POST', H(), { key, body: { key: 'X-A', value: 'v', spaceId: 1 } }), 'spaceId');
    expect(await changeEvents()).toBe(before);
  });

  it('PUT replaces (space and role omitted → none), PATCH changes what is sent; unknown → 404', async () => {
    const created = await gw.call('POST', H(), {
      key,
      body: { key: 'X-Robots-Tag', value: 'noindex', space: 1, role: ROLE },
    });
    expectStatus(created, 201);
    const put = await gw.call('PUT', path(created), { key, body: { key: 'X-Robots-Tag', value: 'none' } });
    expectStatus(put, 200);
    expect(put.json).toMatchObject({
      '@id': created.json['@id'],
      key: 'X-Robots-Tag',
      value: 'none',
      created: created.json.created,
    });
    expect(put.json.space).toBeUndefined();
    expect(put.json.role).toBeUndefined();
    const patched = await gw.call('PATCH', path(created), { key, body: { role: ROLE } });
    expect(patched.json).toMatchObject({ value: 'none', role: roleUri(gw, c, 'staff') });
    const cleared = await gw.call('PATCH', path(created), { key, body: { role: null, value: 'noarchive' } });
    expect(cleared.json).toMatchObject({ value: 'noarchive' });
    expect(cleared.json.role).toBeUndefined();
    expect400(await gw.call('PATCH', path(created), { key, body: { key: null } }), 'key');
    expect400(
      await gw.call('PATCH', path(created), { key, body: { value: 'a\rb', space: 1234 } }),
      'value',
      'space',
    );
    expect400(await gw.call('PUT', path(created), { key, body: { value: 'x' } }), 'key');
    // A change that would make it the twin of another header → 409.
    expectStatus(
      await gw.call('PATCH', path(created), { key, body: { key: 'cache-control', space: 1 } }),
      409,
    );
    expectStatus(
      await gw.call('PUT', path(created), { key, body: { key: 'Cache-Control', value: 'x' } }),
      409,
    );
    const body = { key: 'X-A', value: 'v' };
    expectStatus(await gw.call('PUT', `${H()}/00000000-0000-4000-8000-00000000ffff`, { key, body }), 404);
    expectStatus(await gw.call('PATCH', `${H()}/nope`, { key, body }), 404);
    expectStatus(await gw.call('GET', `${H()}/nope`, { key }), 404);
  });

  it('DELETE removes it (204, then 404) and records the change', async () => {
    const before = await changeEvents();
    expectStatus(await gw.call('DELETE', path(wide), { key }), 204);
    expectStatus(await gw.call('GET', path(wide), { key }), 404);
    expectStatus(await gw.call('DELETE', path(wide), { key }), 404);
    expect(await changeEvents()).toBe(before + 1);
  });

  it('go with their space (DELETE C/spaces/{s}) and their customer (DELETE C), so a new one never inherits them', async () => {
    const space = await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'short-lived' } });
    const s = space.json.id as number;
    const header = await gw.call('POST', H(), { key, body: { key: 'X-Short', value: 'lived', space: s } });
    expectStatus(header, 201);
    expectStatus(await gw.call('DELETE', `/customers/${c}/spaces/${s}`, { key }), 204);
    expectStatus(await gw.call('GET', path(header), { key }), 404);
    expectStatus(
      await gw.call('PUT', `/customers/${c}/spaces/${s}`, { key, body: { name: 'short-lived' } }),
      201,
    );
    expect((await gw.call('GET', `${H()}?space=${s}`, { key })).json.totalItems).toBe(0);

    const gone = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'gone', displayName: 'Gone' } })
    ).json.id;
    const h = await gw.call('POST', `/customers/${gone}/customHeaders`, {
      key: admin,
      body: { key: 'X-Gone', value: 'soon' },
    });
    expectStatus(h, 201);
    expectStatus(await gw.call('DELETE', `/customers/${gone}`, { key: admin }), 204);
    expect(await gw.prisma.customHeader.count({ where: { customerId: gone } })).toBe(0);
  });

  it("another customer's key gets 403 on every route and changes nothing", async () => {
    const before = await gw.prisma.customHeader.findMany({
      where: { customerId: c },
      orderBy: { id: 'asc' },
    });
    const events = await changeEvents();
    const id = before[0].id;
    const body = { key: 'X-Intruder', value: 'yes' };
    for (const [method, p, b] of [
      ['GET', H()],
      ['POST', H(), body],
      ['GET', `${H()}/${id}`],
      ['PUT', `${H()}/${id}`, body],
      ['PATCH', `${H()}/${id}`, body],
      ['DELETE', `${H()}/${id}`],
    ] as const) {
      const r = await gw.call(method, p, { key: otherKey, body: b });
      expect({ method, p, status: r.status }).toEqual({ method, p, status: 403 });
      expect((await gw.call(method, p, { body: b })).status).toBe(401);
    }
    expect(
      await gw.prisma.customHeader.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } }),
    ).toEqual(before);
    expect(await changeEvents()).toBe(events);
  });
});
