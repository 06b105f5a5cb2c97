/**
 * The management API end to end (issue 6, SPEC.md §3.3, §8): the six running services with real PostgreSQL,
 * RabbitMQ and an S3-protocol server, and real fixture images from an HTTP origin on 127.0.0.1. Registers assets,
 * patches one (metadata only: no reingest), bulk-edits them, reingests one, deletes one and then the rest in bulk,
 * and checks that the object store holds nothing of a deleted asset, that delivery stops serving it, and that the
 * storage totals return to what they were before.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client as MinioClient } from 'minio';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  waitFor,
  type S3TestServer,
} from '@vellum/testing';
import { SERVICE_NAMES, type ServiceName, startPlatform, type Platform, tailLog } from '../src/platform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ADMIN = { key: 'e2e-admin', secret: 'e2e-admin-secret-0123456789' };

describe('management API, end to end', () => {
  let platform: Platform;
  let s3: S3TestServer;
  let cleanups: Array<() => Promise<unknown>> = [];
  let origin: http.Server;
  let originUrl: string;
  let customer: number;
  const space = 1;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  const auth = { authorization: `Basic ${Buffer.from(`${ADMIN.key}:${ADMIN.secret}`).toString('base64')}` };
  async function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${platform.apiUrl}${p}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Every object key in every bucket of the store that mentions `customer/space/id`. */
  async function objectsOf(id: string): Promise<string[]> {
    const client = new MinioClient({
      endPoint: '127.0.0.1',
      port: Number(new URL(s3.env.S3_ENDPOINT).port),
      useSSL: false,
      accessKey: s3.env.S3_ACCESS_KEY,
      secretKey: s3.env.S3_SECRET_KEY,
      region: s3.env.S3_REGION ?? 'us-east-1',
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
    const [db, vhost, store] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
    s3 = store;
    cleanups = [() => db.drop(), () => vhost.drop(), () => s3.stop()];
    origin = http.createServer((req, res) => {
      const file = fixturePath(path.basename(new URL(req.url ?? '/', 'http://x').pathname));
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = await freePort();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-e2e-management-'));
    cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
    platform = await startPlatform(
      {
        ...s3.env,
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        VELLUM_DELIVERY_PORT: String(ports['iiif-delivery']),
        VELLUM_ADMIN_KEY: ADMIN.key,
        VELLUM_ADMIN_SECRET: ADMIN.secret,
        VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
        VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'delivery-cache'),
        VELLUM_TMP_DIR: tmp,
        VELLUM_IMMEDIATE_TIMEOUT_MS: '60000',
      },
      ports,
    );
    const c = await api('POST', '/customers', { name: 'management', displayName: 'Management' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await api('POST', `/customers/${customer}/spaces`, { name: 'books' })).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    if (platform) {
      if (failed)
        for (const s of Object.values(platform.services)) console.log(`--- ${s.name}\n${tailLog(s, 15)}`);
      await platform.stop();
    }
    if (origin) await new Promise((r) => origin.close(r));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }, 60_000);

  const FILES = ['exif-orientation-6.jpg', 'png-alpha.png', 'tiff-lzw.tif'];
  let before: Awaited<ReturnType<typeof storage>>;

  it('registers real images and accounts for their storage', async () => {
    before = await storage();
    expect(before.customer.numberOfStoredImages).toBe(0);
    for (const [i, file] of FILES.entries()) {
      const r = await api('PUT', `${images()}/m${i}`, {
        origin: `${originUrl}/${file}`,
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
    const info = `${platform.deliveryUrl}/iiif-img/${customer}/${space}/m0/info.json`;
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
