/**
 * IIIF Presentation on iiif-delivery (SPEC.md §5, §7, issue 8): `/iiif-manifest`, `/iiif-resource` and
 * `/raw-resource` against a real (template-cloned) Postgres, a real RabbitMQ vhost for the invalidation events and a
 * real object store holding real derivatives (so every link a manifest advertises can be followed).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
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
  presentation3SchemaErrors,
  type TestDatabase,
  type TestVhost,
  upgradePresentation2,
  waitFor,
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { configureDeliveryApp } from '../src/main';

jest.setTimeout(120_000);

const PUBLIC = 'https://iiif.example.org';
const V3_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"';
const V2_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"';
const FIXTURE = 'tiff-lzw.tif'; // 1165×859
const W = 1165;
const H = 859;

let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let storageRoot: string;
let cacheDirs: string[] = [];
let app: INestApplication;
let baseUrl: string;
/** Without VELLUM_DELIVERY_URL, trusting forwarded headers from 127.0.0.1, at most 2 assets per projection. */
let hostApp: INestApplication;
let hostPort = 0;
let a: number; // the customer under test, "pres-a"
let b: number; // another customer with look-alike assets, "pres-b"
let thumbs: Array<{ width: number; height: number }> = [];

const FINISHED = new Date('2026-03-01T10:00:00.000Z');

