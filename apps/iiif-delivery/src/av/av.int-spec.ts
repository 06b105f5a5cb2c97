import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { createPrismaClient, type Prisma, type PrismaClient } from '@vellum/db';
import { createTransport } from '@vellum/messaging';
import {
  bucketsFromEnv,
  createObjectStore,
  type ObjectStore,
  storageConfigFromEnv,
  type VellumBuckets,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  presentation3SchemaErrors,
  startS3Server,
  type S3TestServer,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../app.module';
import { DeliveryEnv } from '../env';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../main';

jest.setTimeout(180_000);

const run = promisify(execFile);

/**
 * The `iiif-av` delivery channel (SPEC.md §4.4, §5) through the real iiif-delivery, Postgres, RabbitMQ and an
 * S3-protocol server holding transcodes made from the real fixtures by the real ffmpeg (MP3, M4A, two MP4s and a
 * WebM): exact bytes of whole files and ranges, 416, conditional requests, HEAD, CORS, the preset names, the
 * 404/401 cases, and the manifest that paints them (every body URL served).
 */
const SPACE = 3;
const PUBLIC = 'https://images.example.org';

let db: TestDatabase;
let vhost: TestVhost;
let s3: S3TestServer;
let prisma: PrismaClient;
let store: ObjectStore;
let buckets: VellumBuckets;
let app: INestApplication;
let work: string;
let baseUrl: string;
let customerId: number;
/** The transcodes' bytes, by preset. */
const bytes: Record<string, Buffer> = {};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function get(
  p: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(`${baseUrl}${p}`, { headers, method, redirect: 'manual' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const problemOf = (body: Buffer): Json => JSON.parse(body.toString('utf8'));

/** Runs ffmpeg on a fixture, writing `out` in the work directory; returns the bytes. */
async function ffmpeg(fixture: string, out: string, args: string[]): Promise<Buffer> {
  const file = path.join(work, out);
  await run('ffmpeg', ['-y', '-v', 'error', '-i', fixturePath(fixture), ...args, file], {
    maxBuffer: 1 << 20,
  });
  return readFile(file);
}

/** Milliseconds of a media file per ffprobe. */
async function probeMs(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=nw=1:nk=1',
    path.join(work, file),
  ]);
  return Math.round(Number(stdout.trim()) * 1000);
}

const av = (id: string, rest: string) => `/iiif-av/${customerId}/${SPACE}/${encodeURIComponent(id)}/${rest}`;
const MP4 = 'full/full/max/max/0/default.mp4';
/** The thumbnails of the `film` asset's poster, largest first (`thumbs/default` on 960×540). */
const FILM_THUMBS: Array<[number, number]> = [
  [960, 540],
  [400, 225],
  [200, 113],
  [100, 56],
];

beforeAll(async () => {
  [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
  work = await mkdtemp(path.join(tmpdir(), 'vellum-av-test-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: PUBLIC,
    VELLUM_DELIVERY_CACHE_DIR: work,
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `av-test-${vhost.id}`,
    ...s3.env,
  });
  buckets = bucketsFromEnv(env);
  store = createObjectStore(storageConfigFromEnv(env));
  await store.ensureBucket(buckets.derivatives);
  prisma = createPrismaClient(db.url);

  // The transcodes, made by the real ffmpeg from the fixtures (short cuts, to keep the test quick).
  const made = await Promise.all([
    ffmpeg('audio.mp3', 'a.mp3', ['-t', '20', '-c:a', 'libmp3lame', '-b:a', '128k']),
    ffmpeg('audio.mp3', 'a.m4a', ['-t', '20', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart']),
    ffmpeg('video.mp4', 'v480.mp4', [
      ...['-vf', 'scale=-2:480', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart'],
    ]),
    ffmpeg('video.mp4', 'v540.mp4', [
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart'],
    ]),
    ffmpeg('video.webm', 'v.webm', [
      ...['-vf', 'scale=-2:360', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'],
      ...['-b:v', '400k', '-c:a', 'libopus', '-b:a', '64k'],
    ]),
  ]);
  [bytes['audio-mp3-128'], bytes['audio-aac-128'], bytes['video-mp4-480p'], bytes['video-mp4-720p']] = made;
  bytes['video-webm-720p'] = made[4];
  const audioMs = await probeMs('a.mp3');
  const videoMs = await probeMs('v480.mp4');

  customerId = (await prisma.customer.create({ data: { name: 'av-test', displayName: 'AV' } })).id;
  await prisma.space.create({ data: { customerId, id: SPACE, name: 'av' } });
  await prisma.customHeader.create({ data: { customerId, key: 'X-Served-By', value: 'vellum-av' } });
  const put = async (
    assetId: string,
    preset: string,
    mediaType: string,
    name: string,
    extra: Record<string, number> = {},
  ) => {
    const key = `${customerId}/${SPACE}/${assetId}/${preset}/${name}`;
    const { size } = await store.put(buckets.derivatives, key, bytes[preset]);
    return { preset, bucket: buckets.derivatives, key, mediaType, size, ...extra };
  };
  bytes.poster = await ffmpeg('video.mp4', 'poster.jpg', ['-ss', '0.5', '-frames:v', '1']);
  const putPoster = async (assetId: string) => {
    const key = `${customerId}/${SPACE}/${assetId}/av/poster.jpg`;
    const { size } = await store.put(buckets.derivatives, key, bytes.poster);
    return { bucket: buckets.derivatives, key, size, mediaType: 'image/jpeg', width: 960, height: 540 };
  };
  const avChannel = (policy: string) => [{ channel: 'iiif-av', policy }];
  // A video whose poster went through the image pipeline (as the orchestrator finishes one, SPEC.md §4.4): the
  // poster's pyramid and thumbnails, written the way the image-processor writes them.
  const filmPyramid = await sharp(bytes.poster)
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
    .toBuffer();
  const filmPrefix = `${customerId}/${SPACE}/film`;
  const { size: filmPyramidSize } = await store.put(
    buckets.derivatives,
    `${filmPrefix}/image.tif`,
    filmPyramid,
  );
  await store.ensureBucket(buckets.thumbnails);
  const filmThumbs: Record<string, string> = {};
  let filmThumbsSize = 0;
  for (const [w, h] of FILM_THUMBS) {
    const key = `${filmPrefix}/full/${w},${h}/0/default.jpg`;
    bytes[`thumb-${w}`] = await sharp(bytes.poster).resize(w, h).jpeg().toBuffer();
    filmThumbsSize += (await store.put(buckets.thumbnails, key, bytes[`thumb-${w}`])).size;
    filmThumbs[`${w},${h}`] = key;
  }
  const rows: Array<Partial<Prisma.AssetCreateManyInput> & { id: string }> = [
    {
      id: 'track',
      mediaType: 'audio/mpeg',
      duration: audioMs,
      deliveryChannels: avChannel('default-audio'),
      derivatives: {
        transcodes: [
          await put('track', 'audio-mp3-128', 'audio/mpeg', 'default.mp3', { duration: audioMs }),
          await put('track', 'audio-aac-128', 'audio/mp4', 'default.m4a', { duration: audioMs }),
        ],
      },
    },
    {
      id: 'clip',
      mediaType: 'video/mp4',
      duration: videoMs,
      width: 960,
      height: 540,
      deliveryChannels: avChannel('default-video'),
      derivatives: {
        transcodes: [
          await put('clip', 'video-mp4-480p', 'video/mp4', 'default.mp4', {
            width: 854,
            height: 480,
            duration: videoMs,
          }),
          await put('clip', 'video-mp4-720p', 'video/mp4', 'default.mp4', { width: 960, height: 540 }),
          await put('clip', 'video-webm-720p', 'video/webm', 'default.webm', { width: 640, height: 360 }),
        ],
        poster: await putPoster('clip'),
      },
    },
    {
      id: 'film',
      mediaType: 'video/mp4',
      duration: videoMs,
      width: 960,
      height: 540,
      deliveryChannels: avChannel('default-video'),
      derivatives: {
        transcodes: [
          await put('film', 'video-mp4-720p', 'video/mp4', 'default.mp4', { width: 960, height: 540 }),
        ],
        poster: await putPoster('film'),
        pyramid: {
          bucket: buckets.derivatives,
          key: `${filmPrefix}/image.tif`,
          size: filmPyramidSize,
          tileSize: 512,
        },
        thumbnails: {
          bucket: buckets.thumbnails,
          open: FILM_THUMBS,
          auth: [],
          keys: filmThumbs,
          size: filmThumbsSize,
        },
      },
    },
    {
      id: 'secret',
      mediaType: 'video/mp4',
      duration: videoMs,
      roles: ['https://api.example.org/customers/1/roles/staff'],
      deliveryChannels: [...avChannel('default-video'), { channel: 'file', policy: 'none' }],
      derivatives: { transcodes: [await put('secret', 'video-mp4-480p', 'video/mp4', 'default.mp4')] },
    },
    {
      id: 'gone',
      mediaType: 'audio/mpeg',
      duration: audioMs,
      deliveryChannels: avChannel('default-audio'),
      derivatives: {
        transcodes: [
          {
            preset: 'audio-mp3-128',
            bucket: buckets.derivatives,
            key: 'nope.mp3',
            mediaType: 'audio/mpeg',
            size: 9,
          },
        ],
      },
    },
    {
      id: 'file-only',
      mediaType: 'audio/mpeg',
      deliveryChannels: [{ channel: 'file', policy: 'none' }],
      derivatives: {},
    },
  ];
  const finished = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  await prisma.asset.createMany({
    data: rows.map((r) => ({ customerId, spaceId: SPACE, finished, ...r })) as Prisma.AssetCreateManyInput[],
  });

  app = await bootstrapService(deliveryRootModule(env), {
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
  await Promise.allSettled([db?.drop(), vhost?.drop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('whole transcodes', () => {
  it.each<[string, string, string]>([
    ['track', 'full/max/default.mp3', 'audio-mp3-128'],
    ['track', 'full/max/default.m4a', 'audio-aac-128'],
    ['clip', MP4, 'video-mp4-480p'],
    ['clip', 'full/full/max/max/0/video-mp4-720p.mp4', 'video-mp4-720p'],
    ['clip', 'full/full/max/max/0/default.webm', 'video-webm-720p'],
    ['clip', 'poster.jpg', 'poster'],
  ])('%s %s is the %s object byte for byte', async (id, rest, preset) => {
    const { res, body } = await get(av(id, rest));
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(bytes[preset]));
    expect(res.headers.get('content-length')).toBe(String(bytes[preset].length));
    const ext = rest.slice(rest.lastIndexOf('.') + 1);
    expect(res.headers.get('content-type')).toBe(
      { mp3: 'audio/mpeg', m4a: 'audio/mp4', mp4: 'video/mp4', webm: 'video/webm', jpg: 'image/jpeg' }[ext],
    );
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers.get('last-modified')).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-served-by')).toBe('vellum-av');
  });

  it('gives each preset its own ETag, and answers HEAD with the headers of GET and no body', async () => {
    const a = await get(av('clip', MP4));
    const b = await get(av('clip', 'full/full/max/max/0/video-mp4-720p.mp4'));
    expect(a.res.headers.get('etag')).not.toBe(b.res.headers.get('etag'));
    const head = await get(av('clip', MP4), { Range: 'bytes=0-9' }, 'HEAD');
    expect(head.res.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.res.headers.get('content-length')).toBe(String(bytes['video-mp4-480p'].length));
    expect(head.res.headers.get('etag')).toBe(a.res.headers.get('etag'));
  });
});

describe('byte ranges (RFC 9110 §14)', () => {
  it.each<[string, (n: number) => [number, number]]>([
    ['bytes=1000-65535', () => [1000, 65535]],
    ['bytes=0-0', () => [0, 0]],
    ['bytes=-4096', (n) => [n - 4096, n - 1]],
    ['bytes=100000-', (n) => [100000, n - 1]],
    ['bytes=100-99999999', (n) => [100, n - 1]],
  ])('%s of the MP4 → 206 with exactly those bytes', async (range, span) => {
    const whole = bytes['video-mp4-480p'];
    const [start, end] = span(whole.length);
    const { res, body } = await get(av('clip', MP4), { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${whole.length}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(body.equals(whole.subarray(start, end + 1))).toBe(true);
  });

  it('serves a range of the MP3 too (a media element seeking)', async () => {
    const whole = bytes['audio-mp3-128'];
    const { res, body } = await get(av('track', 'full/max/default.mp3'), { Range: 'bytes=65536-131071' });
    expect(res.status).toBe(206);
    expect(body.equals(whole.subarray(65536, 131072))).toBe(true);
  });

  it('answers a range past the end 416 with Content-Range: bytes */size, as a problem', async () => {
    const size = bytes['video-mp4-480p'].length;
    const { res, body } = await get(av('clip', MP4), { Range: `bytes=${size}-` });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(problemOf(body).detail).toBe(
      `Range bytes=${size}- is outside the ${size} bytes of the transcode video-mp4-480p of asset ${customerId}/${SPACE}/clip`,
    );
  });

  it('answers several disjoint ranges with the whole transcode (200)', async () => {
    const { res, body } = await get(av('clip', MP4), { Range: 'bytes=0-9,100-109' });
    expect(res.status).toBe(200);
    expect(body.length).toBe(bytes['video-mp4-480p'].length);
  });
});

describe('conditional requests', () => {
  it('answers If-None-Match and If-Modified-Since with 304 and no body, before any Range', async () => {
    const first = await get(av('track', 'full/max/default.mp3'));
    const etag = first.res.headers.get('etag')!;
    const inm = await get(av('track', 'full/max/default.mp3'), { 'If-None-Match': etag, Range: 'bytes=0-9' });
    expect(inm.res.status).toBe(304);
    expect(inm.body.length).toBe(0);
    expect(inm.res.headers.get('etag')).toBe(etag);
    const ims = await get(av('track', 'full/max/default.mp3'), {
      'If-Modified-Since': first.res.headers.get('last-modified')!,
    });
    expect(ims.res.status).toBe(304);
    // Another ETag is not a match.
    expect((await get(av('track', 'full/max/default.mp3'), { 'If-None-Match': '"other"' })).res.status).toBe(
      200,
    );
  });

  it('honours If-Range: a matching ETag keeps the range, another sends the whole transcode', async () => {
    const etag = (await get(av('clip', MP4), {}, 'HEAD')).res.headers.get('etag')!;
    expect((await get(av('clip', MP4), { Range: 'bytes=0-9', 'If-Range': etag })).res.status).toBe(206);
    expect((await get(av('clip', MP4), { Range: 'bytes=0-9', 'If-Range': '"old"' })).res.status).toBe(200);
  });

  it('answers the CORS preflight of a range request', async () => {
    const res = await fetch(`${baseUrl}${av('clip', MP4)}`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://viewer.example.org',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((res.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('range');
  });
});

describe('errors', () => {
  it.each<[string, () => string, number, () => string]>([
    [
      'restricted (roles)',
      () => av('secret', MP4),
      401,
      () =>
        `Asset ${customerId}/${SPACE}/secret is restricted: it requires authorisation (IIIF Auth 2.0: see the probe service of its info.json or manifest)`,
    ],
    [
      'no transcode of that extension',
      () => av('track', 'full/full/max/max/0/default.webm'),
      404,
      () =>
        `Asset ${customerId}/${SPACE}/track has no webm transcode (its transcodes: audio-mp3-128, audio-aac-128)`,
    ],
    [
      'no such preset',
      () => av('clip', 'full/full/max/max/0/video-mp4-1080p.mp4'),
      404,
      () =>
        `Asset ${customerId}/${SPACE}/clip has no mp4 transcode of preset video-mp4-1080p (its transcodes: video-mp4-480p, video-mp4-720p, video-webm-720p)`,
    ],
    [
      'object missing from the store',
      () => av('gone', 'full/max/default.mp3'),
      404,
      () => `The transcode audio-mp3-128 of asset ${customerId}/${SPACE}/gone is missing`,
    ],
    [
      'no poster (audio)',
      () => av('track', 'poster.jpg'),
      404,
      () => `Asset ${customerId}/${SPACE}/track has no poster image`,
    ],
    [
      'a video path with an audio extension',
      () => av('track', 'full/full/max/max/0/default.mp3'),
      404,
      () =>
        `No such resource: ${av('track', 'full/full/max/max/0/default.mp3')}; audio is at /iiif-av/{customer}/{space}/{id}/full/max/default.{mp3|m4a}, video at /iiif-av/{customer}/{space}/{id}/full/full/max/max/0/default.{mp4|webm}`,
    ],
  ])('%s → its problem', async (_name, p, status, detail) => {
    for (const method of ['GET', 'HEAD']) {
      const { res, body } = await get(p(), {}, method);
      expect({ method, status: res.status }).toEqual({ method, status });
      expect(res.headers.get('etag')).toBeNull();
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      if (method === 'GET') expect(problemOf(body).detail).toBe(detail());
    }
  });

  it('answers 404 for an asset not on the iiif-av channel', async () => {
    const { res, body } = await get(av('file-only', 'full/max/default.mp3'));
    expect(res.status).toBe(404);
    expect(problemOf(body).detail).toMatch(/not delivered on the iiif-av channel/);
  });

  it('keeps restricted originals off /file/ too (the same check point)', async () => {
    const { res, body } = await get(`/file/${customerId}/${SPACE}/secret`);
    expect(res.status).toBe(401);
    expect(problemOf(body).detail).toBe(
      `Asset ${customerId}/${SPACE}/secret is restricted: it requires authorisation (IIIF Auth 2.0: see the probe service of its info.json or manifest)`,
    );
  });
});

describe("a video's poster through the image pipeline", () => {
  it('has an image service on /iiif-img/ (info.json of the poster, tiles)', async () => {
    const info = await get(`/iiif-img/${customerId}/${SPACE}/film/info.json`);
    expect(info.res.status).toBe(200);
    expect(JSON.parse(info.body.toString('utf8'))).toMatchObject({
      id: `${PUBLIC}/iiif-img/${customerId}/${SPACE}/film`,
      width: 960,
      height: 540,
    });
    const tile = await get(`/iiif-img/${customerId}/${SPACE}/film/0,0,512,512/512,/0/default.jpg`);
    expect(tile.res.status).toBe(200);
    expect(tile.res.headers.get('content-type')).toBe('image/jpeg');
    expect(await sharp(tile.body).metadata()).toMatchObject({ width: 512, height: 512, format: 'jpeg' });
  });

  it('serves the stored poster thumbnails on /thumbs/', async () => {
    for (const [w, h] of FILM_THUMBS) {
      const { res, body } = await get(`/thumbs/${customerId}/${SPACE}/film/full/${w},${h}/0/default.jpg`);
      expect({ w, status: res.status, type: res.headers.get('content-type') }).toEqual({
        w,
        status: 200,
        type: 'image/jpeg',
      });
      expect(sha256(body)).toBe(sha256(bytes[`thumb-${w}`]));
    }
  });

  it('a video with a poster but no poster images still has neither service', async () => {
    const img = await get(`/iiif-img/${customerId}/${SPACE}/clip/info.json`);
    expect(img.res.status).toBe(404);
    expect(problemOf(img.body).detail).toBe(
      `Asset ${customerId}/${SPACE}/clip has no image service: it is not delivered on the iiif-img channel`,
    );
    const thumbs = await get(`/thumbs/${customerId}/${SPACE}/clip/full/400,225/0/default.jpg`);
    expect(thumbs.res.status).toBe(404);
    expect(problemOf(thumbs.body).detail).toBe(
      `Asset ${customerId}/${SPACE}/clip has no thumbnails service: it is not delivered on the thumbs channel`,
    );
  });

  it("the manifest's canvas thumbnail and placeholderCanvas use the poster's thumbs service", async () => {
    const res = await fetch(`${baseUrl}/iiif-manifest/${customerId}/${SPACE}/film`);
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as Json;
    expect(presentation3SchemaErrors(manifest)).toEqual([]);
    const [canvas] = manifest.items;
    const thumbs = `${PUBLIC}/thumbs/${customerId}/${SPACE}/film`;
    expect(canvas.thumbnail).toEqual([
      {
        id: `${thumbs}/full/200,113/0/default.jpg`,
        type: 'Image',
        format: 'image/jpeg',
        width: 200,
        height: 113,
        service: [expect.objectContaining({ id: thumbs, type: 'ImageService3', profile: 'level0' })],
      },
    ]);
    const placeholder = canvas.placeholderCanvas;
    expect(placeholder).toMatchObject({ width: 960, height: 540 });
    expect(placeholder.items[0].items[0].body).toMatchObject({
      id: `${thumbs}/full/960,540/0/default.jpg`,
      width: 960,
      height: 540,
    });
    for (const url of [canvas.thumbnail[0].id, placeholder.items[0].items[0].body.id] as string[]) {
      const r = await fetch(url.replace(PUBLIC, baseUrl));
      expect({ url, status: r.status }).toEqual({ url, status: 200 });
      await r.arrayBuffer();
    }
    // The painted video is unchanged by the poster's images.
    expect(canvas.items[0].items[0].body).toMatchObject({ type: 'Video', format: 'video/mp4' });
  });
});

describe('manifests paint the transcodes', () => {
  it('a video: duration, size, a Choice of every transcode (each served), schema-valid', async () => {
    const res = await fetch(`${baseUrl}/iiif-manifest/${customerId}/${SPACE}/clip`);
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as {
      items: Array<{ duration: number; width: number; height: number; items: any[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    expect(presentation3SchemaErrors(manifest)).toEqual([]);
    const [canvas] = manifest.items;
    expect(canvas).toMatchObject({ width: 960, height: 540 });
    expect(Math.abs(canvas.duration - 5.055)).toBeLessThan(0.1);
    const body = canvas.items[0].items[0].body;
    expect(body.type).toBe('Choice');
    const ids = body.items.map((b: { id: string }) => b.id);
    const base = `${PUBLIC}/iiif-av/${customerId}/${SPACE}/clip/full/full/max/max/0`;
    expect(ids).toEqual([`${base}/default.mp4`, `${base}/video-mp4-720p.mp4`, `${base}/default.webm`]);
    expect(body.items.map((b: { label: unknown }) => b.label)).toEqual([
      { none: ['video-mp4-480p'] },
      { none: ['video-mp4-720p'] },
      { none: ['video-webm-720p'] },
    ]);
    expect(body.items[0]).toMatchObject({ type: 'Video', format: 'video/mp4', width: 854, height: 480 });
    // The poster (no thumbnails here) as the thumbnail and the placeholder canvas, and it is served.
    const poster = `${PUBLIC}/iiif-av/${customerId}/${SPACE}/clip/poster.jpg`;
    expect((canvas as Json).thumbnail).toEqual([
      { id: poster, type: 'Image', format: 'image/jpeg', width: 960, height: 540 },
    ]);
    expect((canvas as Json).placeholderCanvas.items[0].items[0].body.id).toBe(poster);
    expect((await fetch(poster.replace(PUBLIC, baseUrl))).headers.get('content-type')).toBe('image/jpeg');
    for (const id of ids as string[]) {
      const r = await fetch(id.replace(PUBLIC, baseUrl), { headers: { Range: 'bytes=0-15' } });
      expect({ id, status: r.status }).toEqual({ id, status: 206 });
      await r.arrayBuffer();
    }
  });

  it('audio: a Choice of the MP3 and the M4A, no size', async () => {
    const res = await fetch(`${baseUrl}/iiif-manifest/${customerId}/${SPACE}/track`);
    const manifest = (await res.json()) as { items: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(presentation3SchemaErrors(manifest)).toEqual([]);
    const [canvas] = manifest.items;
    expect(canvas.width).toBeUndefined();
    const bodies = canvas.items[0].items[0].body.items;
    expect(bodies.map((b: { type: string; format: string }) => [b.type, b.format])).toEqual([
      ['Sound', 'audio/mpeg'],
      ['Sound', 'audio/mp4'],
    ]);
    expect(Math.abs(bodies[0].duration - 20)).toBeLessThan(0.1);
  });
});
