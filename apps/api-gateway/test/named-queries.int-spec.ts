/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/** SPEC.md §3.3 "Named queries" (CRUD, global admin-only) and §7 (the template validated when written). */
describe('named queries (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  let other: number;
  let adminId: number;
  const nq = (customer: number, id = '') => `/customers/${customer}/namedQueries${id ? `/${id}` : ''}`;
  const fields = (res: CallResult) => (res.json?.errors ?? []).map((e: any) => e.field);
  const row = (id: string) => gw.prisma.namedQuery.findUnique({ where: { id } });

  beforeAll(async () => {
    gw = await startTestGateway({ LOG_LEVEL: 'error' });
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    const created = await gw.call('POST', '/customers', {
      key: admin,
      body: { name: 'other', displayName: 'Other' },
    });
    other = created.json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
    adminId = (await gw.prisma.customer.findFirstOrThrow({ where: { isAdmin: true } })).id;
  });
  afterAll(async () => {
    await gw?.close();
  });

  let bookquery: any;

  it('creates a named query: 201, Location, vocab:NamedQuery; GET answers the same', async () => {
    const res = await gw.call('POST', nq(c), {
      key,
      body: { name: 'bookquery', template: 'manifest=s1&canvas=n2&s1=p1&space=p2' },
    });
    expect(res.status).toBe(201);
    bookquery = res.json;
    expect(res.json).toEqual({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': expect.stringMatching(new RegExp(`^${gw.base}/customers/${c}/namedQueries/[0-9a-f-]{36}$`)),
      '@type': 'vocab:NamedQuery',
      name: 'bookquery',
      template: 'manifest=s1&canvas=n2&s1=p1&space=p2',
      global: false,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(res.headers.get('location')).toBe(res.json['@id']);
    const get = await gw.call('GET', new URL(res.json['@id']).pathname, { key });
    expect(get.status).toBe(200);
    expect(get.json).toEqual(res.json);
    const id = res.json['@id'].split('/').pop();
    expect(await row(id)).toMatchObject({ customerId: c, name: 'bookquery', global: false });
  });

  it('400 naming template with the parser message, and every other bad field', async () => {
    const bad = await gw.call('POST', nq(c), { key, body: { name: 'bad', template: 's9=1&n1=abc&s1=p0' } });
    expect(bad.status).toBe(400);
    expect(isProblem(bad)).toBe(true);
    expect(fields(bad)).toEqual(['template']);
    const message = bad.json.errors[0].message as string;
    expect(message).toMatch(/unknown key "s9"/);
    expect(message).toMatch(/n1 must be an integer or an argument \(pN\), not "abc"/);
    expect(message).toMatch(/s1: "p0" is not an argument reference/);
    // DLCS's own test template "test" is not key=value.
    const plain = await gw.call('POST', nq(c), { key, body: { name: 'nq-test', template: 'test' } });
    expect(plain.status).toBe(400);
    expect(plain.json.errors[0]).toEqual({
      field: 'template',
      message: expect.stringMatching(/"test" is not key=value/),
    });

    const many = await gw.call('POST', nq(c), {
      key,
      body: { name: 'a b', template: '', global: 'yes', extra: 1 },
    });
    expect(many.status).toBe(400);
    expect(fields(many).sort()).toEqual(['extra', 'global', 'name', 'template']);
    const missing = await gw.call('POST', nq(c), { key, body: {} });
    expect(missing.status).toBe(400);
    expect(fields(missing).sort()).toEqual(['name', 'template']);
    expect(await gw.prisma.namedQuery.count({ where: { name: { in: ['bad', 'nq-test', 'a b'] } } })).toBe(0);
  });

  it('409 on a name the customer already has; another customer may use it', async () => {
    const dup = await gw.call('POST', nq(c), { key, body: { name: 'bookquery', template: 'space=1' } });
    expect(dup.status).toBe(409);
    expect(isProblem(dup)).toBe(true);
    const theirs = await gw.call('POST', nq(other), {
      key: otherKey,
      body: { name: 'bookquery', template: 'space=1' },
    });
    expect(theirs.status).toBe(201);
  });

  it('global is admin-only: a customer key setting it gets 400 naming global, an admin key may', async () => {
    const refused = await gw.call('POST', nq(c), {
      key,
      body: { name: 'everyone', template: 'space=p1', global: true },
    });
    expect(refused.status).toBe(400);
    expect(fields(refused)).toEqual(['global']);
    expect(await gw.prisma.namedQuery.count({ where: { name: 'everyone' } })).toBe(0);
    // false is the default: a customer key may send it.
    const explicit = await gw.call('POST', nq(c), {
      key,
      body: { name: 'mine', template: 'tag=p1', global: false },
    });
    expect(explicit.status).toBe(201);
    // An admin key acting on the customer may make one of its queries global.
    const byAdmin = await gw.call('POST', nq(c), {
      key: admin,
      body: { name: 'acme-global', template: 's1=p1', global: true },
    });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.json.global).toBe(true);
    const id = byAdmin.json['@id'].split('/').pop();
    // The owner's key may change its template, not its global flag.
    const template = await gw.call('PUT', nq(c, id), { key, body: { template: 's2=p1', global: true } });
    expect(template.status).toBe(200);
    expect(template.json).toMatchObject({ template: 's2=p1', global: true });
    const unglobal = await gw.call('PUT', nq(c, id), { key, body: { global: false } });
    expect(unglobal.status).toBe(400);
    expect(fields(unglobal)).toEqual(['global']);
    expect((await row(id))?.global).toBe(true);
  });

  it("lists the customer's own queries and every global one; a global one is readable, not changeable, elsewhere", async () => {
    const global = await gw.call('POST', nq(adminId), {
      key: admin,
      body: { name: 'manifest', template: 'manifest=s1&s1=p1&space=p2&assetOrder=n1', global: true },
    });
    expect(global.status).toBe(201);
    const priv = await gw.call('POST', nq(adminId), {
      key: admin,
      body: { name: 'admin-only', template: 'space=1' },
    });
    expect(priv.status).toBe(201);
    const globalId = global.json['@id'].split('/').pop();

    const list = await gw.call('GET', nq(other), { key: otherKey });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 3 });
    const names = list.json.member.map((m: any) => m.name).sort();
    expect(names).toEqual(['acme-global', 'bookquery', 'manifest']);
    // Every member's @id is under the listing customer and resolves for its key.
    for (const m of list.json.member) {
      expect(m['@id']).toMatch(new RegExp(`^${gw.base}/customers/${other}/namedQueries/`));
      const get = await gw.call('GET', new URL(m['@id']).pathname, { key: otherKey });
      expect(get.status).toBe(200);
      expect(get.json).toEqual(m);
    }
    // Not the owner: 403 on change, nothing changed.
    const put = await gw.call('PUT', nq(other, globalId), { key: otherKey, body: { template: 'space=9' } });
    expect(put.status).toBe(403);
    const del = await gw.call('DELETE', nq(other, globalId), { key: otherKey });
    expect(del.status).toBe(403);
    expect(await row(globalId)).toMatchObject({ template: 'manifest=s1&s1=p1&space=p2&assetOrder=n1' });
    // The admin's non-global query is not visible to others.
    const privId = priv.json['@id'].split('/').pop();
    expect((await gw.call('GET', nq(other, privId), { key: otherKey })).status).toBe(404);
    // Filters and order.
    const onlyGlobal = await gw.call('GET', `${nq(other)}?global=true&orderBy=name`, { key: otherKey });
    expect(onlyGlobal.json.member.map((m: any) => m.name)).toEqual(['acme-global', 'manifest']);
    const byName = await gw.call('GET', `${nq(other)}?name=bookquery`, { key: otherKey });
    expect(byName.json.member.map((m: any) => m['@id'])).toEqual([
      expect.stringContaining(`/customers/${other}/namedQueries/`),
    ]);
    const desc = await gw.call('GET', `${nq(c)}?orderByDescending=created&pageSize=2`, { key });
    expect(desc.status).toBe(200);
    expect(desc.json.view).toMatchObject({ '@type': 'PartialCollectionView', page: 1, pageSize: 2 });
    const badOrder = await gw.call('GET', `${nq(c)}?orderBy=template`, { key });
    expect(badOrder.status).toBe(400);
    expect(fields(badOrder)).toEqual(['orderBy']);
    const badFilter = await gw.call('GET', `${nq(c)}?global=maybe`, { key });
    expect(badFilter.status).toBe(400);
    expect(fields(badFilter)).toEqual(['global']);
  });

  it('PUT changes only the supplied fields; 400, 404 and 409 as the spec says', async () => {
    const path = new URL(bookquery['@id']).pathname;
    const id = path.split('/').pop()!;
    const put = await gw.call('PUT', path, { key, body: { template: 's1=p1&n1=p2&assetOrder=n1 desc' } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      name: 'bookquery',
      template: 's1=p1&n1=p2&assetOrder=n1 desc',
      global: false,
    });
    const renamed = await gw.call('PUT', path, {
      key,
      body: { name: 'books', '@id': bookquery['@id'], created: 'x' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'books', template: 's1=p1&n1=p2&assetOrder=n1 desc' });
    const same = await gw.call('PUT', path, { key, body: {} });
    expect(same.status).toBe(200);
    expect(same.json).toEqual(renamed.json);

    const bad = await gw.call('PUT', path, { key, body: { template: 'canvas=n9' } });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['template']);
    expect(bad.json.errors[0].message).toMatch(/canvas term "n9"/);
    const nulls = await gw.call('PUT', path, { key, body: { name: null, template: null } });
    expect(nulls.status).toBe(400);
    expect(fields(nulls).sort()).toEqual(['name', 'template']);
    const clash = await gw.call('PUT', path, { key, body: { name: 'mine' } });
    expect(clash.status).toBe(409);
    expect(await row(id)).toMatchObject({ name: 'books', template: 's1=p1&n1=p2&assetOrder=n1 desc' });

    for (const missing of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await gw.call('GET', nq(c, missing), { key })).status).toBe(404);
      const p = await gw.call('PUT', nq(c, missing), { key, body: { template: 'space=1' } });
      expect(p.status).toBe(404);
      expect(isProblem(p)).toBe(true);
      expect((await gw.call('DELETE', nq(c, missing), { key })).status).toBe(404);
    }
  });

  it("another customer's key gets 403 on the owner's path and 404 on its own; nothing changes", async () => {
    const path = new URL(bookquery['@id']).pathname;
    const id = path.split('/').pop()!;
    const before = await row(id);
    expect((await gw.call('GET', path, { key: otherKey })).status).toBe(403);
    expect((await gw.call('GET', nq(c), { key: otherKey })).status).toBe(403);
    expect(
      (await gw.call('POST', nq(c), { key: otherKey, body: { name: 'x', template: 'space=1' } })).status,
    ).toBe(403);
    expect((await gw.call('PUT', path, { key: otherKey, body: { template: 'space=2' } })).status).toBe(403);
    expect((await gw.call('DELETE', path, { key: otherKey })).status).toBe(403);
    expect((await gw.call('GET', nq(other, id), { key: otherKey })).status).toBe(404);
    expect(
      (await gw.call('PUT', nq(other, id), { key: otherKey, body: { template: 'space=2' } })).status,
    ).toBe(404);
    expect((await gw.call('DELETE', nq(other, id), { key: otherKey })).status).toBe(404);
    expect((await gw.call('GET', path)).status).toBe(401);
    expect(await row(id)).toEqual(before);
    expect(await gw.prisma.namedQuery.count({ where: { customerId: c, name: 'x' } })).toBe(0);
  });

  it('deletes: 204, then 404', async () => {
    const path = new URL(bookquery['@id']).pathname;
    const del = await gw.call('DELETE', path, { key });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await gw.call('GET', path, { key })).status).toBe(404);
    expect((await gw.call('DELETE', path, { key })).status).toBe(404);
    expect(await row(path.split('/').pop()!)).toBeNull();
  });

  it('documents the routes with request and response schemas', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    const list = doc.paths['/customers/{customer}/namedQueries'];
    const one = doc.paths['/customers/{customer}/namedQueries/{id}'];
    expect(Object.keys(list).sort()).toEqual(['get', 'post']);
    expect(Object.keys(one).sort()).toEqual(['delete', 'get', 'put']);
    expect(list.post.requestBody).toBeDefined();
    expect(list.post.responses['201'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/NamedQuery',
    );
    expect(one.delete.responses['204']).toBeDefined();
    expect(Object.keys(doc.components.schemas.NamedQuery.properties)).toEqual(
      expect.arrayContaining(['name', 'template', 'global', 'created']),
    );
  });
});
