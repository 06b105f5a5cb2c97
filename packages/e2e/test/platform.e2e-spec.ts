/**
 * End to end through the six running services (SPEC.md §2, §3, §4.1, §5), with real PostgreSQL, real
 * RabbitMQ (a fresh vhost), a real S3-protocol server (s3rver) and real fixture images served by a real
 * HTTP origin on 127.0.0.1. Registers the fixtures immediately (PUT) and in a batch (queue), waits on the
 * batch while checking its counters stay exact, then checks every asset over IIIF Image API 2.1 and 3.0.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  waitFor,
} from '@vellum/testing';
/** A parsed JSON response body; the assertions below check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

import { SERVICE_NAMES, ServiceName, startPlatform, Platform, tailLog } from '../src/platform';

interface Case {
  file: string;
  mediaType: string;
  width: number;
  height: number;
}

/** Expected sizes are the displayed pixel sizes of the sources (EXIF orientation applied). */
const CASES: Case[] = [
  { file: 'photo-large.jpg', mediaType: 'image/jpeg', width: 5312, height: 2988 },
  { file: 'exif-orientation-6.jpg', mediaType: 'image/jpeg', width: 1800, height: 1200 },
  { file: 'png-alpha.png', mediaType: 'image/png', width: 592, height: 1167 },
  { file: 'tiff-lzw.tif', mediaType: 'image/tiff', width: 1165, height: 859 },
  { file: 'scan.jp2', mediaType: 'image/jp2', width: 2717, height: 3701 },
];
const CORRUPT = { file: 'corrupt-truncated.jpg', mediaType: 'image/jpeg' };
const ADMIN = { key: 'e2e-admin', secret: 'e2e-admin-secret-0123456789' };

const idFor = (file: string, prefix: string) => `${prefix}-${file.replace(/\.[a-z0-9]+$/, '')}`;

