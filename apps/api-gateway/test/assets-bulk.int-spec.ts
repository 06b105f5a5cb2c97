/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { otherCustomerKey, outboxData } from './assets-helpers';
import { createRoles, roleUri, seedCustomer, startTestGateway, type TestGateway } from './harness';

/**
 * Assets in bulk (SPEC.md §3.3): `GET`/`POST`/`PATCH C/allImages` and `PATCH C/spaces/{s}/images`, through the
 * real gateway, Postgres and RabbitMQ.
 */
describe('assets in bulk (integration)', () => {
  let gw: TestGateway;
  let key: string;
  let otherKey: string;
  let c: number;

  const asset = (space: number, id: string) =>
    gw.prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: c, spaceId: space, id } },
    });
  const count = (routingKey: string) => gw.prisma.outboxMessage.count({ where: { routingKey } });
  const fields = (res: { json: any }) => (res.json?.errors ?? []).map((e: any) => e.field);

  beforeAll(async () => {
    gw = await startTestGateway();
    let admin: string;
    ({ key, admin, customerId: c } = await seedCustomer(gw));
    otherKey = await otherCustomerKey(gw, admin);
    await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'maps' } });
    await createRoles(gw, key, c, ['r1', 'r2']);
    const put = (space: number, id: string, body: object) =>
      gw.call('PUT', `/customers/${c}/spaces/${space}/images/${id}`, {
        key,
        body: { origin: `https://example.org/${id}.jpg`, mediaType: 'image/jpeg', ...body },
      });
    expect((await put(1, 'p1', { tags: ['a'], string1: 'book', number1: 1 })).status).toBe(202);
    expect(
      (await put(1, 'p2', { tags: ['a', 'b'], string1: 'book', number1: 2, manifests: ['m'] })).status,
    ).toBe(202);
    expect((await put(2, 'q1', { tags: ['b'], string1: 'map', number1: 3, roles: ['r1'] })).status).toBe(202);
    await gw.prisma.asset.updateMany({
      where: { customerId: c },
      data: { ingesting: false, finished: new Date() },
    });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('GET allImages: every space, paged, filtered (space, string1, tags, q) and ordered; 400 for an unknown order', async () => {
    const all = await gw.call('GET', `/customers/${c}/allImages`, { key });
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ '@type': 'Collection', totalItems: 4 });
    expect(all.json.member.map((m: any) => [m.space, m.id]).sort()).toEqual([
      [1, 'a1'],
      [1, 'p1'],
      [1, 'p2'],
      [2, 'q1'],
    ]);
    const books = await gw.call('GET', `/customers/${c}/allImages?string1=book&orderByDescending=number1`, {
      key,
    });
    expect(books.json.member.map((m: any) => m.id)).toEqual(['p2', 'p1']);
    const inSpace = await gw.call('GET', `/customers/${c}/allImages?space=2`, { key });
    expect(inSpace.json.member.map((m: any) => m.id)).toEqual(['q1']);
    const q = encodeURIComponent(JSON.stringify({ tags: ['b'] }));
    const tagged = await gw.call('GET', `/customers/${c}/allImages?q=${q}&orderBy=id`, { key });
    expect(tagged.json.member.map((m: any) => m.id)).toEqual(['p2', 'q1']);
    const paged = await gw.call('GET', `/customers/${c}/allImages?pageSize=3&page=2`, { key });
    expect(paged.json.member).toHaveLength(1);
    expect(paged.json.view).toMatchObject({ page: 2, totalPages: 2 });
    const badOrder = await gw.call('GET', `/customers/${c}/allImages?orderBy=origin`, { key });
    expect(badOrder.status).toBe(400);
    expect(fields(badOrder)).toEqual(['orderBy']);
    const badSpace = await gw.call('GET', `/customers/${c}/allImages?space=x`, { key });
    expect(badSpace.status).toBe(400);
    expect(fields(badSpace)).toEqual(['space']);
    expect((await gw.call('GET', `/customers/${c}/allImages`, { key: otherKey })).status).toBe(403);
  });

  it('POST allImages: 200 with the named assets that exist, in request order; 400 for foreign or malformed ids', async () => {
    const res = await gw.call('POST', `/customers/${c}/allImages`, {
      key,
      body: {
        '@type': 'Collection',
        member: [{ id: `${c}/2/q1` }, { id: `${c}/1/nope` }, { id: `acme/1/p1` }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ '@type': 'Collection', totalItems: 2 });
    expect(res.json.member.map((m: any) => m['@id'])).toEqual([
      `${gw.base}/customers/${c}/spaces/2/images/q1`,
      `${gw.base}/customers/${c}/spaces/1/images/p1`,
    ]);
    const bad = await gw.call('POST', `/customers/${c}/allImages`, {
      key,
      body: { member: [{ id: `${c + 1}/1/p1` }, { id: `${c}/p1` }, { id: 7 }] },
    });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['member[0].id', 'member[1].id', 'member[2].id']);
    expect((await gw.call('POST', `/customers/${c}/allImages`, { key, body: { member: [] } })).status).toBe(
      400,
    );
    const foreign = await gw.call('POST', `/customers/${c}/allImages`, {
      key: otherKey,
      body: { member: [{ id: `${c}/1/p1` }] },
    });
    expect(foreign.status).toBe(403);
  });

  it('PATCH space images: each member changes only the metadata it sends; one asset.updated.v1 each; no ingest', async () => {
    const updates = await count('asset.updated.v1');
    const ingests = await count('asset.ingest.requested.v1');
    const before = await asset(1, 'p2');
    const res = await gw.call('PATCH', `/customers/${c}/spaces/1/images`, {
      key,
      body: {
        '@type': 'Collection',
        member: [
          { id: 'p2', string2: 'vol-2', tags: ['x', 'x', 'y'] },
          { '@type': 'vocab:Image', id: 'p1', space: 1, family: 'I', number1: null, manifests: ['m9'] },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.member.map((m: any) => m.id)).toEqual(['p2', 'p1']);
    expect(res.json.member[0]).toMatchObject({
      string1: 'book',
      string2: 'vol-2',
      tags: ['x', 'y'],
      manifests: ['m'],
    });
    expect(res.json.member[1]).toMatchObject({ tags: ['a'], manifests: ['m9'] });
    expect(res.json.member[1].number1).toBeUndefined();
    const after = await asset(1, 'p2');
    expect(after).toMatchObject({
      ingestAttempt: before.ingestAttempt,
      ingesting: false,
      origin: before.origin,
    });
    expect(await count('asset.updated.v1')).toBe(updates + 2);
    expect(await count('asset.ingest.requested.v1')).toBe(ingests);
    const [event] = (await outboxData(gw, 'asset.updated.v1')).filter((d) => d.assetId === 'p2').slice(-1);
    expect(event.before.tags).toEqual(['a', 'b']);
    expect(event.after.tags).toEqual(['x', 'y']);
  });

  it('PATCH space images: 400 naming member[i].field for non-metadata fields, bad values, unknown or duplicate ids; 404; 403; nothing changes', async () => {
    const before = await gw.prisma.asset.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } });
    const res = await gw.call('PATCH', `/customers/${c}/spaces/1/images`, {
      key,
      body: {
        member: [
          { id: 'p1', origin: 'https://example.org/other.jpg', tags: ['ok'] },
          { id: 'p2', roles: ['r'], maxWidth: 5 },
          { id: 'nope', string1: 'x' },
          { id: 'p1', string1: 'again' },
          { string1: 'no id' },
          { id: 'p2', number2: 'NaN', width: 9, bogus: 1 },
          { id: 'a1', space: 2 },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(fields(res).sort()).toEqual(
      [
        'member[0].origin',
        'member[1].maxWidth',
        'member[1].roles',
        'member[2].id',
        'member[3].id',
        'member[4].id',
        'member[5].bogus',
        'member[5].number2',
        'member[5].width',
        'member[6].space',
      ].sort(),
    );
    expect(
      (await gw.call('PATCH', `/customers/${c}/spaces/9/images`, { key, body: { member: [{ id: 'p1' }] } }))
        .status,
    ).toBe(404);
    expect(
      (
        await gw.call('PATCH', `/customers/${c}/spaces/1/images`, {
          key: otherKey,
          body: { member: [{ id: 'p1', string1: 'x' }] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await gw.call('PATCH', `/customers/${c}/spaces/1/images`, { key, body: { member: [] } })).status,
    ).toBe(400);
    expect(await gw.prisma.asset.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } })).toEqual(
      before,
    );
  });

  it('PATCH allImages: add / remove / replace on list fields, replace on scalars; unknown members skipped', async () => {
    const ids = [{ id: `${c}/1/p1` }, { id: `${c}/1/p2` }, { id: `${c}/2/q1` }, { id: `${c}/1/gone` }];
    const add = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'tags', operation: 'add', value: ['new', 'a'], member: ids },
    });
    expect(add.status).toBe(200);
    expect(add.json.member.map((m: any) => [m.id, m.tags])).toEqual([
      ['p1', ['a', 'new']],
      ['p2', ['x', 'y', 'new', 'a']],
      ['q1', ['b', 'new', 'a']],
    ]);
    const remove = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'tags', operation: 'remove', value: ['a', 'zzz'], member: ids },
    });
    expect(remove.json.member.map((m: any) => m.tags)).toEqual([['new'], ['x', 'y', 'new'], ['b', 'new']]);
    const replace = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'manifests', operation: 'replace', value: ['M'], member: ids.slice(0, 2) },
    });
    expect(replace.json.member.map((m: any) => m.manifests)).toEqual([['M'], ['M']]);
    const scalar = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'number3', operation: 'replace', value: 42, member: ids },
    });
    expect(scalar.json.member.map((m: any) => m.number3)).toEqual([42, 42, 42]);
    const cleared = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'number3', operation: 'replace', value: null, member: ids },
    });
    expect(cleared.json.member.map((m: any) => m.number3)).toEqual([undefined, undefined, undefined]);
    const none = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'tags', operation: 'add', value: ['t'], member: [{ id: `${c}/1/gone` }] },
    });
    expect(none.status).toBe(200);
    expect(none.json.totalItems).toBe(0);
  });

  it('PATCH allImages of roles: assets gaining their first role (or losing their last) reingest; others update in place', async () => {
    const [p1, q1] = [await asset(1, 'p1'), await asset(2, 'q1')];
    const updates = await count('asset.updated.v1');
    const res = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: {
        field: 'roles',
        operation: 'add',
        value: ['r2'],
        member: [{ id: `${c}/1/p1` }, { id: `${c}/2/q1` }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.member.map((m: any) => [m.id, m.roles, m.ingesting])).toEqual([
      ['p1', [roleUri(gw, c, 'r2')], true],
      ['q1', [roleUri(gw, c, 'r1'), roleUri(gw, c, 'r2')], false],
    ]);
    expect((await asset(1, 'p1')).ingestAttempt).toBe(p1.ingestAttempt + 1);
    expect((await asset(2, 'q1')).ingestAttempt).toBe(q1.ingestAttempt);
    expect(await count('asset.updated.v1')).toBe(updates + 2);
    const [cmd] = await gw.prisma.outboxMessage.findMany({
      where: { routingKey: 'asset.ingest.requested.v1' },
      orderBy: { created: 'desc' },
      take: 1,
    });
    expect((cmd.envelope as any).data).toEqual({
      customerId: c,
      spaceId: 1,
      assetId: 'p1',
      attempt: p1.ingestAttempt + 1,
      priority: false,
    });
    expect(cmd.priority).toBe(0);
  });

  it('PATCH allImages: 400 naming field, operation, value, member[i].id; 403 for another customer; nothing changes', async () => {
    const before = await gw.prisma.asset.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } });
    const bad = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'origin', operation: 'append', member: [{ id: `${c}/1/p1` }, { id: `${c + 1}/1/p1` }] },
    });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['field', 'operation', 'value', 'member[1].id']);
    const scalarAdd = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'string1', operation: 'add', value: 'x', member: [{ id: `${c}/1/p1` }] },
    });
    expect(fields(scalarAdd)).toEqual(['operation']);
    const badValue = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'tags', operation: 'replace', value: ['ok', 7], member: [{ id: `${c}/1/p1` }] },
    });
    expect(fields(badValue)).toEqual(['value']);
    const extra = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: { field: 'tags', operation: 'replace', value: [], member: [{ id: `${c}/1/p1` }], also: 1 },
    });
    expect(fields(extra)).toEqual(['also']);
    const foreign = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key: otherKey,
      body: { field: 'tags', operation: 'replace', value: [], member: [{ id: `${c}/1/p1` }] },
    });
    expect(foreign.status).toBe(403);
    expect(await gw.prisma.asset.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } })).toEqual(
      before,
    );
  });

  it('a 500-member PATCH (space images and allImages) on a 10,000-asset database takes < 1 s', async () => {
    await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'bulk' } });
    await gw.prisma.$executeRawUnsafe(
      `INSERT INTO "assets" ("customerId", "spaceId", "id", "origin", "mediaType", "family", "deliveryChannels", "finished", "updated")
       SELECT $1::int, 3, 'n' || g, 'https://example.org/' || g, 'image/jpeg', 'I', '[{"channel":"iiif-img","policy":"default"}]'::jsonb, now(), now()
       FROM generate_series(1, 10000) g`,
      c,
    );
    const warm = { member: [{ id: 'n10000', string1: 'warm' }] };
    await gw.call('PATCH', `/customers/${c}/spaces/3/images`, { key, body: warm });
    const member = Array.from({ length: 500 }, (_, i) => ({
      id: `n${i + 1}`,
      string1: `s${i}`,
      tags: ['bulk'],
    }));
    let t0 = Date.now();
    const space = await gw.call('PATCH', `/customers/${c}/spaces/3/images`, { key, body: { member } });
    const spaceMs = Date.now() - t0;
    expect(space.status).toBe(200);
    expect(space.json.totalItems).toBe(500);
    t0 = Date.now();
    const all = await gw.call('PATCH', `/customers/${c}/allImages`, {
      key,
      body: {
        field: 'manifests',
        operation: 'add',
        value: ['big'],
        member: member.map((m) => ({ id: `${c}/3/${m.id}` })),
      },
    });
    const allMs = Date.now() - t0;
    console.log(
      `500-member PATCH on a 10,000-asset database: space images ${spaceMs} ms, allImages ${allMs} ms`,
    );
    expect(all.status).toBe(200);
    expect(all.json.member.every((m: any) => m.manifests[0] === 'big' && m.tags[0] === 'bulk')).toBe(true);
    // The SPEC target (< 1 s) is measured by scripts/bench/api.mjs on a quiet machine; here only a bound that no
    // busy machine reaches but a per-member round trip (500 × a few ms, × load) would: set-based SQL, not a loop.
    expect(spaceMs).toBeLessThan(15000);
    expect(allMs).toBeLessThan(15000);
    expect(
      await gw.prisma.asset.count({ where: { customerId: c, spaceId: 3, manifests: { has: 'big' } } }),
    ).toBe(500);
  });
});
