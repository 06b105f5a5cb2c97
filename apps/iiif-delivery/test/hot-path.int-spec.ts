import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { DEFAULT_THUMBNAIL_SIZES } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { thumbnailSizesFor } from '@vellum/iiif';
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
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { hotRoute } from '../src/hot-path';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../src/main';

jest.setTimeout(120_000);

/**
 * The hot path (issue 11) answers exactly what Nest answers: one instance with it (the default) and one with
 * `VELLUM_DELIVERY_HOT_PATH=0`, over the same database and store, must send the same status, headers (but `Date`)
 * and bytes for a sample of image, info.json and thumbnail URLs, open and restricted, successes and errors.
 */
let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let hot: INestApplication;
let nest: INestApplication;
let hotPort = 0;
let nestPort = 0;
const dirs: string[] = [];
let c = 0;
const SPACE = 3;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function rawGet(port: number, p: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(hotPath: '0' | '1'): Promise<INestApplication> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-hot-cache-'));
  dirs.push(cacheDir);
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_STORAGE_ROOT: dirs[0],
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    VELLUM_DELIVERY_HOT_PATH: hotPath,
    // Both instances render the same public base (each would otherwise name its own port).
    VELLUM_DELIVERY_URL: 'https://iiif.example.org',
    VELLUM_AUTH_URL: 'https://auth.example.org',
  });
  return bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    configure: configureDeliveryApp,
    clientErrorHeaders: DELIVERY_CLIENT_ERROR_HEADERS,
  });
}

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  dirs.push(await mkdtemp(path.join(tmpdir(), 'vellum-hot-store-')));
  store = createObjectStore({ driver: 'fs', root: dirs[0] });
  const buckets = bucketsFromEnv({ VELLUM_STORAGE_ROOT: dirs[0] } as never);
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  prisma = createPrismaClient(db.url);
  c = (await prisma.customer.create({ data: { name: 'hot-path', displayName: 'Hot path' } })).id;
  await prisma.space.create({ data: { customerId: c, id: SPACE, name: 'hot' } });
  await prisma.roleProvider.create({ data: { customerId: c, name: 'clickthrough', type: 'clickthrough' } });
  await prisma.accessService.create({
    data: { customerId: c, name: 'clickthrough', label: { en: ['Terms'] }, roleProvider: 'clickthrough' },
  });
  await prisma.role.create({
    data: { customerId: c, name: 'staff', label: { en: ['Staff'] }, accessService: 'clickthrough' },
  });
  const meta = await sharp(fixturePath('photo-large.jpg')).metadata();
  const [W, H] = [meta.width!, meta.height!];
  const pyramid = await sharp(fixturePath('photo-large.jpg'))
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
    .toBuffer();
  const sizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, W, H);
  for (const [id, roles, maxWidth] of [
    ['open', [], undefined],
    ['restricted', ['staff'], 400],
  ] as const) {
    const ref = { customerId: c, spaceId: SPACE, assetId: id };
    await store.put(buckets.derivatives, pyramidKey(ref), pyramid);
    const keys: Record<string, string> = {};
    for (const s of sizes) {
      keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
      const bytes = await sharp(fixturePath('photo-large.jpg'))
        .resize(s.width, s.height, { fit: 'fill' })
        .jpeg()
        .toBuffer();
      await store.put(buckets.thumbnails, keys[`${s.width},${s.height}`], bytes);
    }
    await prisma.asset.create({
      data: {
        customerId: c,
        spaceId: SPACE,
        id,
        mediaType: 'image/jpeg',
        width: W,
        height: H,
        roles: [...roles],
        maxWidth,
        finished: new Date('2025-01-02T03:04:05Z'),
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
  [hot, nest] = await Promise.all([start('1'), start('0')]);
  hotPort = (hot.getHttpServer().address() as { port: number }).port;
  nestPort = (nest.getHttpServer().address() as { port: number }).port;
});

afterAll(async () => {
  await Promise.allSettled([hot?.close(), nest?.close()]);
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const img = (id: string, rest: string, slug = ''): string => `/iiif-img/${slug}${c}/${SPACE}/${id}/${rest}`;
const thumbs = (id: string, rest: string, slug = ''): string => `/thumbs/${slug}${c}/${SPACE}/${id}/${rest}`;

/** [url, extra request headers, whether the hot path owns it]. */
const samples = (): Array<[string, Record<string, string>, boolean]> => [
  [img('open', 'info.json'), {}, true],
  [img('open', 'info.json'), { Accept: 'application/ld+json' }, true],
  [img('open', 'info.json', 'v2/'), {}, true],
  [img('open', '0,0,512,512/512,/0/default.jpg'), {}, true],
  [img('open', '0,0,1024,1024/512,/0/default.jpg'), {}, true],
  [img('open', 'full/max/0/default.jpg'), {}, true],
  [img('open', '10,20,300,200/150,/0/gray.png'), {}, true],
  [img('open', '0,0,512,512/512,/0/default.jpg', 'v2/'), {}, true],
  [img('open', '0,0,512,512/512,/0/default.jpg'), { 'If-None-Match': '*' }, true],
  [img('open', 'nonsense/512,/0/default.jpg'), {}, true],
  [img('missing', '0,0,512,512/512,/0/default.jpg'), {}, true],
  [img('missing', 'info.json'), {}, true],
  [img('restricted', 'info.json'), {}, true],
  [img('restricted', 'full/max/0/default.jpg'), {}, true],
  [img('restricted', 'full/200,/0/default.jpg'), {}, true],
  [img('restricted', '0,0,512,512/512,/0/default.jpg'), { Authorization: 'Bearer not-a-token' }, true],
  [img('restricted', '0,0,512,512/512,/0/default.jpg'), { Cookie: `vellum-auth-${c}=garbage` }, true],
  [thumbs('open', 'info.json'), {}, true],
  [thumbs('open', 'full/!200,200/0/default.jpg'), {}, true],
  [thumbs('open', 'full/400,/0/default.jpg'), {}, true],
  [thumbs('open', 'full/123,/0/default.jpg'), {}, true],
  [thumbs('open', 'full/4000,/0/default.jpg'), {}, true],
  [thumbs('open', '0,0,10,10/100,/0/default.jpg'), {}, true],
  [thumbs('restricted', 'full/!200,200/0/default.jpg'), {}, true],
  // Not owned by the hot path: Nest answers both.
  [img('open', ''), {}, false],
  [img('open', 'info.json', 'v3/'), {}, false],
  [img('open', 'info.json?x=1'), {}, false],
  [`/iiif-img/${c}/${SPACE}/op%65n/info.json`, {}, false],
  [img('restricted', 'substitute/info.json'), {}, false],
];

describe('hot path vs Nest', () => {
  it('owns the sample URLs it should', () => {
    for (const [url, , owned] of samples())
      expect([url, hotRoute('GET', url, 3) !== undefined]).toEqual([url, owned]);
  });

  it('answers every sample URL with the same status, headers and bytes as Nest', async () => {
    for (const [url, headers, owned] of samples()) {
      // Twice: the first request of a pyramid downloads it (a cold lookup), the second is the warm path.
      for (let round = 0; round < 2; round++) {
        const h = { ...headers, 'X-Correlation-Id': `cmp-${round}` };
        const [a, b] = await Promise.all([rawGet(hotPort, url, h), rawGet(nestPort, url, h)]);
        const strip = (r: Raw): Record<string, unknown> => {
          const { date: _date, ...rest } = r.headers;
          return rest;
        };
        expect({ url, owned, status: a.status, headers: strip(a) }).toEqual({
          url,
          owned,
          status: b.status,
          headers: strip(b),
        });
        expect(a.body.equals(b.body)).toBe(true);
      }
    }
  });

  it('keeps answering on a kept-alive connection after a request fell through', async () => {
    const agentless = await rawGet(hotPort, img('missing', 'info.json'));
    expect(agentless.status).toBe(404);
    const ok = await rawGet(hotPort, img('open', 'info.json'));
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
  });
});