/** The size of a `!box,box` request: fits inside box×box keeping the aspect ratio, never upscaled. */
function fitWithin(w: number, h: number, box: number): [number, number] {
  const scale = Math.min(box / w, box / h, 1);
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

/** Pixel sizes agree when the long edge is exact and the short edge is within 1 px (rounding rules differ). */
function sameSize(actual: { width?: number; height?: number }, [w, h]: [number, number]): boolean {
  return (
    actual.width !== undefined &&
    actual.height !== undefined &&
    Math.abs(actual.width - w) <= 1 &&
    Math.abs(actual.height - h) <= 1 &&
    (actual.width === w || actual.height === h)
  );
}

describe('Vellum end to end', () => {
  let platform: Platform;
  let cleanups: Array<() => Promise<unknown>> = [];
  let origin: http.Server;
  let originUrl: string;
  let customer: number;
  let space: number;

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
  async function getJson(url: string): Promise<{ status: number; body: Json; headers: Headers }> {
    const res = await fetch(url);
    return { status: res.status, body: await res.json(), headers: res.headers };
  }
  async function getImage(
    url: string,
  ): Promise<{ status: number; width?: number; height?: number; format?: string }> {
    const res = await fetch(url);
    if (res.status !== 200) return { status: res.status };
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    return { status: 200, width: meta.width, height: meta.height, format: meta.format };
  }
  const lastSegment = (u: string) => Number(String(u).split('/').pop());

  beforeAll(async () => {
    const [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
    cleanups = [() => db.drop(), () => vhost.drop(), () => s3.stop()];
    origin = http.createServer((req, res) => {
      const name = path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      const file = fixturePath(name);
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = await freePort();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-e2e-'));
    cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
    platform = await startPlatform(
      {
        ...s3.env,
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        // No public URLs pinned: every service answers with the host its client used (SPEC.md §5).
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
    const c = await api('POST', '/customers', { name: 'e2e', displayName: 'End to end' });
    expect(c.status).toBe(201);
    customer = c.body.id ?? lastSegment(c.body['@id']);
    const s = await api('POST', `/customers/${customer}/spaces`, { name: 'e2e-space' });
    expect(s.status).toBe(201);
    space = s.body.id ?? lastSegment(s.body['@id']);
  }, 180_000);

  afterAll(async () => {
    if (platform) {
      const failed = expect.getState().numPassingAsserts === 0;
      if (failed)
        for (const s of Object.values(platform.services)) console.log(`--- ${s.name}\n${tailLog(s, 15)}`);
      await platform.stop();
    }
    if (origin) await new Promise((r) => origin.close(r));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }, 60_000);

  it('every service binds the interface HOST names (127.0.0.1), not every interface', () => {
    for (const s of Object.values(platform.services)) {
      expect(fs.readFileSync(s.logFile, 'utf8')).toContain(`listening on http://127.0.0.1:${s.port}`);
    }
  });

  describe('immediate registration (PUT)', () => {
    it.each(CASES)(
      'registers $file and answers 201 with its pixel size',
      async ({ file, mediaType, width, height }) => {
        const id = idFor(file, 'put');
        const started = Date.now();
        const res = await api('PUT', `/customers/${customer}/spaces/${space}/images/${id}`, {
          origin: `${originUrl}/${file}`,
          mediaType,
        });
        const elapsed = Date.now() - started;
        if (file === 'photo-large.jpg') console.log(`PUT → 201 for photo-large.jpg took ${elapsed} ms`);
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({
          '@type': 'vocab:Image',
          id,
          space,
          ingesting: false,
          width,
          height,
          mediaType,
        });
        expect(res.body.error ?? '').toBe('');
        // Delivery URLs on the host name this client used, with the delivery port.
        expect(res.body.imageService).toBe(`${platform.deliveryUrl}/iiif-img/${customer}/${space}/${id}`);
        expect(res.body.thumbnailImageService).toBe(
          `${platform.deliveryUrl}/thumbs/${customer}/${space}/${id}`,
        );
        const again = await api('GET', `/customers/${customer}/spaces/${space}/images/${id}`);
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ width, height, ingesting: false });
      },
    );

    it('records a clear error for a corrupt image, without retrying for ever', async () => {
      const id = idFor(CORRUPT.file, 'put');
      const res = await api('PUT', `/customers/${customer}/spaces/${space}/images/${id}`, {
        origin: `${originUrl}/${CORRUPT.file}`,
        mediaType: CORRUPT.mediaType,
      });
      expect([200, 201]).toContain(res.status);
      const asset = (await api('GET', `/customers/${customer}/spaces/${space}/images/${id}`)).body;
      expect(asset.ingesting).toBe(false);
      expect(String(asset.error)).toMatch(/corrupt|truncat|premature|invalid/i);
      const info = await fetch(`${platform.deliveryUrl}/iiif-img/${customer}/${space}/${id}/info.json`);
      expect(info.status).toBe(404);
    });
  });

  describe('queued registration (batch)', () => {
    it('ingests a batch asynchronously with exact counters at every moment', async () => {
      const members = [...CASES, CORRUPT].map((c, i) => ({
        id: idFor(c.file, 'batch'),
        space,
        origin: `${originUrl}/${c.file}`,
        mediaType: c.mediaType,
        string1: 'e2e-batch',
        number1: i,
      }));
      const started = Date.now();
      const res = await api('POST', `/customers/${customer}/queue`, {
        '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
        '@type': 'Collection',
        member: members,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ '@type': 'vocab:Batch', count: members.length });
      const batchPath = new URL(res.body['@id']).pathname;
      let previous = { completed: 0, errors: 0 };
      let batch = res.body;
      while (!batch.finished) {
        expect(Date.now() - started).toBeLessThan(180_000);
        await new Promise((r) => setTimeout(r, 200));
        batch = (await api('GET', batchPath)).body;
        // Exact at every moment: counters never go down and never exceed the count.
        expect(batch.completed).toBeGreaterThanOrEqual(previous.completed);
        expect(batch.errors).toBeGreaterThanOrEqual(previous.errors);
        expect(batch.completed + batch.errors).toBeLessThanOrEqual(batch.count);
        previous = batch;
      }
      console.log(`batch of ${members.length} finished in ${Date.now() - started} ms`);
      expect(batch).toMatchObject({ count: members.length, completed: CASES.length, errors: 1 });
      for (const c of CASES) {
        const a = (
          await api('GET', `/customers/${customer}/spaces/${space}/images/${idFor(c.file, 'batch')}`)
        ).body;
        expect(a).toMatchObject({ width: c.width, height: c.height, ingesting: false });
        expect(a.batch).toBe(res.body['@id']);
      }
    });
  });

  describe('lanes and tracing', () => {
    it('serves an immediate PUT on the priority lane while a batch is still ingesting', async () => {
      const members = Array.from({ length: 12 }, (_, i) => ({
        id: `lane-batch-${i}`,
        space,
        origin: `${originUrl}/photo-large.jpg`,
        mediaType: 'image/jpeg',
      }));
      const batch = await api('POST', `/customers/${customer}/queue`, {
        '@type': 'Collection',
        member: members,
      });
      expect(batch.status).toBe(201);
      const batchPath = new URL(batch.body['@id']).pathname;
      // Let the batch fill the orchestrator's and the image-processor's queues first.
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      const put = await api('PUT', `/customers/${customer}/spaces/${space}/images/lane-put`, {
        origin: `${originUrl}/png-alpha.png`,
        mediaType: 'image/png',
      });
      const elapsed = Date.now() - started;
      const during = (await api('GET', batchPath)).body;
      console.log(
        `priority PUT answered in ${elapsed} ms with the batch at ${during.completed + during.errors}/${during.count}`,
      );
      expect(put.status).toBe(201);
      expect(put.body).toMatchObject({ width: 592, height: 1167, ingesting: false });
      // The interactive registration did not wait for the batch backlog.
      expect(during.finished).toBeUndefined();
      expect(during.completed + during.errors).toBeLessThan(during.count);
      let b = during;
      const deadline = Date.now() + 120_000;
      while (!b.finished) {
        if (Date.now() > deadline) throw new Error(`batch stuck at ${b.completed + b.errors}/${b.count}`);
        await new Promise((r) => setTimeout(r, 250));
        b = (await api('GET', batchPath)).body;
      }
      expect(b).toMatchObject({ count: 12, completed: 12, errors: 0 });
    });

    it('carries the request correlation id through every service that handled it', async () => {
      const correlationId = `e2e-${Date.now().toString(36)}`;
      const res = await fetch(`${platform.apiUrl}/customers/${customer}/spaces/${space}/images/traced`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json', 'x-correlation-id': correlationId },
        body: JSON.stringify({ origin: `${originUrl}/tiff-lzw.tif`, mediaType: 'image/tiff' }),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-correlation-id')).toBe(correlationId);
      const logged = (name: ServiceName) =>
        fs
          .readFileSync(platform.services[name].logFile, 'utf8')
          .split('\n')
          .some((line) => line.includes(`"correlationId":"${correlationId}"`));
      // Request logs are written when the response finishes, so give the last lines a moment to land.
      const services = ['api-gateway', 'ingest-orchestrator', 'image-processor'] as const;
      await waitFor(() => services.every(logged), {
        timeoutMs: 5_000,
        description: 'correlation id in every log',
      }).catch(() => undefined);
      expect(services.filter((name) => !logged(name))).toEqual([]);
    });
  });

  describe('crash recovery', () => {
    it('completes a batch with exact counters when the image-processor and then the orchestrator are killed mid-batch', async () => {
      const count = 10;
      const members = Array.from({ length: count }, (_, i) => ({
        id: `crash-${i}`,
        space,
        origin: `${originUrl}/photo-large.jpg`,
        mediaType: 'image/jpeg',
      }));
      const res = await api('POST', `/customers/${customer}/queue`, {
        '@type': 'Collection',
        member: members,
      });
      expect(res.status).toBe(201);
      const batchPath = new URL(res.body['@id']).pathname;
      let previous = { completed: 0, errors: 0 };
      const poll = async (until: (b: Json) => boolean, timeoutMs: number): Promise<Json> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const b = (await api('GET', batchPath)).body;
          expect(b.completed).toBeGreaterThanOrEqual(previous.completed);
          expect(b.errors).toBe(0);
          expect(b.completed).toBeLessThanOrEqual(count);
          previous = b;
          if (until(b)) return b;
          if (Date.now() > deadline) throw new Error(`batch stuck at ${b.completed}/${count}`);
          await new Promise((r) => setTimeout(r, 150));
        }
      };
      // SIGKILL the image worker while it holds unacknowledged work, then bring it back.
      await poll((b) => b.completed >= 2, 60_000);
      await platform.kill('image-processor');
      await platform.restart('image-processor');
      // Same for the orchestrator, which holds the ingest state machine.
      await poll((b) => b.completed >= 5, 60_000);
      await platform.kill('ingest-orchestrator');
      await platform.restart('ingest-orchestrator');
      const done = await poll((b) => Boolean(b.finished), 120_000);
      expect(done).toMatchObject({ count, completed: count, errors: 0 });
      for (const m of members) {
        const a = (await api('GET', `/customers/${customer}/spaces/${space}/images/${m.id}`)).body;
        expect(a).toMatchObject({ ingesting: false, width: 5312, height: 2988 });
      }
    });
  });

  describe('origins of several kinds', () => {
    const servers: Array<{ close: () => Promise<void> }> = [];
    const bases: Record<string, string> = {};

    beforeAll(async () => {
      // Python's http.server: HTTP/1.0, closes the connection after every response (the origin that crashed the
      // orchestrator through undici 7).
      const port = await freePort();
      const py = spawn(
        'python3',
        [
          '-m',
          'http.server',
          String(port),
          '--bind',
          '127.0.0.1',
          '--directory',
          path.dirname(fixturePath('scan.jp2')),
        ],
        { stdio: 'ignore' },
      );
      servers.push({ close: async () => void py.kill('SIGTERM') });
      bases['python-http.server'] = `http://127.0.0.1:${port}`;
      // A raw HTTP/1.1 server that sends no Content-Length and ends the body by closing the connection.
      const raw = net.createServer((sock) => {
        sock.on('error', () => undefined);
        sock.once('data', (head) => {
          const name = path.basename(/^GET (\S+)/.exec(head.toString())?.[1] ?? '/');
          const file = fixturePath(name);
          if (!fs.existsSync(file))
            return void sock.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
          sock.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
          fs.createReadStream(file).pipe(sock);
        });
      });
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
      servers.push({ close: () => new Promise<void>((r) => raw.close(() => r())) });
      bases['no-content-length'] = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
      await waitFor(
        () =>
          fetch(`${bases['python-http.server']}/scan.jp2`, { method: 'HEAD' }).then(
            (r) => r.ok,
            () => false,
          ),
        { timeoutMs: 30_000, description: 'python3 -m http.server to answer' },
      );
    });

    afterAll(async () => {
      for (const s of servers) await s.close().catch(() => undefined);
    });

    const kinds = ['python-http.server', 'no-content-length'];
    const big = CASES.filter((c) => c.file === 'scan.jp2' || c.file === 'photo-large.jpg');
    it.each(kinds.flatMap((kind) => big.map((c) => ({ kind, ...c }))))(
      'registers $file from a $kind origin (connection closed after the body)',
      async ({ kind, file, mediaType, width, height }) => {
        const id = idFor(file, `origin-${kind.replace(/[^a-z]/g, '')}`);
        const res = await api('PUT', `/customers/${customer}/spaces/${space}/images/${id}`, {
          origin: `${bases[kind]}/${file}`,
          mediaType,
        });
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ ingesting: false, width, height });
        expect(res.body.error ?? '').toBe('');
        // The orchestrator survived: it still answers.
        expect((await fetch(`${platform.services['ingest-orchestrator'].url}/health/live`)).status).toBe(200);
      },
    );
  });

  describe('an input that crashes its worker', () => {
    it('is dead-lettered after 3 crashes of the image-processor, and its asset and batch end in error', async () => {
      const id = 'crashes-its-worker';
      const res = await api('POST', `/customers/${customer}/queue`, {
        '@type': 'Collection',
        member: [{ id, space, origin: `${originUrl}/photo-large.jpg`, mediaType: 'image/jpeg' }],
      });
      expect(res.status).toBe(201);
      const batchPath = new URL(res.body['@id']).pathname;
      const started = `${customer}/${space}/${id} attempt 1: started`;
      const starts = () =>
        fs.readFileSync(platform.services['image-processor'].logFile, 'utf8').split(started).length - 1;
      // As a file that kills libvips would: SIGKILL the worker each time it starts on this image, and start it
      // again at once, as a supervisor does (its consumers may take the message before it reports ready).
      let kills = 0;
      for (;;) {
        const next = await waitFor(
          async () => {
            if (starts() > kills) return 'started';
            return (await api('GET', batchPath)).body.finished ? 'finished' : null;
          },
          {
            timeoutMs: 90_000,
            intervalMs: 10,
            description: 'the image-processor to start on the image again',
          },
        );
        if (next === 'finished' || kills >= 5) break;
        kills++;
        await platform.kill('image-processor');
        platform.respawn('image-processor');
      }
      await platform.ready('image-processor');
      const done = await waitFor(
        async () => {
          const b = (await api('GET', batchPath)).body;
          return b.finished ? b : null;
        },
        { timeoutMs: 60_000, description: 'the batch to finish' },
      );
      expect(kills).toBe(3);
      expect(done).toMatchObject({ count: 1, completed: 0, errors: 1 });
      const asset = (await api('GET', `/customers/${customer}/spaces/${space}/images/${id}`)).body;
      expect(asset.ingesting).toBe(false);
      expect(asset.error).toMatch(
        /^Image processing was abandoned: it was in hand each of the 3 times the image-processor died/,
      );
      // The worker lives on and processes the next image.
      const next = await api('PUT', `/customers/${customer}/spaces/${space}/images/after-the-crashes`, {
        origin: `${originUrl}/png-alpha.png`,
        mediaType: 'image/png',
      });
      expect(next.status).toBe(201);
      expect(next.body).toMatchObject({ width: 592, height: 1167 });
    });
  });

  describe('delivery over IIIF', () => {
    const url = (version: '' | 'v2/', id: string, rest: string) =>
      `${platform.deliveryUrl}/iiif-img/${version}${customer}/${space}/${id}${rest}`;

    it.each(CASES)('serves info.json v3 and v2 for $file', async ({ file, width, height }) => {
      for (const prefix of ['put', 'batch']) {
        const id = idFor(file, prefix);
        const v3 = await getJson(url('', id, '/info.json'));
        expect(v3.status).toBe(200);
        expect(v3.headers.get('content-type')).toContain('application/ld+json');
        expect(v3.headers.get('access-control-allow-origin')).toBe('*');
        expect(v3.body).toMatchObject({
          '@context': 'http://iiif.io/api/image/3/context.json',
          id: url('', id, ''),
          type: 'ImageService3',
          protocol: 'http://iiif.io/api/image',
          width,
          height,
        });
        expect(v3.body.tiles[0].width).toBe(512);
        expect(v3.body.tiles[0].scaleFactors[0]).toBe(1);
        const thumb = fitWithin(width, height, 400);
        expect(
          (v3.body.sizes as Array<{ width: number; height: number }>).some((sz) => sameSize(sz, thumb)),
        ).toBe(true);

        const v2 = await getJson(url('v2/', id, '/info.json'));
        expect(v2.status).toBe(200);
        expect(v2.body).toMatchObject({
          '@context': 'http://iiif.io/api/image/2/context.json',
          '@id': url('v2/', id, ''),
          protocol: 'http://iiif.io/api/image',
          width,
          height,
        });
        expect(v2.body.profile[0]).toMatch(/level[12]\.json$/);
        expect(v2.body.tiles[0]).toMatchObject({ width: 512 });
      }
      // Customer by name works too.
      const byName = await getJson(
        `${platform.deliveryUrl}/iiif-img/e2e/${space}/${idFor(file, 'put')}/info.json`,
      );
      expect(byName.status).toBe(200);
    });

    it.each(CASES)(
      'serves tiles and regions of $file at the right pixel size',
      async ({ file, width, height }) => {
        const id = idFor(file, 'put');
        const tw = Math.min(512, width);
        const th = Math.min(512, height);
        // The first full-resolution tile, in v3 canonical form and v2 form.
        expect(await getImage(url('', id, `/0,0,${tw},${th}/${tw},${th}/0/default.jpg`))).toMatchObject({
          status: 200,
          width: tw,
          height: th,
          format: 'jpeg',
        });
        expect(await getImage(url('v2/', id, `/0,0,${tw},${th}/${tw},/0/default.jpg`))).toMatchObject({
          status: 200,
          width: tw,
          height: th,
        });
        // A scaled-down tile from the second level: region 1024 px square (or the image) → 512 px wide.
        if (width > 1024 && height > 1024) {
          expect(await getImage(url('', id, '/0,0,1024,1024/512,512/0/default.jpg'))).toMatchObject({
            width: 512,
            height: 512,
          });
        }
        expect(
          sameSize(
            await getImage(url('', id, '/full/!300,300/0/default.jpg')),
            fitWithin(width, height, 300),
          ),
        ).toBe(true);
        expect(await getImage(url('', id, '/square/100,100/0/default.jpg'))).toMatchObject({
          width: 100,
          height: 100,
        });
        expect(await getImage(url('v2/', id, '/pct:0,0,50,50/pct:10/0/default.jpg'))).toMatchObject({
          status: 200,
        });
        expect((await fetch(url('', id, '/full/max/0/default.bmp'))).status).toBe(400);
        expect((await fetch(url('', id, `/${width + 10},0,10,10/max/0/default.jpg`))).status).toBe(400);
        expect((await fetch(url('', id, `/full/${width * 2},/0/default.jpg`))).status).toBe(400);
      },
    );

    it.each(CASES)('serves level-0 thumbnails of $file', async ({ file, width, height }) => {
      const id = idFor(file, 'put');
      const info = await getJson(`${platform.deliveryUrl}/thumbs/${customer}/${space}/${id}/info.json`);
      expect(info.status).toBe(200);
      expect(info.body.profile).toBe('level0');
      const sizes = info.body.sizes as Array<{ width: number; height: number }>;
      const t200 = sizes.find((sz) => sameSize(sz, fitWithin(width, height, 200)));
      expect(t200).toBeDefined();
      const exact = await getImage(
        `${platform.deliveryUrl}/thumbs/${customer}/${space}/${id}/full/${t200!.width},${t200!.height}/0/default.jpg`,
      );
      expect(exact).toMatchObject({ status: 200, width: t200!.width, height: t200!.height });
      const confined = await getImage(
        `${platform.deliveryUrl}/thumbs/${customer}/${space}/${id}/full/!400,400/0/default.jpg`,
      );
      expect(confined.status).toBe(200);
      expect(sameSize(confined, fitWithin(width, height, 400))).toBe(true);
    });

    it('answers 404 with a JSON body for an unknown asset', async () => {
      const res = await fetch(url('', 'no-such-asset', '/info.json'));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('json');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    });
  });
});
