/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { isProblem, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Customers (SPEC.md §3.2, §3.3 "Customers") through the real gateway, Postgres and RabbitMQ: every route with its
 * success, 400 (naming the field), 404, another customer's key (403, nothing changed) and 409s.
 */
describe('customers (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let acme: number;
  let acmeKey: string;
  let otherKey: string;

  const fields = (r: CallResult) => (r.json?.errors ?? []).map((e: any) => e.field).sort();
  const expect400 = (r: CallResult, ...names: string[]) => {
    expect(r.status).toBe(400);
    expect(isProblem(r)).toBe(true);
    expect(fields(r)).toEqual([...names].sort());
  };
  const create = (body: unknown, key = admin) => gw.call('POST', '/customers', { key, body });
  const newKey = async (customer: number) => {
    const k = await gw.call('POST', `/customers/${customer}/keys`, { key: admin });
    return `${k.json.key}:${k.json.secret}`;
  };

  beforeAll(async () => {
    gw = await startTestGateway({ VELLUM_AUTH_FAILURES_PER_ADDRESS: '0' });
    const setup = await gw.call('POST', '/setup');
    admin = `${setup.json.key}:${setup.json.secret}`;
    // A non-system platform policy, so that creation has one to copy (SPEC.md §3.3).
    await gw.prisma.deliveryChannelPolicy.create({
      data: {
        customerId: 0,
        channel: 'thumbs',
        name: 'copied',
        displayName: 'Copied to every new customer',
        system: false,
        policyData: ['!300,300'],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('POST /customers: 201, Location, the resource, and its defaults and event in one go', async () => {
    const r = await create({ name: 'acme', displayName: 'Acme Corp' });
    expect(r.status).toBe(201);
    acme = r.json.id;
    expect(r.headers.get('location')).toBe(`${gw.base}/customers/${acme}`);
    // Links to the customer's collections grow with the API (all are followed by links-and-schemas.int-spec).
    expect(r.json).toMatchObject({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': `${gw.base}/customers/${acme}`,
      '@type': 'vocab:Customer',
      id: acme,
      name: 'acme',
      displayName: 'Acme Corp',
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      keys: `${gw.base}/customers/${acme}/keys`,
      spaces: `${gw.base}/customers/${acme}/spaces`,
      queue: `${gw.base}/customers/${acme}/queue`,
      deliveryChannelPolicies: `${gw.base}/customers/${acme}/deliveryChannelPolicies`,
      defaultDeliveryChannels: `${gw.base}/customers/${acme}/defaultDeliveryChannels`,
      customHeaders: `${gw.base}/customers/${acme}/customHeaders`,
    });
    const policies = await gw.prisma.deliveryChannelPolicy.findMany({ where: { customerId: acme } });
    // thumbs/default and the iiif-av defaults are per-customer templates too (migration 20261201600001).
    expect(policies.map((p) => `${p.channel}/${p.name}/${p.system}`).sort()).toEqual([
      'iiif-av/default-audio/false',
      'iiif-av/default-video/false',
      'thumbs/copied/false',
      'thumbs/default/false',
    ]);
    const rules = await gw.prisma.defaultDeliveryChannel.findMany({ where: { customerId: acme } });
    expect(rules.map((x) => `${x.spaceId} ${x.mediaType} ${x.channel}/${x.policy}`).sort()).toEqual([
      '0 application/* file/none',
      '0 audio/* iiif-av/default-audio',
      '0 image/* iiif-img/default',
      '0 image/* thumbs/default',
      '0 video/* iiif-av/default-video',
    ]);
    const events = await gw.prisma.outboxMessage.findMany({ where: { routingKey: 'customer.created.v1' } });
    expect(events.map((e) => (e.envelope as any).data)).toContainEqual({ customerId: acme, name: 'acme' });
    acmeKey = await newKey(acme);
    const other = await create({ name: 'other', displayName: 'Other' });
    otherKey = await newKey(other.json.id);
  });

  it('every link of a customer resolves', async () => {
    const c = (await gw.call('GET', `/customers/${acme}`, { key: acmeKey })).json;
    for (const link of [
      'keys',
      'spaces',
      'queue',
      'namedQueries',
      'originStrategies',
      'deliveryChannelPolicies',
      'defaultDeliveryChannels',
      'customHeaders',
    ]) {
      const r = await gw.call('GET', new URL(c[link]).pathname, { key: acmeKey });
      expect([link, r.status]).toEqual([link, 200]);
    }
  });

  it('POST /customers: 400 naming every bad field; reserved names in any case', async () => {
    expect400(await create({ name: 'nodisplay' }), 'displayName');
    expect400(await create({ displayName: 'No name' }), 'name');
    expect400(await create({}), 'displayName', 'name');
    expect400(await create({ name: 'x', displayName: '' }), 'displayName');
    expect400(await create({ name: 'x', displayName: 7 }), 'displayName');
    for (const name of ['admin', 'ADMIN', 'Admin', 'v2', 'V10', '123', 'a b', 'x'.repeat(61)])
      expect400(await create({ name, displayName: `D ${name}` }), 'name');
    expect400(await create({ name: 'x', displayName: 'X', isAdmin: true }), 'isAdmin');
    expect(await gw.prisma.customer.count({ where: { name: { in: ['x', 'nodisplay'] } } })).toBe(0);
  });

  it('POST /customers: 409 on a taken name or displayName, nothing written', async () => {
    const before = await gw.prisma.customer.count();
    const byName = await create({ name: 'acme', displayName: 'Another' });
    expect(byName.status).toBe(409);
    expect(isProblem(byName)).toBe(true);
    expect(byName.json.detail).toMatch(/named "acme"/);
    const byDisplay = await create({ name: 'acme2', displayName: 'Acme Corp' });
    expect(byDisplay.status).toBe(409);
    expect(byDisplay.json.detail).toMatch(/displayName "Acme Corp"/);
    // Concurrent creates of the same name: one wins, the other is a 409, never a 500.
    const race = await Promise.all(
      [1, 2, 3].map((i) => create({ name: 'racer', displayName: `Racer ${i}` })),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await gw.prisma.customer.count()).toBe(before + 1);
  });

  it('POST /customers and GET /customers are admin-only: a customer key gets 403', async () => {
    const before = await gw.prisma.customer.count();
    expect((await create({ name: 'sneaky', displayName: 'Sneaky' }, acmeKey)).status).toBe(403);
    expect((await gw.call('GET', '/customers', { key: acmeKey })).status).toBe(403);
    expect(await gw.prisma.customer.count()).toBe(before);
  });

  it('GET /customers: paged, ordered, filtered; unknown orderBy or filter value → 400', async () => {
    const all = await gw.call('GET', '/customers', { key: admin });
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ '@type': 'Collection', totalItems: 4, pageSize: 100 });
    expect(all.json.member.map((m: any) => m.name)).toEqual(['admin', 'acme', 'other', 'racer']);
    expect(all.json.member[0].administrator).toBe(true);
    expect(all.json.member[1].administrator).toBeUndefined();
    const page = await gw.call('GET', '/customers?orderByDescending=name&pageSize=2&page=2', { key: admin });
    expect(page.json.member.map((m: any) => m.name)).toEqual(['admin', 'acme']);
    expect(page.json.view).toMatchObject({
      page: 2,
      totalPages: 2,
      first: expect.stringContaining('orderByDescending=name'),
    });
    const filtered = await gw.call('GET', '/customers?displayName=Other', { key: admin });
    expect(filtered.json.member.map((m: any) => m.name)).toEqual(['other']);
    expect400(await gw.call('GET', '/customers?orderBy=isAdmin', { key: admin }), 'orderBy');
    expect400(await gw.call('GET', '/customers?pageSize=0', { key: admin }), 'pageSize');
  });

  it('GET C: 200 for its own key and admin; 403 for another customer; 404 for none', async () => {
    expect((await gw.call('GET', `/customers/${acme}`, { key: acmeKey })).json.name).toBe('acme');
    expect((await gw.call('GET', '/customers/acme', { key: admin })).json.id).toBe(acme);
    expect((await gw.call('GET', `/customers/${acme}`, { key: otherKey })).status).toBe(403);
    const none = await gw.call('GET', '/customers/9999', { key: admin });
    expect(none.status).toBe(404);
    expect(isProblem(none)).toBe(true);
  });

  it('PATCH C: changes displayName only; name, nulls and other fields → 400; 409 when taken', async () => {
    const r = await gw.call('PATCH', `/customers/${acme}`, {
      key: acmeKey,
      body: { displayName: 'Acme Ltd' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: acme, name: 'acme', displayName: 'Acme Ltd' });
    expect((await gw.call('PATCH', `/customers/${acme}`, { key: acmeKey, body: {} })).json.displayName).toBe(
      'Acme Ltd',
    );
    expect400(
      await gw.call('PATCH', `/customers/${acme}`, { key: acmeKey, body: { name: 'renamed' } }),
      'name',
    );
    expect400(
      await gw.call('PATCH', `/customers/${acme}`, {
        key: acmeKey,
        body: { name: 'acme', displayName: 'Z' },
      }),
      'name',
    );
    expect400(
      await gw.call('PATCH', `/customers/${acme}`, { key: acmeKey, body: { displayName: null } }),
      'displayName',
    );
    expect400(
      await gw.call('PATCH', `/customers/${acme}`, { key: acmeKey, body: { displayName: '' } }),
      'displayName',
    );
    expect400(
      await gw.call('PATCH', `/customers/${acme}`, { key: acmeKey, body: { administrator: true } }),
      'administrator',
    );
    const taken = await gw.call('PATCH', `/customers/${acme}`, {
      key: acmeKey,
      body: { displayName: 'Other' },
    });
    expect(taken.status).toBe(409);
    expect(isProblem(taken)).toBe(true);
    const row = await gw.prisma.customer.findUniqueOrThrow({ where: { id: acme } });
    expect([row.name, row.displayName, row.isAdmin]).toEqual(['acme', 'Acme Ltd', false]);
  });

  it("PATCH C: another customer's key → 403 with nothing changed; unknown customer → 404", async () => {
    const r = await gw.call('PATCH', `/customers/${acme}`, {
      key: otherKey,
      body: { displayName: 'Hijacked' },
    });
    expect(r.status).toBe(403);
    expect((await gw.prisma.customer.findUniqueOrThrow({ where: { id: acme } })).displayName).toBe(
      'Acme Ltd',
    );
    expect(
      (await gw.call('PATCH', '/customers/9999', { key: admin, body: { displayName: 'N' } })).status,
    ).toBe(404);
  });

  it('DELETE C: admin only; 409 for the admin customer and while it has an asset; 404 for none', async () => {
    const before = await gw.prisma.customer.count();
    expect((await gw.call('DELETE', `/customers/${acme}`, { key: acmeKey })).status).toBe(403);
    expect((await gw.call('DELETE', `/customers/${acme}`, { key: otherKey })).status).toBe(403);
    const adminSelf = await gw.call('DELETE', '/customers/admin', { key: admin });
    expect(adminSelf.status).toBe(409);
    expect(isProblem(adminSelf)).toBe(true);
    expect((await gw.call('DELETE', '/customers/9999', { key: admin })).status).toBe(404);

    await gw.call('POST', `/customers/${acme}/spaces`, { key: acmeKey, body: { name: 'books' } });
    await gw.call('PUT', `/customers/${acme}/spaces/1/images/a1`, {
      key: acmeKey,
      body: { origin: 'https://example.org/a1.jpg', mediaType: 'image/jpeg' },
    });
    const busy = await gw.call('DELETE', `/customers/${acme}`, { key: admin });
    expect(busy.status).toBe(409);
    expect(busy.json.detail).toMatch(/assets/);
    expect(await gw.prisma.customer.count()).toBe(before);
    expect((await gw.call('GET', `/customers/${acme}`, { key: acmeKey })).status).toBe(200);
  });

  it('DELETE C: 204; its spaces, keys, policies, rules and origin strategies go; its name is free again', async () => {
    const c = (await create({ name: 'leaving', displayName: 'Leaving' })).json.id as number;
    const key = await newKey(c);
    const [k] = key.split(':');
    expect((await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 's1' } })).status).toBe(201);
    await gw.prisma.originStrategy.create({ data: { customerId: c, regex: '.*', strategy: 'default' } });
    await gw.prisma.storageUsage.create({ data: { customerId: c, spaceId: 0 } });
    const otherCount = await gw.prisma.deliveryChannelPolicy.count({ where: { customerId: { not: c } } });

    const r = await gw.call('DELETE', `/customers/${c}`, { key: admin });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const where = { where: { customerId: c } };
    expect(
      await Promise.all([
        gw.prisma.space.count(where),
        gw.prisma.apiKey.count(where),
        gw.prisma.deliveryChannelPolicy.count(where),
        gw.prisma.defaultDeliveryChannel.count(where),
        gw.prisma.originStrategy.count(where),
        gw.prisma.storageUsage.count(where),
        gw.prisma.customer.count({ where: { id: c } }),
      ]),
    ).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // Nothing of anyone else's went.
    expect(await gw.prisma.deliveryChannelPolicy.count({ where: { customerId: { not: c } } })).toBe(
      otherCount,
    );
    const event = await gw.prisma.outboxMessage.findFirst({
      where: {
        routingKey: 'customer.apikey.deleted.v1',
        envelope: { path: ['data', 'customerId'], equals: c },
      },
    });
    expect((event?.envelope as any).data).toEqual({ customerId: c, keys: [k], customerDeleted: true });
    expect((await gw.call('GET', `/customers/${c}`, { key: admin })).status).toBe(404);
    expect((await gw.call('GET', '/customers/leaving', { key: admin })).status).toBe(404);
    expect((await gw.call('GET', '/customers/leaving', { key })).status).toBe(401);
    const back = await create({ name: 'leaving', displayName: 'Leaving' });
    expect(back.status).toBe(201);
    expect((await gw.call('GET', '/customers/leaving', { key: admin })).json.id).toBe(back.json.id);
  });

  it('the entry point links to the customers collection and the AV presets', async () => {
    const root = await gw.call('GET', '/');
    expect(root.json).toMatchObject({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': `${gw.base}/`,
      '@type': 'vocab:EntryPoint',
      customers: `${gw.base}/customers`,
      originStrategies: `${gw.base}/originStrategies`,
      queue: `${gw.base}/queue`,
      avPresets: `${gw.base}/avPresets`,
    });
  });
});
