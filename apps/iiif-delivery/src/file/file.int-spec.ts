import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { createPrismaClient, type Prisma, type PrismaClient } from '@vellum/db';
import { createTransport } from '@vellum/messaging';
import {
  bucketsFromEnv,
  createObjectStore,
  type ObjectStore,
  originKey,
  storageConfigFromEnv,
  type VellumBuckets,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  type S3TestServer,
  type TestDatabase,
  type TestVhost,
  waitFor,
} from '@vellum/testing';
import { deliveryRootModule, SERVICE_NAME } from '../app.module';
import { DeliveryEnv } from '../env';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../main';

jest.setTimeout(120_000);

/**
 * The `file` delivery channel (SPEC.md §4.5, §5) through the real iiif-delivery, Postgres, RabbitMQ and an
 * S3-protocol server (s3rver) holding real fixtures: whole files sha256-equal to the fixture, HEAD, byte ranges
 * (RFC 9110 §14), conditional requests, the 404/401 cases, an optimised origin read from the customer's own
 * bucket, a client abort releasing the store stream, and a store outage answered 503.
 */
const SPACE = 5;
const MASTERS = 'customer-masters';
/** Big enough that the response is still streaming when the client goes away (loopback buffers hold a few MiB). */
const BIG_BYTES = 32 * 1024 * 1024;

let db: TestDatabase;
let vhost: TestVhost;
let s3: S3TestServer;
let prisma: PrismaClient;
let store: ObjectStore;
let buckets: VellumBuckets;
let app: INestApplication;
let downApp: INestApplication | undefined;
let cacheDir: string;
let baseUrl: string;
let customerId: number;
/** When the seeded assets finished ingesting: after their objects were stored, as in a real ingest. */
let FINISHED: Date;
let pdf: Buffer;
let mp3: Buffer;
let jpg: Buffer;
/** Every stream the delivery app opened on the store, in order. */
const opened: Readable[] = [];

const sha256 = (b: Buffer | ArrayBuffer) =>
  createHash('sha256')
    .update(Buffer.isBuffer(b) ? b : Buffer.from(b))
    .digest('hex');
const f = (id: string, c: string | number = customerId) => `/file/${c}/${SPACE}/${encodeURIComponent(id)}`;

