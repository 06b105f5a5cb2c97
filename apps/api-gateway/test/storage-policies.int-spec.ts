/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isProblem, seedCustomer, startTestGateway, type TestGateway } from './harness';

/**
 * Storage policies and quotas (SPEC.md §3.2, §3.3 "Storage", §8): public reads, admin writes, assignment to a
 * customer, 409s, and the 507 of a create beyond the quota (PUT, POST, queue), through the real gateway and Postgres.
 */
describe('storage policies (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let other: { key: string; id: number };
  let storageRoot: string;

  beforeAll(async () => {
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-gw-policies-'));
    gw = await startTestGateway({ VELLUM_STORAGE_ROOT: storageRoot });
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    const o = await gw.call('POST', '/customers', {
      key: admin,
      body: { name: 'other', displayName: 'Other' },
    });
    const k = await gw.call('POST', `/customers/${o.json.id}/keys`, { key: admin });
    other = { key: `${k.json.key}:${k.json.secret}`, id: o.json.id };
  });
  afterAll(async () => {
    await gw?.close();
    await rm(storageRoot, { recursive: true, force: true });
  });

  it('lists the seeded default policy publicly; the entry point links the collection', async () => {
    const list = await gw.call('GET', '/storagePolicies');
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 1 });
    expect(list.json.member[0]).toMatchObject({
      '@id': `${gw.base}/storagePolicies/default`,
      '@type': 'vocab:StoragePolicy',
      id: 'default',
      maximumNumberOfStoredImages: 1_000_000_000,
      maximumTotalSizeOfStoredImages: 1_000_000_000_000_000,
    });
    const one = await gw.call('GET', '/storagePolicies/default');
    expect(one.status).toBe(200);
    expect(one.json.created).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await gw.call('GET', '/')).json.storagePolicies).toBe(`${gw.base}/storagePolicies`);
    const missing = await gw.call('GET', '/storagePolicies/nope');
    expect(missing.status).toBe(404);
    expect(isProblem(missing)).toBe(true);
  });

  it('admin creates (201 + Location), a taken id → 409, every missing or bad field → 400 naming it', async () => {
    const body = { id: 'small', maximumNumberOfStoredImages: 5, maximumTotalSizeOfStoredImages: 1_000_000 };
    const created = await gw.call('POST', '/storagePolicies', { key: admin, body });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${gw.base}/storagePolicies/small`);
    expect(created.json).toMatchObject(body);
    expect((await gw.call('GET', '/storagePolicies/small')).status).toBe(200);
    const again = await gw.call('POST', '/storagePolicies', { key: admin, body });
    expect(again.status).toBe(409);
    expect(isProblem(again)).toBe(true);

    const missing = await gw.call('POST', '/storagePolicies', { key: admin, body: { id: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.json.errors.map((e: any) => e.field).sort()).toEqual([
      'maximumNumberOfStoredImages',
      'maximumTotalSizeOfStoredImages',
    ]);
    const bad = await gw.call('POST', '/storagePolicies', {
      key: admin,
      body: {
        id: 'bad id',
        maximumNumberOfStoredImages: -1,
        maximumTotalSizeOfStoredImages: 1.5,
        colour: 'red',
      },
    });
    expect(bad.status).toBe(400);
    expect(new Set(bad.json.errors.map((e: any) => e.field))).toEqual(
      new Set(['id', 'maximumNumberOfStoredImages', 'maximumTotalSizeOfStoredImages', 'colour']),
    );
  });

  it('PUT creates (201) or changes only the limits supplied (200); a body id not matching the URL → 400', async () => {
    const created = await gw.call('PUT', '/storagePolicies/tiny', {
      key: admin,
      body: { maximumNumberOfStoredImages: 1, maximumTotalSizeOfStoredImages: 10 },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${gw.base}/storagePolicies/tiny`);
    const changed = await gw.call('PUT', '/storagePolicies/tiny', {
      key: admin,
      body: { maximumTotalSizeOfStoredImages: 20 },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      maximumNumberOfStoredImages: 1,
      maximumTotalSizeOfStoredImages: 20,
    });
    const cleared = await gw.call('PUT', '/storagePolicies/tiny', {
      key: admin,
      body: { maximumNumberOfStoredImages: null },
    });
    expect(cleared.status).toBe(400);
    expect(cleared.json.errors[0].field).toBe('maximumNumberOfStoredImages');
    const mismatch = await gw.call('PUT', '/storagePolicies/tiny', { key: admin, body: { id: 'other' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.errors[0].field).toBe('id');
    const incomplete = await gw.call('PUT', '/storagePolicies/new-one', {
      key: admin,
      body: { maximumNumberOfStoredImages: 3 },
    });
    expect(incomplete.status).toBe(400);
    expect(incomplete.json.errors.map((e: any) => e.field)).toEqual(['maximumTotalSizeOfStoredImages']);
    expect((await gw.call('GET', '/storagePolicies/new-one')).status).toBe(404);
  });

  it('refuses customer keys (403) and anonymous callers (401) on every admin route, and changes nothing', async () => {
    const body = { id: 'sneaky', maximumNumberOfStoredImages: 1, maximumTotalSizeOfStoredImages: 1 };
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/storagePolicies', body],
      ['PUT', '/storagePolicies/small', { maximumNumberOfStoredImages: 999 }],
      ['DELETE', '/storagePolicies/tiny', undefined],
      ['PUT', `/customers/${c}/storagePolicy`, { storagePolicy: 'tiny' }],
    ];
    for (const [method, p, b] of routes) {
      expect((await gw.call(method, p, { key, body: b })).status).toBe(403);
      expect((await gw.call(method, p, { body: b })).status).toBe(401);
    }
    expect((await gw.call('GET', '/storagePolicies/sneaky')).status).toBe(404);
    expect((await gw.call('GET', '/storagePolicies/small')).json.maximumNumberOfStoredImages).toBe(5);
    expect((await gw.call('GET', '/storagePolicies/tiny')).status).toBe(200);
    expect((await gw.call('GET', `/customers/${c}/storage`, { key })).json.storagePolicy).toBe(
      `${gw.base}/storagePolicies/default`,
    );
  });

  it('PUT C/storagePolicy assigns a policy by @id or id; an unknown one → 400, an unknown customer → 404', async () => {
    const byUrl = await gw.call('PUT', `/customers/${c}/storagePolicy`, {
      key: admin,
      body: { storagePolicy: `${gw.base}/storagePolicies/small` },
    });
    expect(byUrl.status).toBe(200);
    expect(byUrl.json).toMatchObject({
      '@id': `${gw.base}/customers/${c}/storage`,
      '@type': 'vocab:CustomerStorage',
      storagePolicy: `${gw.base}/storagePolicies/small`,
    });
    const storage = await gw.call('GET', `/customers/${c}/storage`, { key });
    expect(storage.json.storagePolicy).toBe(`${gw.base}/storagePolicies/small`);
    expect((await gw.call('GET', storage.json.storagePolicy.replace(gw.base, ''))).status).toBe(200);

    const unknown = await gw.call('PUT', `/customers/${c}/storagePolicy`, {
      key: admin,
      body: { storagePolicy: 'nope' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors[0].field).toBe('storagePolicy');
    const missingField = await gw.call('PUT', `/customers/${c}/storagePolicy`, { key: admin, body: {} });
    expect(missingField.status).toBe(400);
    expect(missingField.json.errors[0].field).toBe('storagePolicy');
    expect(
      (
        await gw.call('PUT', '/customers/9999/storagePolicy', {
          key: admin,
          body: { storagePolicy: 'small' },
        })
      ).status,
    ).toBe(404);
  });

  it('DELETE: in use → 409, default → 409, unknown → 404, unused → 204', async () => {
    const inUse = await gw.call('DELETE', '/storagePolicies/small', { key: admin });
    expect(inUse.status).toBe(409);
    expect(inUse.json.detail).toMatch(/used by 1 customer/);
    expect((await gw.call('DELETE', '/storagePolicies/default', { key: admin })).status).toBe(409);
    expect((await gw.call('DELETE', '/storagePolicies/nope', { key: admin })).status).toBe(404);
    const unused = await gw.call('PUT', '/storagePolicies/unused', {
      key: admin,
      body: { maximumNumberOfStoredImages: 1, maximumTotalSizeOfStoredImages: 1 },
    });
    expect(unused.status).toBe(201);
    expect((await gw.call('DELETE', '/storagePolicies/unused', { key: admin })).status).toBe(204);
    expect((await gw.call('GET', '/storagePolicies/unused')).status).toBe(404);
  });

  describe('quota on create → 507', () => {
    const assetCount = () => gw.prisma.asset.count({ where: { customerId: c } });

    it('refuses a new asset (PUT, POST, queue) beyond maximumNumberOfStoredImages, not a replace', async () => {
      // acme holds a1 (still ingesting: it counts). A policy of 1 image leaves no room.
      await gw.call('PUT', '/storagePolicies/one', {
        key: admin,
        body: { maximumNumberOfStoredImages: 1, maximumTotalSizeOfStoredImages: 1_000_000_000 },
      });
      await gw.call('PUT', `/customers/${c}/storagePolicy`, { key: admin, body: { storagePolicy: 'one' } });
      const before = await assetCount();
      const asset = { origin: 'https://example.org/q.jpg', mediaType: 'image/jpeg' };
      const put = await gw.call('PUT', `/customers/${c}/spaces/1/images/q1`, { key, body: asset });
      expect(put.status).toBe(507);
      expect(isProblem(put)).toBe(true);
      expect(put.json.type).toMatch(/storage-quota-exceeded/);
      expect(put.json.detail).toMatch(
        /"one" allows 1 stored images; the customer holds 1 and this request adds 1/,
      );
      const post = await gw.call('POST', `/customers/${c}/spaces/1/images`, { key, body: asset });
      expect(post.status).toBe(507);
      const queued = await gw.call('POST', `/customers/${c}/queue`, {
        key,
        body: { '@type': 'Collection', member: [{ ...asset, id: 'q2', space: 1 }] },
      });
      expect(queued.status).toBe(507);
      expect(await assetCount()).toBe(before);

      // Replacing the existing asset adds none: accepted, by PUT and by the queue.
      const replace = await gw.call('PUT', `/customers/${c}/spaces/1/images/a1`, { key, body: asset });
      expect([200, 202]).toContain(replace.status);
      const requeued = await gw.call('POST', `/customers/${c}/queue`, {
        key,
        body: { '@type': 'Collection', member: [{ ...asset, id: 'a1', space: 1 }] },
      });
      expect(requeued.status).toBe(201);
      expect(await assetCount()).toBe(before);

      // Another customer is not held to acme's policy.
      await gw.call('POST', `/customers/${other.id}/spaces`, { key: other.key, body: { name: 's' } });
      const theirs = await gw.call('PUT', `/customers/${other.id}/spaces/1/images/q1`, {
        key: other.key,
        body: asset,
      });
      expect([201, 202]).toContain(theirs.status);
    });

    it('refuses a new asset once the stored bytes reach maximumTotalSizeOfStoredImages', async () => {
      await gw.call('PUT', '/storagePolicies/bytes', {
        key: admin,
        body: { maximumNumberOfStoredImages: 1000, maximumTotalSizeOfStoredImages: 5000 },
      });
      await gw.call('PUT', `/customers/${c}/storagePolicy`, { key: admin, body: { storagePolicy: 'bytes' } });
      const asset = { origin: 'https://example.org/b.jpg', mediaType: 'image/jpeg' };
      // Below the limit: accepted.
      const ok = await gw.call('PUT', `/customers/${c}/spaces/1/images/b1`, { key, body: asset });
      expect([201, 202]).toContain(ok.status);
      // The totals reach it (as the finaliser's deltas would leave them).
      await gw.prisma.storageUsage.create({
        data: { customerId: c, spaceId: 0, numberOfStoredImages: 1, totalSizeOfStoredImages: 5000 },
      });
      const full = await gw.call('PUT', `/customers/${c}/spaces/1/images/b2`, { key, body: asset });
      expect(full.status).toBe(507);
      expect(full.json.detail).toMatch(/allows 5000 bytes of stored images and the customer holds 5000/);
    });
  });
});
