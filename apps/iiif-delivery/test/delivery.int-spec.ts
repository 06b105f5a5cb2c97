import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { AssetUpdatedV1, DEFAULT_THUMBNAIL_SIZES } from '@vellum/contracts';
import { createPrismaClient, type Prisma, type PrismaClient } from '@vellum/db';
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

const PUBLIC = 'https://images.example.org';
let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let app: INestApplication;
/** A second instance without VELLUM_DELIVERY_URL, trusting forwarded headers from 127.0.0.1 only. */
let hostApp: INestApplication;
let hostPort = 0;
let storageRoot: string;
let cacheDir: string;
let hostCacheDir: string;
let baseUrl: string;
let customerId: number;
let W = 0;
let H = 0;
let thumbSizes: Array<{ width: number; height: number }> = [];
let derivatives: Prisma.InputJsonObject;

const SPACE = 5;
const ID = 'photo-1';
const ODD_ID = "odd id's (1)+x";

async function get(p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return fetch(`${baseUrl}${p}`, { headers, method, redirect: 'manual' });
}

/** A raw response of {@link rawGet}. */
interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

/**
 * GET through node:http, which (unlike fetch) sends the `Host` header given, from a chosen local address
 * (`127.0.0.2` is a loopback peer that `VELLUM_TRUSTED_PROXIES=127.0.0.1` does not trust).
 */
function rawGet(
  port: number,
  p: string,
  headers: Record<string, string> = {},
  localAddress = '127.0.0.1',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: p, headers, localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString('utf8')) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return res.json();
}

async function imageSize(
  res: Response,
): Promise<{ width: number; height: number; format: string; channels: number }> {
  const buf = Buffer.from(await res.arrayBuffer());
  const m = await sharp(buf).metadata();
  return { width: m.width, height: m.height, format: m.format, channels: m.channels };
}

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-store-'));
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-cache-'));
  const rawEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: PUBLIC,
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `delivery-test-${vhost.id}`,
  };
  const env = validateEnv(DeliveryEnv, rawEnv);
  const buckets = bucketsFromEnv(env);
  store = createObjectStore({ driver: 'fs', root: storageRoot });
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  prisma = createPrismaClient(db.url);

  // A real pyramid (512 tiles, JPEG, one page per scale factor) and real thumbnails, as the image-processor writes.
  const meta = await sharp(fixturePath('photo-large.jpg')).metadata();
  W = meta.width!;
  H = meta.height!;
  const pyramid = await sharp(fixturePath('photo-large.jpg'))
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
    .toBuffer();
  const ref = { customerId: 0, spaceId: SPACE, assetId: ID };
  const customer = await prisma.customer.create({
    data: { name: 'delivery-test', displayName: 'Delivery test' },
  });
  customerId = customer.id;
  ref.customerId = customerId;
  const pKey = pyramidKey(ref);
  await store.put(buckets.derivatives, pKey, pyramid);
  thumbSizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, W, H);
  const keys: Record<string, string> = {};
  for (const s of thumbSizes) {
    const bytes = await sharp(fixturePath('photo-large.jpg'))
      .resize(s.width, s.height, { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toBuffer();
    keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
    await store.put(buckets.thumbnails, keys[`${s.width},${s.height}`], bytes);
  }
  derivatives = {
    pyramid: { bucket: buckets.derivatives, key: pKey, size: pyramid.length, tileSize: 512 },
    thumbnails: {
      bucket: buckets.thumbnails,
      open: thumbSizes.map((s) => [s.width, s.height]),
      auth: [],
      keys,
      size: 1,
    },
  };
  await prisma.space.create({ data: { customerId, id: SPACE, name: 'photos' } });
  const channels = [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
  ];
  const base = {
    customerId,
    spaceId: SPACE,
    mediaType: 'image/jpeg',
    width: W,
    height: H,
    deliveryChannels: channels,
    derivatives,
  };
  await prisma.asset.createMany({
    data: [
      { ...base, id: ID, finished: new Date('2024-05-01T10:00:00Z') },
      { ...base, id: ODD_ID, finished: new Date('2024-05-01T10:00:00Z') },
      { ...base, id: 'capped', maxWidth: 400, finished: new Date('2024-05-01T10:00:00Z') },
      { ...base, id: 'busy', ingesting: true, width: null, height: null, derivatives: undefined },
      { ...base, id: 'failed', error: 'origin returned 404', finished: new Date('2024-05-01T10:00:00Z') },
      {
        ...base,
        id: 'file-only',
        mediaType: 'application/pdf',
        width: null,
        height: null,
        deliveryChannels: [{ channel: 'file', policy: 'none' }],
        derivatives: undefined,
        finished: new Date('2024-05-01T10:00:00Z'),
      },
      {
        ...base,
        id: 'thumbs-only',
        deliveryChannels: [{ channel: 'thumbs', policy: 'default' }],
        finished: new Date(),
      },
    ],
  });

  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: vhost.url,
    exchange: vhost.exchange,
    retryDelaysMs: [],
  });
  app = await bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    transport,
    configure: configureDeliveryApp,
    clientErrorHeaders: DELIVERY_CLIENT_ERROR_HEADERS,
  });
  const address = app.getHttpServer().address() as { port: number };
  baseUrl = `http://127.0.0.1:${address.port}`;

  hostCacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-cache-'));
  const hostEnv = validateEnv(DeliveryEnv, {
    ...rawEnv,
    VELLUM_DELIVERY_URL: undefined,
    VELLUM_TRUSTED_PROXIES: '127.0.0.1',
    VELLUM_DELIVERY_CACHE_DIR: hostCacheDir,
    VELLUM_MAX_OUTPUT_PIXELS: '1000000',
  });
  hostApp = await bootstrapService(deliveryRootModule(hostEnv, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    configure: configureDeliveryApp,
  });
  hostPort = (hostApp.getHttpServer().address() as { port: number }).port;
});