async function get(
  p: string,
  headers: Record<string, string> = {},
  method = 'GET',
  base = baseUrl,
): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(`${base}${p}`, { headers, method, redirect: 'manual' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const problemOf = (body: Buffer): any => JSON.parse(body.toString('utf8'));

/** The real S3 store, recording every stream `get` hands out (to check that none is left open). */
function recording(inner: ObjectStore): ObjectStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'get') {
        return async (...args: Parameters<ObjectStore['get']>) => {
          const stream = await target.get(...args);
          opened.push(stream);
          return stream;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function boot(env: DeliveryEnv, objectStore: ObjectStore): Promise<INestApplication> {
  return bootstrapService(deliveryRootModule(env, { objectStore }), {
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
}

const urlOf = (a: INestApplication) =>
  `http://127.0.0.1:${(a.getHttpServer().address() as { port: number }).port}`;

beforeAll(async () => {
  [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-file-cache-'));
  const rawEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: 'https://images.example.org',
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `file-test-${vhost.id}`,
    ...s3.env,
  };
  const env = validateEnv(DeliveryEnv, rawEnv);
  buckets = bucketsFromEnv(env);
  store = createObjectStore(storageConfigFromEnv(env));
  await store.ensureBucket(buckets.origins);
  await store.ensureBucket(MASTERS);
  prisma = createPrismaClient(db.url);
  [pdf, mp3, jpg] = await Promise.all(
    ['document-multipage.pdf', 'audio.mp3', 'photo-large.jpg'].map((n) => readFile(fixturePath(n))),
  );

  customerId = (await prisma.customer.create({ data: { name: 'file-test', displayName: 'Files' } })).id;
  await prisma.space.create({ data: { customerId, id: SPACE, name: 'files' } });
  await prisma.customHeader.create({ data: { customerId, key: 'X-Served-By', value: 'vellum-files' } });
  const keyOf = (id: string) => originKey({ customerId, spaceId: SPACE, assetId: id });
  const stored = async (id: string, bytes: Buffer | Readable, bucket = buckets.origins, key = keyOf(id)) => {
    const { size } = await store.put(bucket, key, bytes);
    return { original: { bucket, key, size } };
  };
  const file = [{ channel: 'file', policy: 'none' }];
  const rows: Array<Partial<Prisma.AssetCreateManyInput> & { id: string }> = [
    { id: 'doc.pdf', mediaType: 'application/pdf', derivatives: await stored('doc.pdf', pdf) },
    {
      id: 'audio',
      mediaType: 'audio/mpeg',
      deliveryChannels: [{ channel: 'iiif-av', policy: 'default-audio' }, ...file],
      duration: 138_930,
      derivatives: { transcodes: [], ...(await stored('audio', mp3)) },
    },
    {
      id: 'photo',
      mediaType: 'image/jpeg',
      width: 5312,
      height: 2988,
      deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }, ...file],
      derivatives: await stored('photo', jpg),
    },
    // An optimised s3-ambient origin: derivatives name the customer's own object, no copy in the platform.
    {
      id: 'optimised',
      mediaType: 'application/pdf',
      derivatives: await stored('optimised', pdf, MASTERS, 'scans/In CC0 (1).pdf'),
    },
    {
      id: 'mutable',
      mediaType: 'text/plain',
      derivatives: await stored('mutable', Buffer.from('one'), MASTERS),
    },
    { id: 'empty', mediaType: 'text/plain', derivatives: await stored('empty', Buffer.alloc(0)) },
    {
      id: 'page.html',
      mediaType: 'text/html',
      derivatives: await stored('page.html', Buffer.from('<script>alert(1)</script>')),
    },
    { id: 'café 1', mediaType: 'application/pdf', derivatives: await stored('café 1', pdf) },
    {
      id: 'big',
      mediaType: 'application/octet-stream',
      derivatives: await stored(
        'big',
        Readable.from(Array.from({ length: 32 }, () => randomBytes(BIG_BYTES / 32))),
      ),
    },
    {
      id: 'image-only',
      mediaType: 'image/jpeg',
      deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
      derivatives: await stored('image-only', jpg),
    },
    { id: 'busy', mediaType: 'application/pdf', ingesting: true, finished: null },
    { id: 'failed', mediaType: 'application/pdf', error: 'Origin not found (s3://x/y.pdf)' },
    // The record names an original the store does not hold.
    {
      id: 'gone',
      mediaType: 'application/pdf',
      derivatives: { original: { bucket: buckets.origins, key: keyOf('gone'), size: 10 } },
    },
    { id: 'no-original', mediaType: 'application/pdf', derivatives: {} },
    {
      id: 'restricted',
      mediaType: 'application/pdf',
      roles: ['https://api.example.org/customers/1/roles/staff'],
      derivatives: await stored('restricted', pdf),
    },
  ];
  // Whole seconds, as HTTP dates carry, and after every put above.
  FINISHED = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  await prisma.asset.createMany({
    data: rows.map((r) => ({
      customerId,
      spaceId: SPACE,
      deliveryChannels: file,
      finished: FINISHED,
      ...r,
    })) as Prisma.AssetCreateManyInput[],
  });

  app = await boot(env, recording(store));
  baseUrl = urlOf(app);
});

afterAll(async () => {
  await downApp?.close();
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop(), s3?.stop()]);
  await rm(cacheDir, { recursive: true, force: true });
});

describe('whole files', () => {
  it('serves the original byte for byte with its media type, length, validators and CORS', async () => {
    const { res, body } = await get(f('doc.pdf'), { Origin: 'https://viewer.example' });
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(pdf));
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe(String(pdf.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="doc.pdf"');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers.get('last-modified')).toBe(FINISHED.toUTCString());
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Content-Range/);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Accept-Ranges/);
    // The customer's custom headers, as on image responses.
    expect(res.headers.get('x-served-by')).toBe('vellum-files');
  });

  it('serves audio and an image original too, and finds the customer by name', async () => {
    const audio = await get(f('audio'));
    expect(audio.res.status).toBe(200);
    expect(audio.res.headers.get('content-type')).toBe('audio/mpeg');
    expect(sha256(audio.body)).toBe(sha256(mp3));
    const photo = await get(f('photo', 'file-test'));
    expect(photo.res.status).toBe(200);
    expect(photo.res.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(photo.body)).toBe(sha256(jpg));
  });

  it('serves an optimised original from the customer’s own bucket, not a platform bucket', async () => {
    const { res, body } = await get(f('optimised'));
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(pdf));
    expect(
      await store.stat(buckets.origins, originKey({ customerId, spaceId: SPACE, assetId: 'optimised' })),
    ).toBe(null);
    const part = await get(f('optimised'), { Range: 'bytes=0-99' });
    expect(part.res.status).toBe(206);
    expect(part.body.equals(pdf.subarray(0, 100))).toBe(true);
  });

  it('gives a new ETag when the stored object changes (an optimised origin replaced by its owner)', async () => {
    const before = await get(f('mutable'));
    expect(before.body.toString()).toBe('one');
    const etag = before.res.headers.get('etag')!;
    expect((await get(f('mutable'), { 'If-None-Match': etag })).res.status).toBe(304);
    await store.put(
      MASTERS,
      originKey({ customerId, spaceId: SPACE, assetId: 'mutable' }),
      Buffer.from('two!'),
    );
    const after = await get(f('mutable'), { 'If-None-Match': etag });
    expect(after.res.status).toBe(200);
    expect(after.body.toString()).toBe('two!');
    expect(after.res.headers.get('content-length')).toBe('4');
    expect(after.res.headers.get('etag')).not.toBe(etag);
    // Stored after the ingest finished: the object's own time is the Last-Modified.
    expect(Date.parse(after.res.headers.get('last-modified')!)).toBeGreaterThanOrEqual(FINISHED.getTime());
  });

  it('answers HEAD with the headers of GET and no body, ignoring Range (RFC 9110 §14.2)', async () => {
    const full = await get(f('doc.pdf'));
    for (const headers of [{}, { Range: 'bytes=0-99' }] as Array<Record<string, string>>) {
      const { res, body } = await get(f('doc.pdf'), headers, 'HEAD');
      expect(res.status).toBe(200);
      expect(body.length).toBe(0);
      expect(res.headers.get('content-length')).toBe(String(pdf.length));
      expect(res.headers.get('content-range')).toBeNull();
      for (const h of ['content-type', 'etag', 'last-modified', 'accept-ranges', 'content-disposition'])
        expect({ h, v: res.headers.get(h) }).toEqual({ h, v: full.res.headers.get(h) });
    }
  });

  it('serves an empty original as 200 with Content-Length 0; any range of it is unsatisfiable', async () => {
    const { res, body } = await get(f('empty'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(body.length).toBe(0);
    const range = await get(f('empty'), { Range: 'bytes=0-' });
    expect(range.res.status).toBe(416);
    expect(range.res.headers.get('content-range')).toBe('bytes */0');
  });

  it('names the file safely and keeps HTML from scripting the delivery host', async () => {
    const cafe = await get(f('café 1'));
    expect(cafe.res.status).toBe(200);
    expect(cafe.res.headers.get('content-disposition')).toBe(
      `inline; filename="caf_ 1"; filename*=UTF-8''caf%C3%A9%201`,
    );
    const html = await get(f('page.html'));
    expect(html.res.status).toBe(200);
    expect(html.res.headers.get('content-type')).toBe('text/html');
    expect(html.res.headers.get('content-security-policy')).toBe('sandbox');
    expect(html.res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('byte ranges (RFC 9110 §14)', () => {
  const size = () => pdf.length;

  it.each<[string, (n: number) => [number, number]]>([
    ['bytes=0-99', () => [0, 99]],
    ['bytes=-500', (n) => [n - 500, n - 1]],
    ['bytes=1000-', (n) => [1000, n - 1]],
    ['bytes=100-999999999', (n) => [100, n - 1]],
    // s3rver answers a one-byte range with the whole object: delivery still sends exactly one byte.
    ['bytes=0-0', () => [0, 0]],
    ['bytes=0-9,5-19', () => [0, 19]],
  ])('%s → 206 with exactly those bytes', async (range, expected) => {
    const [start, end] = expected(size());
    const { res, body } = await get(f('doc.pdf'), { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size()}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(body.equals(pdf.subarray(start, end + 1))).toBe(true);
  });

  it('answers a range past the end 416 with Content-Range: bytes */size, as a problem', async () => {
    for (const range of [`bytes=${size()}-`, `bytes=${size() + 10}-${size() + 20}`, 'bytes=-0']) {
      const { res, body } = await get(f('doc.pdf'), { Range: range });
      expect({ range, status: res.status }).toEqual({ range, status: 416 });
      expect(res.headers.get('content-range')).toBe(`bytes */${size()}`);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(problemOf(body)).toMatchObject({ status: 416 });
    }
  });

  it('answers several disjoint ranges, an invalid Range or another unit with the whole file (200)', async () => {
    for (const range of ['bytes=0-9,100-109', 'bytes=abc', 'bytes=9-5', 'items=0-9']) {
      const { res, body } = await get(f('doc.pdf'), { Range: range });
      expect({ range, status: res.status }).toEqual({ range, status: 200 });
      expect(res.headers.get('content-range')).toBeNull();
      expect(sha256(body)).toBe(sha256(pdf));
    }
  });

  it('honours If-Range: a matching ETag or date keeps the range, anything else sends the whole file', async () => {
    const { res: first } = await get(f('doc.pdf'), {}, 'HEAD');
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    for (const [ifRange, status] of [
      [etag, 206],
      [lastModified, 206],
      ['"stale"', 200],
      [new Date(FINISHED.getTime() - 60_000).toUTCString(), 200],
    ] as const) {
      const { res, body } = await get(f('doc.pdf'), { Range: 'bytes=0-99', 'If-Range': ifRange });
      expect({ ifRange, status: res.status }).toEqual({ ifRange, status });
      expect(body.length).toBe(status === 206 ? 100 : pdf.length);
    }
  });

  it('serves ranges of audio (seeking in a media element)', async () => {
    const { res, body } = await get(f('audio'), { Range: 'bytes=1000000-' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 1000000-${mp3.length - 1}/${mp3.length}`);
    expect(body.equals(mp3.subarray(1_000_000))).toBe(true);
  });
});

describe('conditional requests', () => {
  it('answers If-None-Match and If-Modified-Since with 304 and no body, before any Range', async () => {
    const { res: first } = await get(f('doc.pdf'), {}, 'HEAD');
    const etag = first.headers.get('etag')!;
    for (const headers of [
      { 'If-None-Match': etag },
      { 'If-None-Match': `"x", ${etag}` },
      { 'If-None-Match': '*' },
      { 'If-Modified-Since': FINISHED.toUTCString() },
      { 'If-None-Match': etag, Range: 'bytes=0-99' },
    ] as Array<Record<string, string>>) {
      const { res, body } = await get(f('doc.pdf'), headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 304 });
      expect(body.length).toBe(0);
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    }
    const stale = await get(f('doc.pdf'), { 'If-None-Match': '"stale"' });
    expect(stale.res.status).toBe(200);
    const older = await get(f('doc.pdf'), {
      'If-Modified-Since': new Date(FINISHED.getTime() - 60_000).toUTCString(),
    });
    expect(older.res.status).toBe(200);
  });

  it('answers the CORS preflight of a range request', async () => {
    const { res } = await get(
      f('doc.pdf'),
      {
        Origin: 'https://viewer.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range, if-range',
      },
      'OPTIONS',
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/range/i);
  });
});

describe('errors', () => {
  it.each<[string, string, number, RegExp]>([
    ['unknown customer', '/file/no-such-customer/5/doc.pdf', 404, /Customer no-such-customer not found/],
    ['unknown space', '/file/file-test/99/doc.pdf', 404, /Space .*99 not found/],
    ['unknown asset', '/file/file-test/5/nope', 404, /not found/],
    ['not on the file channel', '/file/file-test/5/image-only', 404, /not delivered on the file channel/],
    ['still ingesting', '/file/file-test/5/busy', 404, /still being ingested/],
    ['ingest failed', '/file/file-test/5/failed', 404, /ingest failed/],
    ['object missing from the store', '/file/file-test/5/gone', 404, /original of asset .* is missing/],
    ['no original recorded', '/file/file-test/5/no-original', 404, /has no stored original/],
    ['restricted', '/file/file-test/5/restricted', 401, /requires authorisation/],
    ['extra path segment', '/file/file-test/5/doc.pdf/extra', 404, /No such resource/],
    ['missing id', '/file/file-test/5', 404, /No such resource/],
    ['control character', '/file/file-test/5/a%00b', 400, /control character/],
  ])('%s (%s) → %d problem', async (_name, p, status, detail) => {
    for (const method of ['GET', 'HEAD']) {
      const { res, body } = await get(p, {}, method);
      expect({ p, method, status: res.status }).toEqual({ p, method, status });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('etag')).toBeNull();
      if (method === 'GET') {
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const problem = problemOf(body);
        expect(problem).toMatchObject({ '@type': 'Error', status });
        expect(problem.detail).toMatch(detail);
        expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+|S3RVER/);
      }
    }
  });

  it('answers 503 with Retry-After, never 500 or a stack, when the object store is down', async () => {
    const deadPort = await freePort();
    const env = validateEnv(DeliveryEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'fatal',
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_DELIVERY_CACHE_DIR: cacheDir,
      SERVICE_INSTANCE: `file-test-down-${vhost.id}`,
      ...s3.env,
      S3_ENDPOINT: `http://127.0.0.1:${deadPort}`,
    });
    downApp = await boot(env, createObjectStore(storageConfigFromEnv(env)));
    const downUrl = urlOf(downApp);
    for (const headers of [{}, { Range: 'bytes=0-99' }] as Array<Record<string, string>>) {
      const { res, body } = await get(f('doc.pdf'), headers, 'GET', downUrl);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const problem = problemOf(body);
      expect(problem).toMatchObject({ '@type': 'Error', status: 503 });
      expect(problem.detail).toBe('The object store is unavailable; retry later');
      expect(body.toString()).not.toMatch(/ECONNREFUSED|S3RVER|stack/);
    }
    // The lookups still answer without the store.
    expect((await get(f('nope'), {}, 'GET', downUrl)).res.status).toBe(404);
  });
});

describe('streaming', () => {
  it('releases the store stream when the client goes away mid-file, and keeps serving', async () => {
    const before = opened.length;
    const received = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${baseUrl}${f('big')}`, { agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-length']).toBe(String(BIG_BYTES));
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err) => {
        if (!req.destroyed) reject(err);
      });
      req.end();
    });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(BIG_BYTES);
    await waitFor(() => opened.length > before, { timeoutMs: 30_000, description: 'the store stream' });
    const stream = opened[opened.length - 1];
    await waitFor(() => stream.destroyed, { timeoutMs: 30_000, description: 'the store stream destroyed' });
    // Destroyed before its end: not read to completion.
    expect(stream.readableEnded).toBe(false);
    await waitFor(
      async () =>
        /vellum_file_stream_interruptions_total\{[^}]*reason="client-aborted"[^}]*\} [1-9]/.test(
          await (await fetch(`${baseUrl}/metrics`)).text(),
        ),
      { timeoutMs: 30_000, description: 'the client-aborted interruption counted' },
    );
    // The service is unharmed.
    const next = await get(f('doc.pdf'), { Range: 'bytes=0-99' });
    expect(next.res.status).toBe(206);
  });

  it('closes every store stream it opened (none is left reading)', async () => {
    expect(opened.length).toBeGreaterThan(10);
    await waitFor(() => opened.every((s) => s.destroyed || s.readableEnded), {
      timeoutMs: 30_000,
      description: 'every store stream closed',
    });
  });

  it('labels its metrics with the route and how each request was answered', async () => {
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/file\/\*rest"[^}]*\} [1-9]/);
    for (const kind of ['whole', 'partial', 'head', 'not-modified', 'unsatisfiable'])
      expect(metrics).toMatch(new RegExp(`vellum_file_requests_total\\{[^}]*kind="${kind}"[^}]*\\} [1-9]`));
    expect(metrics).toMatch(/vellum_file_bytes_sent_total\{[^}]*\} [1-9]/);
  });
});
