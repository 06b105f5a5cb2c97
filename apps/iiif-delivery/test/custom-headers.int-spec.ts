import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { CustomerCustomHeadersChangedV1, DEFAULT_THUMBNAIL_SIZES } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { thumbnailSizesFor } from '@vellum/iiif';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import {
  bucketsFromEnv,
  createObjectStore,
  type ObjectStore,
  pyramidKey,
  thumbnailKey,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  type TestDatabase,
  type TestVhost,
  waitFor,
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../src/main';

jest.setTimeout(120_000);

/**
 * Custom headers on image responses (SPEC.md §3.3 "Custom headers", §5) through the real iiif-delivery, Postgres,
 * RabbitMQ and a filesystem object store holding a real pyramid and real thumbnails of `tiff-lzw.tif`: the
 * precedence customer-wide → space → role → space+role on info.json, tiles and thumbnails, delivery-owned headers
 * never overridden, and `customer.custom-headers.changed.v1` making a change visible despite the lookup cache.
 */
const STAFF = 'https://api.example.org/customers/1/roles/staff';
const READERS = 'https://api.example.org/customers/1/roles/readers';
let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let app: INestApplication;
let storageRoot: string;
let cacheDir: string;
let baseUrl: string;
let customerId: number;
let otherId: number;

async function get(p: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${baseUrl}${p}`, { headers, redirect: 'manual' });
  await res.arrayBuffer();
  return res;
}

/** Every image response of an asset of `c` in `space`: v3 and v2 info.json, a tile, thumbs info.json and a thumb. */
function imagePaths(c: number, space: number, id: string): string[] {
  return [
    `/iiif-img/${c}/${space}/${id}/info.json`,
    `/iiif-img/v2/${c}/${space}/${id}/info.json`,
    `/iiif-img/${c}/${space}/${id}/0,0,512,512/512,/0/default.jpg`,
    `/iiif-img/${c}/${space}/${id}/full/!100,100/0/default.png`,
    `/thumbs/${c}/${space}/${id}/info.json`,
    `/thumbs/${c}/${space}/${id}/full/!200,200/0/default.jpg`,
  ];
}

/** The custom (`x-…`) headers of a response (not the correlation id every response carries). */
function xHeaders(res: Response): Record<string, string> {
  return Object.fromEntries(
    [...res.headers.entries()].filter(([k]) => k.startsWith('x-') && k !== 'x-correlation-id'),
  );
}

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-headers-store-'));
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-headers-cache-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: 'https://images.example.org',
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    // Long enough that only the event can make a change visible within the test.
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `headers-test-${vhost.id}`,
  });
  const buckets = bucketsFromEnv(env);
  store = createObjectStore({ driver: 'fs', root: storageRoot });
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  prisma = createPrismaClient(db.url);

  customerId = (await prisma.customer.create({ data: { name: 'headers-test', displayName: 'Headers' } })).id;
  otherId = (await prisma.customer.create({ data: { name: 'no-headers', displayName: 'None' } })).id;
  const source = fixturePath('tiff-lzw.tif');
  const { width: W, height: H } = await sharp(source).metadata();
  const pyramid = await sharp(source)
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
    .toBuffer();
  const sizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, W!, H!);
  const thumbs = await Promise.all(
    sizes.map((s) =>
      sharp(source).resize(s.width, s.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer(),
    ),
  );
  const assets: Array<{ c: number; space: number; id: string; roles: string[] }> = [
    { c: customerId, space: 5, id: 'open', roles: [] },
    { c: customerId, space: 5, id: 'staff', roles: [STAFF, READERS] },
    { c: customerId, space: 6, id: 'staff-elsewhere', roles: [STAFF] },
    { c: customerId, space: 6, id: 'readers', roles: [READERS, STAFF] },
    { c: otherId, space: 5, id: 'open', roles: [] },
  ];
  for (const c of [customerId, otherId])
    await prisma.space.createMany({ data: [5, 6].map((id) => ({ customerId: c, id, name: `s${id}` })) });
  for (const a of assets) {
    const ref = { customerId: a.c, spaceId: a.space, assetId: a.id };
    await store.put(buckets.derivatives, pyramidKey(ref), pyramid);
    const keys: Record<string, string> = {};
    for (const [i, s] of sizes.entries()) {
      keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
      await store.put(buckets.thumbnails, keys[`${s.width},${s.height}`], thumbs[i]);
    }
    await prisma.asset.create({
      data: {
        customerId: a.c,
        spaceId: a.space,
        id: a.id,
        mediaType: 'image/tiff',
        width: W,
        height: H,
        roles: a.roles,
        // Open up to beyond the full size: every request is served (IIIF Auth is not part of this test), yet the
        // responses of assets with roles are cached privately.
        openMaxWidth: 2000,
        finished: new Date('2024-05-01T10:00:00Z'),
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
        ],
        derivatives: {
          pyramid: { bucket: buckets.derivatives, key: pyramidKey(ref), size: pyramid.length, tileSize: 512 },
          thumbnails: {
            bucket: buckets.thumbnails,
            open: sizes.map((s) => [s.width, s.height]),
            auth: [],
            keys,
            size: 1,
          },
        },
      },
    });
  }
  // Written as the management API writes them (it refuses the last rule; delivery must skip it all the same).
  await prisma.customHeader.createMany({
    data: [
      { customerId, key: 'X-Tier', value: 'customer-wide' },
      { customerId, key: 'X-Customer', value: 'yes' },
      { customerId, key: 'Cache-Control', value: 'public, max-age=5' },
      { customerId, key: 'x-tier', value: 'space 5', space: 5 },
      { customerId, key: 'X-Space', value: 'five', space: 5 },
      { customerId, key: 'X-Space', value: 'six', space: 6 },
      { customerId, key: 'X-Tier', value: 'role staff', role: STAFF },
      { customerId, key: 'X-Role', value: 'staff', role: STAFF },
      { customerId, key: 'X-Role', value: 'readers', role: READERS },
      { customerId, key: 'X-Tier', value: 'space 5 + staff', space: 5, role: STAFF },
      { customerId, key: 'Cache-Control', value: 'private, max-age=30', space: 5, role: STAFF },
      { customerId, key: 'Content-Type', value: 'text/html' },
    ],
  });

  app = await bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    transport: createTransport({
      serviceName: SERVICE_NAME,
      amqpUrl: vhost.url,
      exchange: vhost.exchange,
      retryDelaysMs: [],
    }),
    configure: configureDeliveryApp,
    clientErrorHeaders: DELIVERY_CLIENT_ERROR_HEADERS,
  });
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(storageRoot, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

describe('custom headers on image responses (SPEC.md §5)', () => {
  it.each([
    [
      'no roles, space 5: the space rule beats the customer rule',
      5,
      'open',
      { 'x-tier': 'space 5', 'x-space': 'five' },
    ],
    [
      'staff in space 5: space+role beats role beats space; the first role wins among roles',
      5,
      'staff',
      { 'x-tier': 'space 5 + staff', 'x-space': 'five', 'x-role': 'staff' },
    ],
    [
      'staff in space 6: the role rule beats the customer rule',
      6,
      'staff-elsewhere',
      { 'x-tier': 'role staff', 'x-space': 'six', 'x-role': 'staff' },
    ],
    [
      'readers first in space 6',
      6,
      'readers',
      { 'x-tier': 'role staff', 'x-space': 'six', 'x-role': 'readers' },
    ],
  ])('%s', async (_what, space, id, expected) => {
    for (const p of imagePaths(customerId, space, id)) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      expect({ p, headers: xHeaders(res) }).toEqual({ p, headers: { 'x-customer': 'yes', ...expected } });
      // Delivery-owned headers are never overridden, whatever the table holds.
      expect(res.headers.get('content-type')).not.toBe('text/html');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it("a customer Cache-Control overrides delivery's, but never makes a restricted image publicly cacheable", async () => {
    const [info, , tile, , thumbsInfo, thumb] = await Promise.all(
      imagePaths(customerId, 5, 'open').map((p) => get(p)),
    );
    for (const res of [info, tile, thumbsInfo, thumb])
      expect(res.headers.get('cache-control')).toBe('public, max-age=5');
    // staff in space 5 has its own private rule; staff in space 6 would inherit "public": delivery keeps private.
    const staff = await get(imagePaths(customerId, 5, 'staff')[2]);
    expect(staff.headers.get('cache-control')).toBe('private, max-age=30');
    const elsewhere = await get(imagePaths(customerId, 6, 'staff-elsewhere')[2]);
    expect(elsewhere.headers.get('cache-control')).toBe('private, max-age=3600');
    // The thumbs channel is always open (SPEC.md §6): the customer's rule applies there.
    const openThumb = await get(imagePaths(customerId, 6, 'staff-elsewhere')[5]);
    expect(openThumb.headers.get('cache-control')).toBe('public, max-age=5');
  });

  it('304 answers carry them too; errors and other customers do not', async () => {
    const p = imagePaths(customerId, 5, 'open')[0];
    const first = await get(p);
    const again = await get(p, { 'If-None-Match': first.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(xHeaders(again)).toEqual(xHeaders(first));
    const missing = await get(`/iiif-img/${customerId}/5/nope/info.json`);
    expect(missing.status).toBe(404);
    expect(xHeaders(missing)).toEqual({});
    for (const q of imagePaths(otherId, 5, 'open')) {
      const res = await get(q);
      expect({ q, status: res.status, x: xHeaders(res) }).toEqual({ q, status: 200, x: {} });
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=(86400|31536000)$/);
    }
  });

  it('customer.custom-headers.changed.v1 makes a change visible on the cached assets of that customer', async () => {
    const info = imagePaths(customerId, 5, 'open')[0];
    const tile = imagePaths(customerId, 5, 'open')[2];
    expect((await get(info)).headers.get('x-space')).toBe('five');
    await prisma.customHeader.updateMany({
      where: { customerId, key: 'X-Space', space: 5 },
      data: { value: 'five, again' },
    });
    await prisma.customHeader.create({ data: { customerId, key: 'X-New', value: 'added' } });
    await prisma.customHeader.create({ data: { customerId: otherId, key: 'X-Other', value: 'theirs' } });
    // The lookups are cached (10 minutes here): nothing changes until the event.
    expect((await get(info)).headers.get('x-space')).toBe('five');
    const event = Object.assign(new CustomerCustomHeadersChangedV1(), { customerId });
    await app.get(MessagePublisher).publish(event);
    await waitFor(async () => (await get(info)).headers.get('x-space') === 'five, again', {
      timeoutMs: 10_000,
      description: 'the changed header after customer.custom-headers.changed.v1',
    });
    const res = await get(tile);
    expect(xHeaders(res)).toMatchObject({ 'x-space': 'five, again', 'x-new': 'added' });
    // Another customer's cached lookups were left alone (its header shows only after its own event).
    expect(xHeaders(await get(imagePaths(otherId, 5, 'open')[0]))).toEqual({});
    await prisma.customHeader.deleteMany({ where: { customerId } });
    await app.get(MessagePublisher).publish(event);
    await waitFor(async () => Object.keys(xHeaders(await get(tile))).length === 0, {
      timeoutMs: 10_000,
      description: 'no custom headers after they were all deleted',
    });
    expect((await get(tile)).headers.get('cache-control')).toBe('public, max-age=31536000');
  });
});
