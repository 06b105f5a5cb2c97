/**
 * The management API end to end (issue 6, SPEC.md §3.3, §8): the six running services with real PostgreSQL,
 * RabbitMQ and an S3-protocol server, and real fixture images from an HTTP origin on 127.0.0.1. Registers assets,
 * patches one (metadata only: no reingest), bulk-edits them, reingests one, deletes one and then the rest in bulk,
 * and checks that the object store holds nothing of a deleted asset, that delivery stops serving it, and that the
 * storage totals return to what they were before.
 */
import { Client as MinioClient } from 'minio';
import { waitFor } from '@vellum/testing';
import { startRig, type Json, type Rig } from '../src/rig';

describe('management API, end to end', () => {
  let rig: Rig;
  let customer: number;
  const space = 1;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });
  const api = (method: string, p: string, body?: unknown) => rig.api(method, p, body);

  /** Every object key in every bucket of the store that mentions `customer/space/id`. */
  async function objectsOf(id: string): Promise<string[]> {
    const client = new MinioClient({
      endPoint: '127.0.0.1',
      port: Number(new URL(rig.s3.env.S3_ENDPOINT).port),
      useSSL: false,
      accessKey: rig.s3.env.S3_ACCESS_KEY,
      secretKey: rig.s3.env.S3_SECRET_KEY,
      region: rig.s3.env.S3_REGION ?? 'us-east-1',
    });
    const found: string[] = [];
    for (const bucket of await client.listBuckets()) {
      const stream = client.listObjectsV2(bucket.name, '', true);
      for await (const o of stream as AsyncIterable<{ name?: string }>) {
        if (o.name?.startsWith(`${customer}/${space}/${id}/`)) found.push(`${bucket.name}/${o.name}`);
      }
    }
    return found;
  }

  const images = () => `/customers/${customer}/spaces/${space}/images`;
  const storage = async () => {
    const c = (await api('GET', `/customers/${customer}/storage`)).body;
    const s = (await api('GET', `/customers/${customer}/spaces/${space}/storage`)).body;
    const pick = (x: Json) => ({
      numberOfStoredImages: x.numberOfStoredImages,
      totalSizeOfStoredImages: x.totalSizeOfStoredImages,
      totalSizeOfThumbnails: x.totalSizeOfThumbnails,
    });
    return { customer: pick(c), space: pick(s) };
  };

  beforeAll(async () => {
    rig = await startRig('management');
    const c = await api('POST', '/customers', { name: 'management', displayName: 'Management' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await api('POST', `/customers/${customer}/spaces`, { name: 'books' })).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  const FILES = ['exif-orientation-6.jpg', 'png-alpha.png', 'tiff-lzw.tif'];
  let before: Awaited<ReturnType<typeof storage>>;

  it('registers real images and accounts for their storage', async () => {
    before = await storage();
    expect(before.customer.numberOfStoredImages).toBe(0);
    for (const [i, file] of FILES.entries()) {
      const r = await api('PUT', `${images()}/m${i}`, {
        origin: `${rig.originUrl}/${file}`,
        mediaType: file.endsWith('.png') ? 'image/png' : file.endsWith('.tif') ? 'image/tiff' : 'image/jpeg',
        string1: 'book-1',
        number1: i,
        manifests: ['m-book-1'],
      });
      expect([file, r.status, r.body.ingesting, r.body.error ?? '']).toEqual([file, 201, false, '']);
    }
    const after = await storage();
    expect(after.customer.numberOfStoredImages).toBe(3);
    expect(after.space).toEqual(after.customer);
    expect((await objectsOf('m0')).length).toBeGreaterThan(0);
  });

  it('patches metadata without a reingest, and PUT keeps the fields it omits', async () => {
    const was = (await api('GET', `${images()}/m0`)).body;
    const patched = await api('PATCH', `${images()}/m0`, { string2: 'chapter-1', tags: ['cover'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      string1: 'book-1',
      string2: 'chapter-1',
      tags: ['cover'],
      ingesting: false,
    });
    expect(patched.body.finished).toBe(was.finished); // not reprocessed
    const put = await api('PUT', `${images()}/m0`, {
      origin: was.origin,
      mediaType: was.mediaType,
      number2: 7,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ manifests: ['m-book-1'], string2: 'chapter-1', number2: 7 });
  });

  it('bulk-edits across the customer (PATCH allImages) and lists by the edited field', async () => {
    const member = FILES.map((_, i) => ({ id: `${customer}/${space}/m${i}` }));
    const r = await api('PATCH', `/customers/${customer}/allImages`, {
      field: 'tags',
      operation: 'add',
      value: ['bulk'],
      member,
    });
    expect(r.status).toBe(200);
    expect(r.body.member.every((a: Json) => a.tags.includes('bulk'))).toBe(true);
    const listed = await api('GET', `/customers/${customer}/allImages?tags=bulk`);
    expect(listed.body.totalItems).toBe(3);
  });

  it('reingests an asset and keeps the storage totals exact', async () => {
    const totals = await storage();
    const r = await api('POST', `${images()}/m1/reingest`);
    expect([200, 202]).toContain(r.status);
    await waitFor(async () => !(await api('GET', `${images()}/m1`)).body.ingesting, {
      timeoutMs: 60_000,
      description: 'the reingest to finish',
    });
    expect(await storage()).toEqual(totals);
  });

  it('deletes one asset: its objects, its delivery and its storage go', async () => {
    const info = `${rig.platform.deliveryUrl}/iiif-img/${customer}/${space}/m0/info.json`;
    expect((await fetch(info)).status).toBe(200);
    expect((await api('DELETE', `${images()}/m0`)).status).toBe(204);
    expect((await api('GET', `${images()}/m0`)).status).toBe(404);
    await waitFor(async () => (await objectsOf('m0')).length === 0, {
      timeoutMs: 60_000,
      description: "the deleted asset's objects to be purged",
    });
    await waitFor(async () => (await fetch(info)).status === 404, {
      timeoutMs: 30_000,
      description: 'delivery to stop serving the deleted asset',
    });
    expect((await storage()).customer.numberOfStoredImages).toBe(2);
  });

  it('deletes the rest in bulk: the store holds nothing of them and the totals are back where they were', async () => {
    const r = await api('POST', `/customers/${customer}/deleteImages`, {
      '@type': 'Collection',
      member: [1, 2].map((i) => ({ id: `${customer}/${space}/m${i}` })),
    });
    expect(r.status).toBe(200);
    for (const id of ['m1', 'm2']) {
      expect((await api('GET', `${images()}/${id}`)).status).toBe(404);
      await waitFor(async () => (await objectsOf(id)).length === 0, {
        timeoutMs: 60_000,
        description: `${id}'s objects to be purged`,
      });
    }
    expect(await storage()).toEqual(before);
  });
});