async function get(p: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${p}`, { headers, redirect: 'manual' });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return JSON.parse(await res.text());
}

/** A GET through node:http with the given `Host` (fetch cannot set it). */
function rawGet(
  port: number,
  p: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts a delivery app on a free port with `extra` env. */
async function startApp(
  rawEnv: Record<string, string | undefined>,
  withBus: boolean,
): Promise<INestApplication> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-pres-cache-'));
  cacheDirs.push(cacheDir);
  const env = validateEnv(DeliveryEnv, { ...rawEnv, VELLUM_DELIVERY_CACHE_DIR: cacheDir });
  return bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    transport: withBus
      ? createTransport({
          serviceName: SERVICE_NAME,
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
          retryDelaysMs: [],
        })
      : undefined,
    configure: configureDeliveryApp,
  });
}

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-pres-store-'));
  const rawEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: PUBLIC,
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `pres-test-${vhost.id}`,
  };
  const buckets = bucketsFromEnv(validateEnv(DeliveryEnv, rawEnv));
  store = createObjectStore({ driver: 'fs', root: storageRoot });
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  prisma = createPrismaClient(db.url);

  const mk = (name: string, isAdmin = false) =>
    prisma.customer.create({ data: { name, displayName: `${name} display`, isAdmin } });
  const [ca, cb, admin] = await Promise.all([mk('pres-a'), mk('pres-b'), mk('pres-admin', true)]);
  a = ca.id;
  b = cb.id;
  await prisma.space.createMany({
    data: [
      { customerId: a, id: 1, name: 'books' },
      { customerId: a, id: 2, name: 'more' },
      { customerId: b, id: 1, name: 'books' },
    ],
  });

  // Real derivatives, as the image-processor writes them: a pyramid and the default thumbnails.
  const pyramid = await sharp(fixturePath(FIXTURE))
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
    .toBuffer();
  thumbs = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, W, H);
  const thumbBytes = new Map<string, Buffer>();
  for (const s of thumbs) {
    thumbBytes.set(
      `${s.width},${s.height}`,
      await sharp(fixturePath(FIXTURE)).resize(s.width, s.height, { fit: 'fill' }).jpeg().toBuffer(),
    );
  }
  const derivativesOf = async (customerId: number, spaceId: number, assetId: string) => {
    const ref = { customerId, spaceId, assetId };
    await store.put(buckets.derivatives, pyramidKey(ref), pyramid);
    const keys: Record<string, string> = {};
    for (const s of thumbs) {
      keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
      await store.put(
        buckets.thumbnails,
        keys[`${s.width},${s.height}`],
        thumbBytes.get(`${s.width},${s.height}`)!,
      );
    }
    return {
      pyramid: { bucket: buckets.derivatives, key: pyramidKey(ref), size: pyramid.length, tileSize: 512 },
      thumbnails: {
        bucket: buckets.thumbnails,
        open: thumbs.map((t) => [t.width, t.height]),
        auth: [],
        keys,
      },
    } as Prisma.InputJsonObject;
  };
  const imageChannels = [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
  ];
  const page = async (
    customerId: number,
    spaceId: number,
    id: string,
    extra: Partial<Prisma.AssetCreateManyInput>,
  ): Promise<Prisma.AssetCreateManyInput> => ({
    customerId,
    spaceId,
    id,
    mediaType: 'image/tiff',
    width: W,
    height: H,
    deliveryChannels: imageChannels,
    derivatives: await derivativesOf(customerId, spaceId, id),
    finished: FINISHED,
    ...extra,
  });
  await prisma.asset.createMany({
    data: [
      // Book b1 of customer A: three pages registered out of order, a PDF of notes, one page still ingesting.
      await page(a, 1, 'p3', { string1: 'b1', number1: 3 }),
      await page(a, 1, 'p1', { string1: 'b1', number1: 1, tags: ['cover'] }),
      await page(a, 1, 'p2', { string1: 'b1', number1: 2 }),
      {
        customerId: a,
        spaceId: 1,
        id: 'notes',
        mediaType: 'application/pdf',
        deliveryChannels: [{ channel: 'file', policy: 'none' }],
        string1: 'b1',
        number1: 4,
        finished: FINISHED,
      },
      await page(a, 1, 'busy', { string1: 'b1', number1: 5, ingesting: true, finished: null }),
      // Other kinds.
      await page(a, 1, 'locked', { string1: 'b2', number1: 1, roles: ['https://example.org/roles/staff'] }),
      {
        customerId: a,
        spaceId: 1,
        id: 'track',
        mediaType: 'audio/mpeg',
        family: 'T',
        deliveryChannels: [{ channel: 'iiif-av', policy: 'default-audio' }],
        duration: 138_930,
        string1: 'av',
        finished: FINISHED,
      },
      await page(a, 1, 'hidden', { deliveryChannels: [{ channel: 'none', policy: 'none' }] }),
      await page(a, 2, 'p1', { string1: 'b3', number1: 1 }),
      // Customer B: the same book reference, and a query name A does not have.
      await page(b, 1, 'secret', { string1: 'b1', number1: 1 }),
    ],
  });
  await prisma.namedQuery.createMany({
    data: [
      { customerId: a, name: 'book', template: 'manifest=s1&canvas=n1&s1=p1&space=p2' },
      { customerId: a, name: 'bytag', template: 'tag=p1' },
      { customerId: a, name: 'byref', template: 's1=p1&assetOrder=n1 desc' }, // A's own beats the global one
      { customerId: b, name: 'book', template: 's1=p1' },
      { customerId: b, name: 'b-only', template: 's1=p1' },
      { customerId: admin.id, name: 'shared', template: 'manifest=s1&s1=p1&canvas=n1', global: true },
      { customerId: admin.id, name: 'byref', template: 's1=p1', global: true },
    ],
  });

  app = await startApp(rawEnv, true);
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  hostApp = await startApp(
    {
      ...rawEnv,
      VELLUM_DELIVERY_URL: undefined,
      VELLUM_TRUSTED_PROXIES: '127.0.0.1',
      VELLUM_NAMED_QUERY_MAX_ASSETS: '2',
      SERVICE_INSTANCE: `pres-test-host-${vhost.id}`,
    },
    false,
  );
  hostPort = (hostApp.getHttpServer().address() as { port: number }).port;
});

afterAll(async () => {
  await hostApp?.close();
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(storageRoot, { recursive: true, force: true });
  for (const d of cacheDirs) await rm(d, { recursive: true, force: true });
});

/** The problem document of a response: status, content type and the JSON body. */
async function problem(res: Response): Promise<{ status: number; type: string | null; detail: string }> {
  const body = await json(res);
  expect(body['@type']).toBe('Error');
  expect(body.status).toBe(res.status);
  return { status: res.status, type: res.headers.get('content-type'), detail: body.detail };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const canvasIds = (m: any): string[] => m.items.map((c: any) => c.id);
const canvasOf = (c: number, s: number, id: string) => `${PUBLIC}/iiif-manifest/${c}/${s}/${id}/canvas/c/1`;

describe('/iiif-manifest/{c}/{s}/{id} (single asset)', () => {
  it('serves a schema-valid 3.0 manifest with ids from the public base, the IIIF content type, CORS and validators', async () => {
    const res = await get(`/iiif-manifest/${a}/1/p1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(V3_TYPE);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBe('Accept');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    expect(res.headers.get('last-modified')).toBe(
      (
        await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId: a, spaceId: 1, id: 'p1' } },
        })
      ).updated.toUTCString(),
    );
    const m = await json(res);
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m).toMatchObject({
      '@context': 'http://iiif.io/api/presentation/3/context.json',
      id: `${PUBLIC}/iiif-manifest/${a}/1/p1`,
      type: 'Manifest',
      label: { none: ['p1'] },
    });
    expect(canvasIds(m)).toEqual([canvasOf(a, 1, 'p1')]);
    const body = m.items[0].items[0].items[0].body;
    expect(m.items[0]).toMatchObject({ width: W, height: H });
    expect(body.service).toEqual([
      { id: `${PUBLIC}/iiif-img/${a}/1/p1`, type: 'ImageService3', profile: 'level2' },
      {
        '@id': `${PUBLIC}/iiif-img/v2/${a}/1/p1`,
        '@type': 'ImageService2',
        profile: 'http://iiif.io/api/image/2/level2.json',
      },
    ]);
  });

  it('names the customer by id in every id, whether the URL gives its id or its name', async () => {
    const byName = await json(await get('/iiif-manifest/pres-a/1/p1'));
    expect(byName.id).toBe(`${PUBLIC}/iiif-manifest/${a}/1/p1`);
    expect(byName).toEqual(await json(await get(`/iiif-manifest/${a}/1/p1`)));
  });

  it('every link it advertises resolves: both image services, the thumbs service and each image', async () => {
    const m = await json(await get(`/iiif-manifest/${a}/1/p1`));
    const local = (u: string) => u.replace(PUBLIC, '');
    const canvas = m.items[0];
    const body = canvas.items[0].items[0].body;
    const v3 = await get(`${local(body.service[0].id)}/info.json`);
    expect(v3.status).toBe(200);
    expect((await json(v3)).id).toBe(body.service[0].id);
    const v2 = await get(`${local(body.service[1]['@id'])}/info.json`);
    expect((await json(v2))['@id']).toBe(body.service[1]['@id']);
    const level0 = await json(await get(`${local(canvas.thumbnail[0].service[0].id)}/info.json`));
    expect(level0).toMatchObject({ id: canvas.thumbnail[0].service[0].id, profile: 'level0' });
    for (const image of [body, canvas.thumbnail[0]]) {
      const res = await get(local(image.id));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual({
        width: image.width,
        height: image.height,
      });
    }
  });

  it('answers conditional requests with 304 (If-None-Match, If-Modified-Since)', async () => {
    const first = await get(`/iiif-manifest/${a}/1/p1`);
    const etag = first.headers.get('etag')!;
    const again = await get(`/iiif-manifest/${a}/1/p1`, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('vary')).toBe('Accept');
    const since = await get(`/iiif-manifest/${a}/1/p1`, {
      'If-Modified-Since': first.headers.get('last-modified')!,
    });
    expect(since.status).toBe(304);
    expect((await get(`/iiif-manifest/${a}/1/p1`, { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('2.1 with /v2/ or an Accept profile on the unversioned URL; /v3/ is the 3.0 manifest', async () => {
    const v2 = await get(`/iiif-manifest/v2/${a}/1/p1`);
    expect(v2.status).toBe(200);
    expect(v2.headers.get('content-type')).toBe(V2_TYPE);
    const doc = await json(v2);
    expect(doc).toMatchObject({
      '@context': 'http://iiif.io/api/presentation/2/context.json',
      '@id': `${PUBLIC}/iiif-manifest/v2/${a}/1/p1`,
      '@type': 'sc:Manifest',
    });
    expect(doc.sequences[0].canvases[0].images[0].resource.service['@id']).toBe(
      `${PUBLIC}/iiif-img/v2/${a}/1/p1`,
    );
    expect(presentation3SchemaErrors(upgradePresentation2(doc))).toEqual([]);
    const negotiated = await get(`/iiif-manifest/${a}/1/p1`, {
      Accept: 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"',
    });
    expect(negotiated.headers.get('content-type')).toBe(V2_TYPE);
    expect(await json(negotiated)).toEqual(doc);
    expect(negotiated.headers.get('etag')).not.toBe(
      (await get(`/iiif-manifest/${a}/1/p1`)).headers.get('etag'),
    );
    const v3 = await get(`/iiif-manifest/v3/${a}/1/p1`);
    expect(v3.headers.get('content-type')).toBe(V3_TYPE);
    expect((await json(v3)).id).toBe(`${PUBLIC}/iiif-manifest/${a}/1/p1`);
  });

  it('a restricted asset: the Auth 2.0 probe on its image service, Cache-Control private', async () => {
    const res = await get(`/iiif-manifest/${a}/1/locked`);
    expect(res.headers.get('cache-control')).toBe('private, max-age=3600');
    const m = await json(res);
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m['@context']).toEqual([
      'http://iiif.io/api/auth/2/context.json',
      'http://iiif.io/api/presentation/3/context.json',
    ]);
    expect(m.items[0].items[0].items[0].body.service[0].service).toEqual([
      { id: `${PUBLIC}/auth/v2/probe/${a}/1/locked`, type: 'AuthProbeService2' },
    ]);
  });

  it('an audio asset: a canvas with its duration in 3.0; no 2.1 manifest', async () => {
    const m = await json(await get(`/iiif-manifest/${a}/1/track`));
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m.items[0]).toMatchObject({ type: 'Canvas', duration: 138.93 });
    const v2 = await get(`/iiif-manifest/v2/${a}/1/track`);
    expect(await problem(v2)).toEqual({
      status: 404,
      type: 'application/problem+json; charset=utf-8',
      detail: `Asset ${a}/1/track has no Presentation 2.1 manifest: 2.1 manifests are served for image assets only (its 3.0 manifest is /iiif-manifest/${a}/1/track)`,
    });
  });

  it('a file-only asset: a 3.0 manifest with the original as its rendering', async () => {
    const m = await json(await get(`/iiif-manifest/${a}/1/notes`));
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m.items).toEqual([]);
    expect(m.rendering).toEqual([
      {
        id: `${PUBLIC}/file/${a}/1/notes`,
        type: 'Text',
        label: { none: ['notes'] },
        format: 'application/pdf',
      },
    ]);
  });

  it.each<[string, number, string]>([
    [
      '/iiif-manifest/v4/{a}/1/p1',
      400,
      'Unknown IIIF Presentation API version v4: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
    ],
    ['/iiif-manifest/{a}/1/busy', 404, 'Asset {a}/1/busy is still being ingested; try again shortly'],
    ['/iiif-manifest/{a}/1/nope', 404, 'Asset {a}/1/nope not found'],
    ['/iiif-manifest/{a}/9/p1', 404, 'Space {a}/9 not found'],
    ['/iiif-manifest/nobody/1/p1', 404, 'Customer nobody not found'],
    [
      '/iiif-manifest/{a}/1/hidden',
      404,
      'Asset {a}/1/hidden has no IIIF manifest: it is not delivered on any channel a manifest shows (iiif-img, thumbs, iiif-av, file)',
    ],
    ['/iiif-manifest/{b}/1/p1', 404, 'Asset {b}/1/p1 not found'],
    ['/iiif-manifest/{a}/1', 404, 'No such manifest: /iiif-manifest/{a}/1'],
  ])('%s → %d problem', async (p, status, detail) => {
    const fill = (s: string) => s.replace(/\{a\}/g, String(a)).replace(/\{b\}/g, String(b));
    const res = await get(fill(p));
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await problem(res)).toEqual({
      status,
      type: 'application/problem+json; charset=utf-8',
      detail: fill(detail),
    });
  });
});