afterAll(async () => {
  await hostApp?.close();
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(storageRoot, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
  await rm(hostCacheDir, { recursive: true, force: true });
});

const svc = (id = ID, slug = ''): string =>
  `/iiif-img/${slug}${customerId}/${SPACE}/${encodeURIComponent(id)}`;

describe('info.json', () => {
  it('serves 3.0 with ids from the public base, tiles, sizes, the profile link and CORS', async () => {
    const res = await get(`${svc()}/info.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/ld+json;profile="http://iiif.io/api/image/3/context.json"',
    );
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('link')).toBe('<http://iiif.io/api/image/3/level2.json>;rel="profile"');
    expect(res.headers.get('cache-control')).toMatch(/^public/);
    const info = await json(res);
    expect(info).toMatchObject({
      '@context': 'http://iiif.io/api/image/3/context.json',
      id: `${PUBLIC}${svc()}`,
      type: 'ImageService3',
      protocol: 'http://iiif.io/api/image',
      profile: 'level2',
      width: W,
      height: H,
      tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
    });
    // The open thumbnails, plus the pyramid's level sizes because 4 sizes on a 5-level pyramid would otherwise be
    // read by OpenSeadragon (Mirador, UV) as the level sizes (see advertisedSizes in @vellum/iiif).
    expect(info.sizes).toEqual(expect.arrayContaining(thumbSizes));
    expect(info.sizes).toEqual(
      expect.arrayContaining([
        { width: 2656, height: 1494 },
        { width: 332, height: 187 },
      ]),
    );
    expect(info.extraFormats).toEqual(expect.arrayContaining(['webp', 'tif', 'gif']));
    expect(info.extraQualities).toEqual(expect.arrayContaining(['gray', 'bitonal', 'color']));
    expect(info.extraFeatures).toEqual(
      expect.arrayContaining(['mirroring', 'rotationArbitrary', 'sizeUpscaling']),
    );
    // The platform's output bound (VELLUM_MAX_OUTPUT_PIXELS / _EDGE defaults).
    expect(info.maxWidth).toBe(16_383);
    expect(info.maxArea).toBe(4_194_304);
  });

  it('serves 2.1 under /v2/ as application/json (ld+json on request)', async () => {
    const res = await get(`${svc(ID, 'v2/')}/info.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('link')).toBe('<http://iiif.io/api/image/2/level2.json>;rel="profile"');
    const info = await json(res);
    expect(info['@context']).toBe('http://iiif.io/api/image/2/context.json');
    expect(info['@id']).toBe(`${PUBLIC}${svc(ID, 'v2/')}`);
    expect(info.width).toBe(W);
    expect(info.tiles).toEqual([{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }]);
    expect(info.profile[0]).toBe('http://iiif.io/api/image/2/level2.json');
    expect(info.profile[1]).toMatchObject({ maxWidth: 16_383, maxArea: 4_194_304 });
    const ld = await get(`${svc(ID, 'v2/')}/info.json`, { Accept: 'application/ld+json' });
    expect(ld.headers.get('content-type')).toBe('application/ld+json');
  });

  it('sends Vary: Accept wherever Accept selects the representation (content type or version)', async () => {
    const thumbs = `/thumbs/${customerId}/${SPACE}/${ID}`;
    for (const p of [
      `${svc(ID, 'v2/')}/info.json`,
      `${svc()}/info.json`,
      `/thumbs/v2/${customerId}/${SPACE}/${ID}/info.json`,
      `${thumbs}/info.json`,
    ]) {
      const plain = await get(p);
      const ld = await get(p, { Accept: 'application/ld+json' });
      expect({ p, vary: plain.headers.get('vary') }).toEqual({ p, vary: 'Accept' });
      expect({ p, vary: ld.headers.get('vary') }).toEqual({ p, vary: 'Accept' });
      // Different representations have different validators, and a 304 keeps Vary.
      if (plain.headers.get('content-type') !== ld.headers.get('content-type'))
        expect(plain.headers.get('etag')).not.toBe(ld.headers.get('etag'));
      const notModified = await get(p, { 'If-None-Match': plain.headers.get('etag')! });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('vary')).toBe('Accept');
    }
    // A v2 client's cached application/json copy does not validate the ld+json representation.
    const v2 = `${svc(ID, 'v2/')}/info.json`;
    const etag = (await get(v2)).headers.get('etag')!;
    expect((await get(v2, { Accept: 'application/ld+json', 'If-None-Match': etag })).status).toBe(200);
  });

  it('selects 2.1 on the unversioned URL from an Accept profile', async () => {
    const res = await get(`${svc()}/info.json`, {
      Accept: 'application/ld+json;profile="http://iiif.io/api/image/2/context.json"',
    });
    const info = await json(res);
    expect(info['@id']).toBe(`${PUBLIC}${svc(ID, 'v2/')}`);
    expect(res.headers.get('vary')).toMatch(/Accept/);
  });

  it('uses an explicitly configured VELLUM_DELIVERY_URL whatever Host and forwarded headers say; writes maxWidth', async () => {
    const res = await get(`${svc('capped')}/info.json`, {
      'X-Forwarded-Host': 'cdn.example.net',
      'X-Forwarded-Proto': 'http',
    });
    const info = await json(res);
    expect(info.id).toBe(`${PUBLIC}${svc('capped')}`);
    const viaHost = (
      await rawGet(Number(new URL(baseUrl).port), `${svc()}/info.json`, { Host: 'other.example' })
    ).json();
    expect(viaHost.id).toBe(`${PUBLIC}${svc()}`);
    expect(info.maxWidth).toBe(400);
    expect(info.sizes.every((s: { width: number }) => s.width <= 400)).toBe(true);
  });

  it('redirects the base URI (303) and the default-version slug (302)', async () => {
    const base = await get(svc());
    expect(base.status).toBe(303);
    expect(base.headers.get('location')).toBe(`${PUBLIC}${svc()}/info.json`);
    const v3 = await get(`${svc(ID, 'v3/')}/info.json`);
    expect(v3.status).toBe(302);
    expect(v3.headers.get('location')).toBe(`${PUBLIC}${svc()}/info.json`);
  });

  it('finds the customer by name and decodes escaped ids', async () => {
    const byName = await get(`/iiif-img/delivery-test/${SPACE}/${ID}/info.json`);
    expect(byName.status).toBe(200);
    expect((await json(byName)).id).toBe(`${PUBLIC}/iiif-img/delivery-test/${SPACE}/${ID}`);
    const odd = await get(`${svc(ODD_ID)}/info.json`);
    expect(odd.status).toBe(200);
    expect((await json(odd)).id).toBe(`${PUBLIC}/iiif-img/${customerId}/${SPACE}/odd%20id's%20(1)+x`);
  });

  it('answers 404 problems for unknown, ingesting, failed assets and missing channels, with CORS', async () => {
    for (const [p, text] of [
      [`/iiif-img/${customerId}/${SPACE}/nope/info.json`, /not found/],
      [`/iiif-img/no-such-customer/${SPACE}/${ID}/info.json`, /Customer/],
      [`/iiif-img/${customerId}/999/${ID}/info.json`, /Space/],
      [`${svc('busy')}/info.json`, /still being ingested/],
      [`${svc('failed')}/info.json`, /ingest failed/],
      [
        `${svc('thumbs-only')}/info.json`,
        /has no image service: it is not delivered on the iiif-img channel/,
      ],
      [`${svc('file-only')}/info.json`, /has no image service: it is not delivered on the iiif-img channel/],
      [`${svc('file-only')}/full/max/0/default.jpg`, /has no image service/],
      [`${svc('file-only')}`, /has no image service/],
      [
        `/thumbs/${customerId}/${SPACE}/file-only/info.json`,
        /has no thumbnails service: it is not delivered on the thumbs channel/,
      ],
    ] as const) {
      const res = await get(p);
      expect(res.status).toBe(404);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const body = await json(res);
      expect(body.status).toBe(404);
      expect(body.detail).toMatch(text);
    }
    const viewer = await get(`/viewer/${customerId}/${SPACE}/file-only`);
    expect(viewer.status).toBe(404);
    expect(await viewer.text()).toMatch(/has no image service/);
  });

  it('answers 400 for an identifier with control characters (%00), never 503 "retry later"', async () => {
    for (const p of [
      `/iiif-img/${customerId}/${SPACE}/a%00b/info.json`,
      `/iiif-img/${customerId}/${SPACE}/a%00b/full/max/0/default.jpg`,
      `/iiif-img/${customerId}/${SPACE}/a%01b`,
      `/thumbs/${customerId}/${SPACE}/%00/info.json`,
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 400 });
      expect(res.headers.get('retry-after')).toBeNull();
      const body = await json(res);
      expect(body).toMatchObject({ '@type': 'Error', status: 400 });
      expect(body.detail).toMatch(/control character/);
    }
    // A customer segment with one is simply unknown.
    expect((await get(`/iiif-img/a%00b/${SPACE}/${ID}/info.json`)).status).toBe(404);
  });

  it('answers CORS preflight', async () => {
    const res = await get(
      `${svc()}/info.json`,
      { Origin: 'https://viewer.example', 'Access-Control-Request-Method': 'GET' },
      'OPTIONS',
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('image requests', () => {
  it('serves a canonical tile as a 512×512 JPEG', async () => {
    const res = await get(`${svc()}/512,512,512,512/512,/0/default.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('link')).toContain(
      `<${PUBLIC}${svc()}/512,512,512,512/max/0/default.jpg>;rel="canonical"`,
    );
    expect(await imageSize(res)).toMatchObject({ width: 512, height: 512, format: 'jpeg' });
  });

  it('serves a canonical tile as the stored JPEG tile: SOI first, 512×512, byte-identical when asked twice', async () => {
    const p = `${svc()}/1024,512,512,512/512,/0/default.jpg`;
    const first = await get(p);
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toMatch(/^"/);
    const a = Buffer.from(await first.arrayBuffer());
    expect(a.readUInt16BE(0)).toBe(0xffd8);
    expect(a.readUInt16BE(a.length - 2)).toBe(0xffd9);
    expect(Number(first.headers.get('content-length'))).toBe(a.length);
    expect(await sharp(a).metadata()).toMatchObject({ width: 512, height: 512, format: 'jpeg' });
    const b = Buffer.from(await (await get(p)).arrayBuffer());
    expect(b.equals(a)).toBe(true);
    // The same pixels as the pyramid page: the stored tile, not a re-encoding.
    const page = await sharp(a).raw().toBuffer();
    const direct = await sharp(
      await sharp(fixturePath('photo-large.jpg'))
        .tiff({
          tile: true,
          pyramid: true,
          tileWidth: 512,
          tileHeight: 512,
          compression: 'jpeg',
          quality: 85,
        })
        .toBuffer(),
      { page: 0 },
    )
      .extract({ left: 1024, top: 512, width: 512, height: 512 })
      .raw()
      .toBuffer();
    let diff = 0;
    for (let i = 0; i < page.length; i++) diff += Math.abs(page[i] - direct[i]);
    expect(diff / page.length).toBe(0);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/vellum_tile_requests_total\{[^}]*kind="tile"[^}]*\} [1-9]/);
    // Request latency is labelled with the route template, not as an unmatched request.
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/iiif-img\/\*rest"[^}]*\} [1-9]/,
    );
  });

  it('never serves a stored tile above maxWidth', async () => {
    expect((await get(`${svc('capped')}/0,0,512,512/512,/0/default.jpg`)).status).toBe(400);
    const small = await get(`${svc('capped')}/0,0,512,512/256,/0/default.jpg`);
    expect(await imageSize(small)).toMatchObject({ width: 256, height: 256 });
  });

  it('serves tiles of lower levels and edge tiles at their exact size', async () => {
    const level = await get(`${svc()}/0,0,2048,2048/512,/0/default.jpg`);
    expect(await imageSize(level)).toMatchObject({ width: 512, height: 512 });
    const edge = await get(`${svc()}/5120,2560,192,428/192,/0/default.jpg`);
    expect(await imageSize(edge)).toMatchObject({ width: 192, height: 428 });
    const bottom = await get(`${svc()}/0,2048,2048,940/512,/0/default.jpg`);
    expect(await imageSize(bottom)).toMatchObject({ width: 512, height: 235 });
    const top = await get(`${svc()}/full/${Math.ceil(W / 16)},/0/default.jpg`);
    expect(await imageSize(top)).toMatchObject({ width: Math.ceil(W / 16) });
  });

  it('resolves pct: regions', async () => {
    const res = await get(`${svc()}/pct:10,10,50,50/max/0/default.jpg`);
    expect(res.status).toBe(200);
    expect(await imageSize(res)).toMatchObject({
      width: Math.round(W * 0.6) - Math.round(W * 0.1),
      height: Math.round(H * 0.6) - Math.round(H * 0.1),
    });
  });

  it('sizes !200,200 (served from a thumbnail)', async () => {
    const res = await get(`${svc()}/full/!200,200/0/default.jpg`);
    expect(res.status).toBe(200);
    const size = await imageSize(res);
    expect(Math.max(size.width, size.height)).toBe(200);
    const small = await get(`${svc()}/full/!150,150/0/default.jpg`);
    expect(Math.max((await imageSize(small)).width, 0)).toBe(150);
  });

  it('renders qualities, formats, rotation and mirroring', async () => {
    const gray = await get(`${svc()}/0,0,1000,500/200,/90/gray.png`);
    expect(gray.status).toBe(200);
    expect(gray.headers.get('content-type')).toBe('image/png');
    expect(await imageSize(gray)).toMatchObject({ width: 100, height: 200, format: 'png', channels: 1 });
    const webp = await get(`${svc()}/square/100,/!180/bitonal.webp`);
    expect(await imageSize(webp)).toMatchObject({ width: 100, height: 100, format: 'webp' });
    const bitonal = await get(`${svc()}/square/100,/0/bitonal.png`);
    expect(await imageSize(bitonal)).toMatchObject({ width: 100, channels: 1 });
    const arbitrary = await get(`${svc()}/0,0,100,100/100,/45/default.jpg`);
    expect((await imageSize(arbitrary)).width).toBeGreaterThan(139);
    const mirrored = await get(`${svc()}/0,0,200,100/max/!90/default.png`);
    expect(await imageSize(mirrored)).toMatchObject({ width: 100, height: 200 });
  });

  it('answers 400 for bad syntax, regions outside the image and 3.0 upscaling without ^', async () => {
    for (const p of [
      `${svc()}/full/abc/0/default.jpg`,
      `${svc()}/full/max/0/default.jp2`,
      `${svc()}/${W + 10},0,10,10/max/0/default.jpg`,
      `${svc()}/0,0,100,100/200,/0/default.jpg`,
      `${svc(ID, 'v2/')}/full/^200,/0/default.jpg`,
      `${svc()}/full/^pct:1000/0/default.jpg`,
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 400 });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect((await json(res)).status).toBe(400);
    }
    const up = await get(`${svc()}/0,0,100,100/^200,/0/default.jpg`);
    if (up.status !== 200) throw new Error(`${up.status} ${await up.text()}`);
    expect(await imageSize(up)).toMatchObject({ width: 200, height: 200 });
    const v2up = await get(`${svc(ID, 'v2/')}/0,0,100,100/200,/0/default.jpg`);
    expect(await imageSize(v2up)).toMatchObject({ width: 200, height: 200 });
  });

  it('answers 400 problems for malformed image request paths, 404 for an identifier with an unescaped /', async () => {
    for (const p of [
      `${svc()}/full/0/default.jpg`,
      `${svc()}/full////max/0/default.jpg`,
      `${svc()}/full//0/default.jpg`,
      `${svc()}/default.jpg`,
      `${svc()}/full/max/0`,
      `/thumbs/${customerId}/${SPACE}/${ID}/full/0/default.jpg`,
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const body = await json(res);
      expect(body).toMatchObject({ '@type': 'Error', status: 400 });
      expect(body.detail).toMatch(/Invalid IIIF image request/);
    }
    const slash = await get(`/iiif-img/${customerId}/${SPACE}/a/b/full/max/0/default.jpg`);
    expect(slash.status).toBe(404);
    expect((await json(slash)).detail).toMatch(/not found/);
  });

  it('bounds every rendered image by the pixel limit it advertises (max = the largest allowed size)', async () => {
    // The 5312x2988 image is 15.9 MP: max and ^max are scaled down to fit 4194304 pixels.
    for (const p of [`${svc()}/full/max/0/default.jpg`, `${svc()}/full/^max/0/default.jpg`]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      const { width, height } = await imageSize(res);
      expect(width * height).toBeLessThanOrEqual(4_194_304);
      expect(width).toBe(Math.floor(W * Math.sqrt(4_194_304 / (W * H))));
    }
    const v2 = await imageSize(await get(`${svc(ID, 'v2/')}/full/full/0/default.jpg`));
    expect(v2.width * v2.height).toBeLessThanOrEqual(4_194_304);
    // ^max of a small region: upscaled to the limit, not to 40 MP.
    const up = await imageSize(await get(`${svc()}/0,0,100,100/^max/0/default.jpg`));
    expect(up).toMatchObject({ width: 2048, height: 2048 });
    for (const p of [
      `${svc()}/full/3000,/0/default.jpg`,
      `${svc()}/full/^pct:100/0/default.jpg`,
      `${svc()}/0,0,100,100/^2049,2048/0/default.jpg`,
      `${svc()}/0,0,1000,10/^16384,/0/default.png`,
      `${svc(ID, 'v2/')}/full/3000,/0/default.jpg`,
      `${svc(ID, 'v2/')}/0,0,100,100/2049,2048/0/default.jpg`,
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 400 });
      expect((await json(res)).detail).toMatch(/exceeds the server's size limits/);
    }
    // The limit is configured: the second instance runs with VELLUM_MAX_OUTPUT_PIXELS=1000000.
    const small = await rawGet(hostPort, `${svc()}/info.json`);
    expect(small.json()).toMatchObject({ maxArea: 1_000_000, maxWidth: 16_383 });
    const capped = await rawGet(hostPort, `${svc()}/full/max/0/default.jpg`);
    const m = await sharp(capped.body).metadata();
    expect(m.width! * m.height!).toBeLessThanOrEqual(1_000_000);
  });

  it('enforces maxWidth', async () => {
    const max = await get(`${svc('capped')}/full/max/0/default.jpg`);
    expect(max.status).toBe(200);
    expect(
      Math.max(
        ...Object.values(await imageSize(max))
          .filter((v): v is number => typeof v === 'number')
          .slice(0, 2),
      ),
    ).toBe(400);
    expect((await get(`${svc('capped')}/full/1000,/0/default.jpg`)).status).toBe(400);
  });

  it('answers 404 for unknown assets', async () => {
    expect((await get(`/iiif-img/${customerId}/${SPACE}/nope/full/max/0/default.jpg`)).status).toBe(404);
    expect((await get(`${svc('busy')}/full/max/0/default.jpg`)).status).toBe(404);
  });

  it('sets ETag and Last-Modified and answers conditional requests with 304', async () => {
    const p = `${svc()}/0,0,512,512/512,/0/default.jpg`;
    const res = await get(p);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect(res.headers.get('last-modified')).toBe(new Date('2024-05-01T10:00:00Z').toUTCString());
    const again = await get(p, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    const since = await get(p, { 'If-Modified-Since': new Date('2024-06-01T00:00:00Z').toUTCString() });
    expect(since.status).toBe(304);
    const older = await get(p, { 'If-Modified-Since': new Date('2024-01-01T00:00:00Z').toUTCString() });
    expect(older.status).toBe(200);
    const info = await get(`${svc()}/info.json`);
    expect((await get(`${svc()}/info.json`, { 'If-None-Match': info.headers.get('etag')! })).status).toBe(
      304,
    );
  });

  it('downloads a pyramid once for concurrent requests', async () => {
    const paths = Array.from(
      { length: 6 },
      (_, i) => `${svc(ODD_ID)}/${i * 512},0,512,512/512,/0/default.jpg`,
    );
    const results = await Promise.all(paths.map((p) => get(p)));
    expect(results.map((r) => r.status)).toEqual(paths.map(() => 200));
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/vellum_tile_requests_total\{[^}]*kind="tile"[^}]*\} \d+/);
    expect(metrics).toMatch(/vellum_delivery_cache_lookups_total\{[^}]*cache="pyramid"/);
  });
});

describe('thumbs', () => {
  const thumbs = (id = ID, slug = ''): string =>
    `/thumbs/${slug}${customerId}/${SPACE}/${encodeURIComponent(id)}`;

  it('serves a level-0 info.json of the open sizes', async () => {
    const res = await get(`${thumbs()}/info.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const info = await json(res);
    const largest = [...thumbSizes].sort((a, b) => b.width - a.width)[0];
    expect(info).toMatchObject({
      id: `${PUBLIC}${thumbs()}`,
      profile: 'level0',
      width: largest.width,
      height: largest.height,
    });
    expect(info.sizes).toEqual([...thumbSizes].sort((a, b) => a.width - b.width));
    expect(info.tiles).toBeUndefined();
    const v2 = await json(await get(`${thumbs(ID, 'v2/')}/info.json`));
    expect(v2['@id']).toBe(`${PUBLIC}${thumbs(ID, 'v2/')}`);
  });

  it('serves a pre-made size as stored and derives others from the next larger', async () => {
    const s = thumbSizes.find((t) => t.width === 400 || t.height === 400)!;
    const exact = await get(`${thumbs()}/full/${s.width},${s.height}/0/default.jpg`);
    expect(exact.status).toBe(200);
    expect(exact.headers.get('content-type')).toBe('image/jpeg');
    expect(await imageSize(exact)).toMatchObject({ width: s.width, height: s.height });
    const confined = await get(`${thumbs()}/full/!200,200/0/default.jpg`);
    expect(Math.max(...[await imageSize(confined)].map((x) => Math.max(x.width, x.height)))).toBe(200);
    const derived = await get(`${thumbs()}/full/150,/0/default.jpg`);
    expect(derived.status).toBe(200);
    expect((await imageSize(derived)).width).toBe(150);
    expect((await get(`${thumbs()}/full/2000,/0/default.jpg`)).status).toBe(400);
    expect((await get(`${thumbs()}/0,0,10,10/100,/0/default.jpg`)).status).toBe(400);
    expect((await get(`${thumbs('nope')}/full/100,/0/default.jpg`)).status).toBe(404);
  });
});

describe('cache invalidation', () => {
  it('drops the cached asset on asset.updated.v1', async () => {
    const before = await json(await get(`${svc('thumbs-only')}/info.json`));
    expect(before.status).toBe(404);
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: SPACE, id: 'thumbs-only' } },
      data: { deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }] },
    });
    // Still cached (long TTL in this test) until the event arrives.
    expect((await get(`${svc('thumbs-only')}/info.json`)).status).toBe(404);
    const event = Object.assign(new AssetUpdatedV1(), { customerId, spaceId: SPACE, assetId: 'thumbs-only' });
    await app.get(MessagePublisher).publish(event);
    await waitFor(async () => (await get(`${svc('thumbs-only')}/info.json`)).status === 200, {
      timeoutMs: 10_000,
      description: 'info.json after asset.updated.v1',
    });
  });
});

describe('public base from the request (SPEC.md §5; no VELLUM_DELIVERY_URL)', () => {
  it('writes the request Host into info.json ids (v3 and v2), the 303/302 Location and the canonical Link', async () => {
    for (const host of [`127.0.0.1:${hostPort}`, `localhost:${hostPort}`]) {
      const v3 = await rawGet(hostPort, `${svc()}/info.json`, { Host: host });
      expect(v3.status).toBe(200);
      expect(v3.json().id).toBe(`http://${host}${svc()}`);
      const v2 = await rawGet(hostPort, `${svc(ID, 'v2/')}/info.json`, { Host: host });
      expect(v2.json()['@id']).toBe(`http://${host}${svc(ID, 'v2/')}`);
      const thumbs = await rawGet(hostPort, `/thumbs/${customerId}/${SPACE}/${ID}/info.json`, { Host: host });
      expect(thumbs.json().id).toBe(`http://${host}/thumbs/${customerId}/${SPACE}/${ID}`);
      const base = await rawGet(hostPort, svc(), { Host: host });
      expect(base.status).toBe(303);
      expect(base.headers.location).toBe(`http://${host}${svc()}/info.json`);
      const slug = await rawGet(hostPort, `${svc(ID, 'v3/')}/info.json`, { Host: host });
      expect(slug.status).toBe(302);
      expect(slug.headers.location).toBe(`http://${host}${svc()}/info.json`);
      const tile = await rawGet(hostPort, `${svc()}/0,0,512,512/512,/0/default.jpg`, { Host: host });
      expect(tile.status).toBe(200);
      expect(tile.headers.link).toContain(
        `<http://${host}${svc()}/0,0,512,512/max/0/default.jpg>;rel="canonical"`,
      );
      const viewer = await rawGet(hostPort, `/viewer/${customerId}/${SPACE}/${ID}`, { Host: host });
      expect(viewer.status).toBe(200);
      expect(viewer.body.toString()).toContain(`data-tile-source="http://${host}${svc()}/info.json"`);
      expect(viewer.headers['content-security-policy']).toContain(`http://${host}`);
    }
  });

  it('honours X-Forwarded-Host/-Proto from a trusted proxy (127.0.0.1)', async () => {
    const res = await rawGet(hostPort, `${svc()}/info.json`, {
      Host: `127.0.0.1:${hostPort}`,
      'X-Forwarded-Host': 'iiif.example.org',
      'X-Forwarded-Proto': 'https',
    });
    expect(res.json().id).toBe(`https://iiif.example.org${svc()}`);
    const base = await rawGet(hostPort, svc(), { 'X-Forwarded-Host': 'iiif.example.org:8443' });
    expect(base.headers.location).toBe(`http://iiif.example.org:8443${svc()}/info.json`);
  });

  it('ignores forwarded headers from an untrusted peer (127.0.0.2): no cache poisoning', async () => {
    const headers = {
      Host: `127.0.0.1:${hostPort}`,
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'https',
    };
    const res = await rawGet(hostPort, `${svc()}/info.json`, headers, '127.0.0.2');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/^public/);
    expect(res.json().id).toBe(`http://127.0.0.1:${hostPort}${svc()}`);
    const base = await rawGet(hostPort, svc(), headers, '127.0.0.2');
    expect(base.headers.location).toBe(`http://127.0.0.1:${hostPort}${svc()}/info.json`);
    const viewer = await rawGet(hostPort, `/viewer/${customerId}/${SPACE}/${ID}`, headers, '127.0.0.2');
    expect(viewer.body.toString()).not.toContain('evil.example');
  });

  it('never reflects a malformed Host: falls back to the listening address', async () => {
    for (const host of ['evil.example/<script>', 'a b', 'x:99999', '"quoted"']) {
      const res = await rawGet(hostPort, `${svc()}/info.json`, { Host: host });
      expect({ host, status: res.status }).toEqual({ host, status: 200 });
      expect(res.json().id).toBe(`http://127.0.0.1:${hostPort}${svc()}`);
    }
    const forwarded = await rawGet(hostPort, `${svc()}/info.json`, {
      Host: `localhost:${hostPort}`,
      'X-Forwarded-Host': 'evil.example/<x>',
    });
    expect(forwarded.json().id).toBe(`http://localhost:${hostPort}${svc()}`);
  });
});

describe('requests Node rejects before routing', () => {
  function raw(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1', () => socket.write(bytes));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  }

  it('answers headers over the limit with a 431 problem document carrying CORS', async () => {
    const res = await raw(
      `GET ${svc()}/info.json HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'x'.repeat(20_000)}\r\n\r\n`,
    );
    const [head, body] = res.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json/);
    expect(head).toMatch(/\r\nAccess-Control-Allow-Origin: \*/);
    expect(JSON.parse(body)).toMatchObject({
      '@type': 'Error',
      status: 431,
      title: 'Request Header Fields Too Large',
    });
    // Through fetch as well (a client sees a normal HTTP response).
    const viaFetch = await get(`${svc()}/info.json`, { 'X-Padding': 'y'.repeat(20_000) });
    expect(viaFetch.status).toBe(431);
    expect(viaFetch.headers.get('access-control-allow-origin')).toBe('*');
    expect((await json(viaFetch)).status).toBe(431);
  });
});
