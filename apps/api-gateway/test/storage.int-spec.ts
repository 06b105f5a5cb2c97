/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isProblem, seedCustomer, startTestGateway, type TestGateway } from './harness';

/**
 * The storage routes (SPEC.md §3.3 "Storage", §8) over real Postgres: `GET C/storage`, `C/spaces/{s}/storage`,
 * `C/spaces/{s}/images/{id}/storage`. Absent rows render as zeros; the rows are written here as the
 * orchestrator's finaliser writes them (asset_storage + storage_usage deltas for the space and the customer);
 * the end-to-end suite checks the same routes after real ingests.
 */
describe('storage (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  let storageRoot: string;

  beforeAll(async () => {
    storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-gw-storage-'));
    gw = await startTestGateway({ VELLUM_STORAGE_ROOT: storageRoot });
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'second' } });
    const o = await gw.call('POST', '/customers', {
      key: admin,
      body: { name: 'other', displayName: 'Other' },
    });
    const k = await gw.call('POST', `/customers/${o.json.id}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
    await rm(storageRoot, { recursive: true, force: true });
  });

  /** What the finaliser does on a first successful ingest: the asset's record, then the deltas. */
  async function recordStored(spaceId: number, assetId: string, size: number, thumbnailSize: number) {
    await gw.prisma.assetStorage.create({ data: { customerId: c, spaceId, assetId, size, thumbnailSize } });
    for (const s of [spaceId, 0]) {
      await gw.prisma.storageUsage.upsert({
        where: { customerId_spaceId: { customerId: c, spaceId: s } },
        create: {
          customerId: c,
          spaceId: s,
          numberOfStoredImages: 1,
          totalSizeOfStoredImages: size,
          totalSizeOfThumbnails: thumbnailSize,
        },
        update: {
          numberOfStoredImages: { increment: 1 },
          totalSizeOfStoredImages: { increment: size },
          totalSizeOfThumbnails: { increment: thumbnailSize },
          lastCalculated: new Date(),
        },
      });
    }
  }

  it('renders zeros and the default policy link before anything is stored; the link resolves', async () => {
    const customer = await gw.call('GET', `/customers/${c}/storage`, { key });
    expect(customer.status).toBe(200);
    expect(customer.json).toEqual({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': `${gw.base}/customers/${c}/storage`,
      '@type': 'vocab:CustomerStorage',
      numberOfStoredImages: 0,
      totalSizeOfStoredImages: 0,
      totalSizeOfThumbnails: 0,
      storagePolicy: `${gw.base}/storagePolicies/default`,
    });
    expect((await fetch(customer.json.storagePolicy)).status).toBe(200);
    const space = await gw.call('GET', `/customers/${c}/spaces/1/storage`, { key });
    expect(space.json).toMatchObject({
      '@id': `${gw.base}/customers/${c}/spaces/1/storage`,
      '@type': 'vocab:CustomerStorage',
      space: 1,
      numberOfStoredImages: 0,
      totalSizeOfStoredImages: 0,
      totalSizeOfThumbnails: 0,
    });
    const asset = await gw.call('GET', `/customers/${c}/spaces/1/images/a1/storage`, { key });
    expect(asset.status).toBe(200);
    expect(asset.json).toEqual({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': `${gw.base}/customers/${c}/spaces/1/images/a1/storage`,
      '@type': 'vocab:ImageStorage',
      size: 0,
      thumbnailSize: 0,
    });
  });

  it('renders the records; the customer totals are the sum of the asset records, the space totals of its own', async () => {
    const before = Date.now();
    for (const [s, id] of [
      [1, 'a2'],
      [1, 'a3'],
      [2, 'b1'],
    ] as const) {
      const put = await gw.call('PUT', `/customers/${c}/spaces/${s}/images/${id}`, {
        key,
        body: { origin: `https://example.org/${id}.jpg`, mediaType: 'image/jpeg' },
      });
      expect([201, 202]).toContain(put.status);
    }
    await recordStored(1, 'a1', 5_000_000_000, 120_000); // bigint columns: beyond 2^32
    await recordStored(1, 'a2', 2_000_000, 30_000);
    await recordStored(2, 'b1', 700_000, 9_000);

    const asset = await gw.call('GET', `/customers/${c}/spaces/1/images/a1/storage`, { key });
    expect(asset.json).toMatchObject({ size: 5_000_000_000, thumbnailSize: 120_000 });
    expect(Date.parse(asset.json.checked)).toBeGreaterThanOrEqual(before - 1000);
    // An asset not stored yet (still ingesting): zeros, no `checked`.
    const a3 = await gw.call('GET', `/customers/${c}/spaces/1/images/a3/storage`, { key });
    expect(a3.json).toMatchObject({ size: 0, thumbnailSize: 0 });
    expect(a3.json.checked).toBeUndefined();

    const ids: Array<[number, string]> = [
      [1, 'a1'],
      [1, 'a2'],
      [1, 'a3'],
      [2, 'b1'],
    ];
    const records = await Promise.all(
      ids.map(
        async ([s, id]) =>
          (await gw.call('GET', `/customers/${c}/spaces/${s}/images/${id}/storage`, { key })).json,
      ),
    );
    const sum = (list: any[]) => ({
      numberOfStoredImages: list.filter((r) => r.checked).length,
      totalSizeOfStoredImages: list.reduce((n, r) => n + r.size, 0),
      totalSizeOfThumbnails: list.reduce((n, r) => n + r.thumbnailSize, 0),
    });
    const customer = await gw.call('GET', `/customers/${c}/storage`, { key });
    expect(customer.json).toMatchObject(sum(records));
    expect(Date.parse(customer.json.lastCalculated)).toBeGreaterThanOrEqual(before - 1000);
    const space1 = await gw.call('GET', `/customers/${c}/spaces/1/storage`, { key });
    expect(space1.json).toMatchObject({ space: 1, ...sum(records.slice(0, 3)) });
    const space2 = await gw.call('GET', `/customers/${c}/spaces/2/storage`, { key });
    expect(space2.json).toMatchObject({ space: 2, ...sum(records.slice(3)) });
  });

  it('404 for an unknown space or asset; another customer is refused (403), no key is 401', async () => {
    for (const p of [
      `/customers/${c}/spaces/99/storage`,
      `/customers/${c}/spaces/x/storage`,
      `/customers/${c}/spaces/1/images/nope/storage`,
      `/customers/${c}/spaces/99/images/a1/storage`,
    ]) {
      const res = await gw.call('GET', p, { key });
      expect(res.status).toBe(404);
      expect(isProblem(res)).toBe(true);
    }
    for (const p of [
      `/customers/${c}/storage`,
      `/customers/${c}/spaces/1/storage`,
      `/customers/${c}/spaces/1/images/a1/storage`,
    ]) {
      const res = await gw.call('GET', p, { key: otherKey });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('5000000000');
      expect((await gw.call('GET', p)).status).toBe(401);
      // The admin may read any customer's.
      expect((await gw.call('GET', p, { key: admin })).status).toBe(200);
    }
  });

  it('documents the routes and their resources in OpenAPI', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    expect(
      doc.paths['/customers/{customer}/storage'].get.responses['200'].content['application/json'].schema,
    ).toEqual({
      $ref: '#/components/schemas/CustomerStorage',
    });
    expect(doc.components.schemas.ImageStorage.properties).toHaveProperty('thumbnailSize');
    expect(doc.components.schemas.StoragePolicy.properties).toHaveProperty('maximumTotalSizeOfStoredImages');
    expect(doc.paths['/storagePolicies/{id}'].delete.responses).toHaveProperty('204');
  });
});