describe('/iiif-resource/{c}/{query}/{args...} (named-query manifests)', () => {
  it('one canvas per asset in the query order, files as renderings, not-ready assets left out; label from manifest=', async () => {
    const res = await get(`/iiif-resource/${a}/book/b1/1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(V3_TYPE);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBe('Accept');
    const m = await json(res);
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m.id).toBe(`${PUBLIC}/iiif-resource/${a}/book/b1/1`);
    expect(m.label).toEqual({ none: ['b1'] });
    expect(canvasIds(m)).toEqual(['p1', 'p2', 'p3'].map((id) => canvasOf(a, 1, id)));
    expect(m.rendering).toEqual([
      {
        id: `${PUBLIC}/file/${a}/1/notes`,
        type: 'Text',
        label: { none: ['notes'] },
        format: 'application/pdf',
      },
    ]);
    expect(m.thumbnail).toEqual(m.items[0].thumbnail);
    // The canvas of an asset is the same as in its single-asset manifest.
    expect((await json(await get(`/iiif-manifest/${a}/1/p2`))).items[0]).toEqual(m.items[1]);
  });

  it('ETag and Last-Modified from the newest member, conditional requests, customer by name', async () => {
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId: a, spaceId: 1, id: 'p2' } },
      data: { string2: 'touched' },
    });
    const newest = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: a, spaceId: 1, id: 'p2' } },
    });
    const res2 = await get('/iiif-resource/pres-a/book/b1');
    expect(res2.status).toBe(200);
    expect(res2.headers.get('last-modified')).toBe(newest.updated.toUTCString());
    const etag = res2.headers.get('etag')!;
    expect((await get('/iiif-resource/pres-a/book/b1', { 'If-None-Match': etag })).status).toBe(304);
    expect(
      (await get('/iiif-resource/pres-a/book/b1', { 'If-Modified-Since': newest.updated.toUTCString() }))
        .status,
    ).toBe(304);
    // The customer as given in the URL stays in the manifest id.
    expect((await json(res2)).id).toBe(`${PUBLIC}/iiif-resource/pres-a/book/b1`);
  });

  it('2.1 with /v2/ (AV and file assets left out) or Accept; /v3/ is 3.0', async () => {
    const v2 = await get(`/iiif-resource/v2/${a}/book/b1`);
    expect(v2.headers.get('content-type')).toBe(V2_TYPE);
    const doc = await json(v2);
    expect(doc['@id']).toBe(`${PUBLIC}/iiif-resource/v2/${a}/book/b1`);
    expect(doc.sequences[0].canvases.map((c: { '@id': string }) => c['@id'])).toEqual(
      ['p1', 'p2', 'p3'].map((id) => canvasOf(a, 1, id)),
    );
    expect(presentation3SchemaErrors(upgradePresentation2(doc))).toEqual([]);
    const negotiated = await get(`/iiif-resource/${a}/book/b1`, {
      Accept: 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"',
    });
    expect(await json(negotiated)).toEqual(doc);
    expect((await json(await get(`/iiif-resource/v3/${a}/book/b1`))).id).toBe(
      `${PUBLIC}/iiif-resource/${a}/book/b1`,
    );
    // Only an audio asset matches: no 2.1 manifest.
    expect(await problem(await get(`/iiif-resource/v2/${a}/byref/av`))).toMatchObject({
      status: 404,
      detail:
        'Named query byref/av matches 1 asset and none is an image: Presentation 2.1 manifests show image assets only (ask for the 3.0 manifest)',
    });
  });

  it('arguments are percent-decoded and trailing ones may be omitted', async () => {
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId: a, spaceId: 2, id: 'p1' } },
      data: { string1: 'b3/x y' },
    });
    const m = await json(await get(`/iiif-resource/${a}/book/b3%2Fx%20y`));
    expect(canvasIds(m)).toEqual([canvasOf(a, 2, 'p1')]);
    expect(m.id).toBe(`${PUBLIC}/iiif-resource/${a}/book/b3%2Fx%20y`);
    expect(m.label).toEqual({ none: ['b3/x y'] });
  });

  it("a global query (the admin's) runs over the requesting customer's assets only", async () => {
    const m = await json(await get(`/iiif-resource/${a}/shared/b1`));
    expect(canvasIds(m)).toEqual(['p1', 'p2', 'p3'].map((id) => canvasOf(a, 1, id)));
    const forB = await json(await get(`/iiif-resource/${b}/shared/b1`));
    expect(canvasIds(forB)).toEqual([canvasOf(b, 1, 'secret')]);
    // The customer's own query of the same name wins over the global one (A's orders by number1 descending).
    expect(canvasIds(await json(await get(`/iiif-resource/${a}/byref/b1`)))).toEqual(
      ['p3', 'p2', 'p1'].map((id) => canvasOf(a, 1, id)),
    );
    expect(canvasIds(await json(await get(`/iiif-resource/${b}/byref/b1`)))).toEqual([
      canvasOf(b, 1, 'secret'),
    ]);
  });

  it("never shows another customer's assets, whatever the query", async () => {
    for (const p of [
      `/iiif-resource/${a}/book/b1`,
      `/iiif-resource/${a}/shared/b1`,
      `/raw-resource/${a}/shared/b1`,
    ]) {
      expect(await (await get(p)).text()).not.toContain('secret');
    }
    expect(await problem(await get(`/iiif-resource/${a}/b-only/b1`))).toMatchObject({
      status: 404,
      detail: `Named query b-only not found for customer ${a}`,
    });
  });

  it.each<[string, number, string]>([
    ['/iiif-resource/{a}/nope/b1', 404, 'Named query nope not found for customer {a}'],
    ['/iiif-resource/{a}/book/zzz', 404, 'Named query book/zzz matches no assets of customer {a}'],
    [
      '/iiif-resource/{a}/book/b1/x',
      400,
      'Named query book: argument p2 for space must be a positive integer, not "x"',
    ],
    [
      '/iiif-resource/{a}/book/b1/0',
      400,
      'Named query book: argument p2 for space must be a positive integer, not "0"',
    ],
    [
      '/iiif-resource/{a}/book',
      400,
      'Named query book: this named query takes up to 2 arguments; none given',
    ],
    // Express rejects the malformed escape before routing, with a problem document all the same.
    ['/iiif-resource/{a}/book/%E0%A4%A', 400, "Failed to decode param '%E0%A4%A'"],
    [
      '/iiif-resource/v4/{a}/book/b1',
      400,
      'Unknown IIIF Presentation API version v4: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
    ],
    ['/iiif-resource/nobody/book/b1', 404, 'Customer nobody not found'],
    ['/iiif-resource/{a}', 404, 'No such named query: /iiif-resource/{a}'],
  ])('%s → %d problem', async (p, status, detail) => {
    const fill = (s: string) => s.replace(/\{a\}/g, String(a));
    const res = await get(fill(p));
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await problem(res)).toEqual({
      status,
      type: 'application/problem+json; charset=utf-8',
      detail: fill(detail),
    });
  });

  it('a query matching more than VELLUM_NAMED_QUERY_MAX_ASSETS → 400 naming the bound', async () => {
    const res = await rawGet(hostPort, `/iiif-resource/${a}/book/b1`, { Host: `127.0.0.1:${hostPort}` });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toBe(
      'Named query book/b1 matches more than 2 assets (VELLUM_NAMED_QUERY_MAX_ASSETS): give it arguments that select fewer',
    );
  });

  it('ids from the request Host, or X-Forwarded-Host/-Proto from a trusted proxy', async () => {
    const byHost = await rawGet(hostPort, `/iiif-resource/${a}/bytag/cover`, {
      Host: `localhost:${hostPort}`,
    });
    const m = JSON.parse(byHost.body);
    expect(m.id).toBe(`http://localhost:${hostPort}/iiif-resource/${a}/bytag/cover`);
    expect(m.items[0].id).toBe(`http://localhost:${hostPort}/iiif-manifest/${a}/1/p1/canvas/c/1`);
    const proxied = await rawGet(hostPort, `/iiif-manifest/${a}/1/p1`, {
      Host: `127.0.0.1:${hostPort}`,
      'X-Forwarded-Host': 'images.example.net',
      'X-Forwarded-Proto': 'https',
    });
    const single = JSON.parse(proxied.body);
    expect(single.id).toBe(`https://images.example.net/iiif-manifest/${a}/1/p1`);
    expect(single.items[0].items[0].items[0].body.service[0].id).toBe(
      `https://images.example.net/iiif-img/${a}/1/p1`,
    );
  });
});

describe('/raw-resource/{c}/{query}/{args...}', () => {
  it('the JSON array of customer/space/id in order, the integer customer id even by name', async () => {
    for (const c of [String(a), 'pres-a']) {
      const res = await get(`/raw-resource/${c}/book/b1/1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await json(res)).toEqual([`${a}/1/p1`, `${a}/1/p2`, `${a}/1/p3`, `${a}/1/notes`]);
    }
    const etag = (await get(`/raw-resource/${a}/book/b1/1`)).headers.get('etag')!;
    expect((await get(`/raw-resource/${a}/book/b1/1`, { 'If-None-Match': etag })).status).toBe(304);
  });

  it.each<[string, number, string]>([
    ['/raw-resource/{a}/nope', 404, 'Named query nope not found for customer {a}'],
    ['/raw-resource/{a}/book/zzz', 404, 'Named query book/zzz matches no assets of customer {a}'],
    [
      '/raw-resource/{a}/book/b1/x',
      400,
      'Named query book: argument p2 for space must be a positive integer, not "x"',
    ],
    ['/raw-resource/v2/book/b1', 404, 'Customer v2 not found'],
  ])('%s → %d problem', async (p, status, detail) => {
    const fill = (s: string) => s.replace(/\{a\}/g, String(a));
    expect(await problem(await get(fill(p)))).toEqual({
      status,
      type: 'application/problem+json; charset=utf-8',
      detail: fill(detail),
    });
  });
});

describe('cache invalidation by asset events', () => {
  it('an asset.updated.v1 of the customer refreshes its named-query projections (order, members)', async () => {
    const before = await get(`/raw-resource/${a}/book/b1/1`);
    const listed = await json(before);
    expect(listed).toEqual([`${a}/1/p1`, `${a}/1/p2`, `${a}/1/p3`, `${a}/1/notes`]);
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId: a, spaceId: 1, id: 'p1' } },
      data: { number1: 10 },
    });
    // Cached (long TTL here) until the event arrives.
    expect(await json(await get(`/raw-resource/${a}/book/b1/1`))).toEqual(listed);
    expect(canvasIds(await json(await get(`/iiif-resource/${a}/book/b1/1`)))[0]).toBe(canvasOf(a, 1, 'p1'));
    // Another customer's event leaves A's projections alone.
    await app
      .get(MessagePublisher)
      .publish(Object.assign(new AssetUpdatedV1(), { customerId: b, spaceId: 1, assetId: 'secret' }));
    const event = Object.assign(new AssetUpdatedV1(), { customerId: a, spaceId: 1, assetId: 'p1' });
    await app.get(MessagePublisher).publish(event);
    await waitFor(
      async () =>
        JSON.stringify(await json(await get(`/raw-resource/${a}/book/b1/1`))) ===
        JSON.stringify([`${a}/1/p2`, `${a}/1/p3`, `${a}/1/notes`, `${a}/1/p1`]),
      { timeoutMs: 10_000, description: 'the new order after asset.updated.v1' },
    );
    const m = await json(await get(`/iiif-resource/${a}/book/b1/1`));
    expect(canvasIds(m)).toEqual(['p2', 'p3', 'p1'].map((id) => canvasOf(a, 1, id)));
    const etag = (await get(`/raw-resource/${a}/book/b1/1`)).headers.get('etag');
    expect(etag).not.toBe(before.headers.get('etag'));
  });
});
