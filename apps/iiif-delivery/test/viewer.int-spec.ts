import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTransport } from '@vellum/messaging';
import { createObjectStore } from '@vellum/storage';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost } from '@vellum/testing';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { configureDeliveryApp } from '../src/main';

jest.setTimeout(120_000);

// The viewer page only looks the asset up (no pixels are read), so the rows need no stored derivatives.
const PUBLIC = 'https://images.example.org/dlcs';
const SPACE = 3;
const ID = 'photo-1';
const XSS_ID = '<script>alert("x")</script>&\'';
let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let app: INestApplication;
let storageRoot: string;
let cacheDir: string;
let baseUrl: string;
let customerId: number;

function get(p: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${p}`, { headers, redirect: 'manual' });
}

const page = (id: string, c: string | number = customerId): string =>
  `/viewer/${c}/${SPACE}/${encodeURIComponent(id)}`;

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-viewer-store-'));
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-viewer-cache-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: PUBLIC,
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    SERVICE_INSTANCE: `viewer-test-${vhost.id}`,
  });
  prisma = createPrismaClient(db.url);
  const customer = await prisma.customer.create({
    data: { name: 'viewer-test', displayName: 'Viewer test' },
  });
  customerId = customer.id;
  await prisma.space.create({ data: { customerId, id: SPACE, name: 'photos' } });
  const derivatives = {
    pyramid: { bucket: 'vellum-derivatives', key: 'p.tif', size: 1, tileSize: 512 },
    thumbnails: {
      bucket: 'vellum-thumbs',
      open: [[400, 300]],
      auth: [],
      keys: { '400,300': 't.jpg' },
      size: 1,
    },
  };
  const base = {
    customerId,
    spaceId: SPACE,
    mediaType: 'image/jpeg',
    width: 4000,
    height: 3000,
    finished: new Date('2024-05-01T10:00:00Z'),
    deliveryChannels: [
      { channel: 'iiif-img', policy: 'default' },
      { channel: 'thumbs', policy: 'default' },
    ],
    derivatives,
  };
  // A customer named like the assets folder: /viewer/assets/{s}/{id} is its page.
  const assetsCustomer = await prisma.customer.create({ data: { name: 'assets', displayName: 'Assets' } });
  await prisma.space.create({ data: { customerId: assetsCustomer.id, id: SPACE, name: 'photos' } });
  await prisma.asset.createMany({
    data: [
      { ...base, id: ID },
      { ...base, customerId: assetsCustomer.id, id: 'in-assets' },
      { ...base, id: XSS_ID },
      { ...base, id: 'thumbs-only', deliveryChannels: [{ channel: 'thumbs', policy: 'default' }] },
    ],
  });
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: vhost.url,
    exchange: vhost.exchange,
    retryDelaysMs: [],
  });
  app = await bootstrapService(
    deliveryRootModule(env, { objectStore: createObjectStore({ driver: 'fs', root: storageRoot }) }),
    { serviceName: SERVICE_NAME, port: 0, host: '127.0.0.1', transport, configure: configureDeliveryApp },
  );
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(storageRoot, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

describe('GET /viewer/{c}/{s}/{id}', () => {
  it('serves the page: HTML, no-cache, CSP, CORS, the 3.0 info.json as the tile source, header links', async () => {
    const res = await get(page(ID));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("img-src 'self' data: blob: https://images.example.org");
    const html = await res.text();
    const info = `${PUBLIC}/iiif-img/${customerId}/${SPACE}/${ID}/info.json`;
    expect(html).toContain(`<title>photo-1</title>`);
    expect(html).toContain(`data-tile-source="${info}"`);
    expect(html).toContain(`href="${info}"`);
    expect(html).toContain(`href="${PUBLIC}/iiif-img/v2/${customerId}/${SPACE}/${ID}/info.json"`);
    expect(html).toContain(`href="${PUBLIC}/thumbs/${customerId}/${SPACE}/${ID}/full/max/0/default.jpg"`);
    // Assets relative to the page, so they load from whatever host and path prefix served it.
    expect(html).toContain('<script src="../../assets/openseadragon.min.js?v=');
    expect(html).toContain('<script src="../../assets/vellum-viewer.js?v=');
    expect(html).toContain('data-prefix-url="../../assets/images/"');
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/);
  });

  it('keeps the configured public base (VELLUM_DELIVERY_URL) over forwarded headers and accepts the customer name', async () => {
    const res = await get(page(ID, 'viewer-test'), {
      'X-Forwarded-Host': 'iiif.example.com',
      'X-Forwarded-Proto': 'http',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).not.toContain('iiif.example.com');
    const html = await res.text();
    expect(html).toContain(`data-tile-source="${PUBLIC}/iiif-img/viewer-test/${SPACE}/${ID}/info.json"`);
    expect(html).not.toContain('iiif.example.com');
  });

  it('escapes an id with markup in it (title, attributes, links)', async () => {
    const res = await get(page(XSS_ID));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('alert("x")');
    expect(html).toContain('<title>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;</title>');
    // In URLs the id is percent-encoded (and `'` escaped for the attribute).
    expect(html).toContain(
      `/iiif-img/${customerId}/${SPACE}/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E&#38;&#39;/info.json`,
    );
  });

  it('escapes an unknown id with markup in the 404 page', async () => {
    const res = await get(page('<script>alert(1)</script>'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it.each([
    ['an unknown asset', () => page('nope')],
    ['an unknown customer', () => page(ID, 'nobody')],
    ['an unknown space', () => `/viewer/${customerId}/99/${ID}`],
    ['an asset without the iiif-img channel', () => page('thumbs-only')],
  ])('answers 404 (HTML, CORS) for %s', async (_label, url) => {
    const res = await get(url());
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toContain('404 Not Found');
  });

  it('answers 404 for other shapes under /viewer', async () => {
    for (const p of [
      '/viewer',
      `/viewer/${customerId}`,
      `/viewer/${customerId}/${SPACE}/${ID}/extra`,
      `/viewer/v3/${customerId}/${SPACE}/${ID}`,
    ]) {
      expect((await get(p)).status).toBe(404);
    }
  });

  it('serves the page of a customer named "assets" (/viewer/assets/{s}/{id})', async () => {
    const res = await get(`/viewer/assets/${SPACE}/in-assets`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-tile-source="${PUBLIC}/iiif-img/assets/${SPACE}/in-assets/info.json"`);
    expect(html).toContain('<script src="../../assets/openseadragon.min.js?v=');
  });

  it('leaves /iiif-img and /thumbs to their controllers', async () => {
    const res = await get(`/iiif-img/${customerId}/${SPACE}/${ID}/info.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(`${PUBLIC}/iiif-img/${customerId}/${SPACE}/${ID}`);
    expect((await get(`/thumbs/${customerId}/${SPACE}/${ID}/info.json`)).status).toBe(200);
  });
});

describe('GET /viewer/mirador?manifest=', () => {
  const manifest = `${PUBLIC}/iiif-resource/${SPACE}/book/b1`;
  const mirador = (m: string) => `/viewer/mirador?manifest=${encodeURIComponent(m)}`;

  it('serves the Mirador page: HTML, no-cache, its CSP, CORS, the manifest in data-manifest, assets relative', async () => {
    const res = await get(mirador(manifest));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob: https://images.example.org; connect-src 'self' https://images.example.org; " +
        "base-uri 'none'; form-action 'none'",
    );
    const html = await res.text();
    expect(html).toContain(`<main id="mirador" data-manifest="${manifest}"></main>`);
    expect(html).toContain('<script src="assets/mirador.min.js?v=4.');
    expect(html).toContain('<script src="assets/vellum-mirador.js?v=');
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/);
  });

  it('takes a path under the public base (prefix kept), and keeps the assets relative under /viewer/mirador/', async () => {
    const res = await get(`/viewer/mirador/?manifest=/iiif-resource/${SPACE}/book/b1`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-manifest="${manifest}"`);
    expect(html).toContain('<script src="../assets/mirador.min.js?v=');
  });

  it('serves Mirador and the page script from /viewer/assets/', async () => {
    const js = await get('/viewer/assets/mirador.min.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000');
    expect((await js.text()).slice(0, 400)).toContain('Mirador');
    expect(await (await get('/viewer/assets/vellum-mirador.js')).text()).toContain('Mirador.viewer(');
  });

  it.each([
    ['no manifest', '/viewer/mirador', 'No manifest given.'],
    ['an empty manifest', '/viewer/mirador?manifest=', 'No manifest given.'],
    ['two manifests', '/viewer/mirador?manifest=/a&manifest=/b', 'No manifest given.'],
    [
      "another host's manifest",
      mirador('https://evil.example.com/m.json'),
      'This viewer opens manifests of https://images.example.org only, not of https://evil.example.com.',
    ],
    [
      'a protocol-relative URL',
      mirador('//evil.example.com/m.json'),
      'Not a manifest URL of this service: //evil.example.com/m.json.',
    ],
    [
      'markup',
      mirador('<script>alert(1)</script>'),
      'Not a manifest URL of this service: &#60;script&#62;alert(1)&#60;/script&#62;.',
    ],
  ])('answers 400 (HTML page saying what is expected) for %s', async (_label, url, detail) => {
    const res = await get(url);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const html = await res.text();
    expect(html).toContain('<title>400 Bad Request</title>');
    expect(html).toContain(detail);
    expect(html).not.toContain('<script');
  });
});

describe('GET /viewer/assets/{name}', () => {
  it('serves OpenSeadragon as JavaScript with a long Cache-Control and an ETag (304 on revalidation)', async () => {
    const res = await get('/viewer/assets/openseadragon.min.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('OpenSeadragon');
    const again = await get('/viewer/assets/openseadragon.min.js?v=5', {
      'If-None-Match': res.headers.get('etag')!,
    });
    expect(again.status).toBe(304);
  });

  it('serves the navigation images, the page script and stylesheet', async () => {
    const png = await get('/viewer/assets/images/zoomin_rest.png');
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const js = await get('/viewer/assets/vellum-viewer.js');
    expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await js.text()).toContain("crossOriginPolicy: 'Anonymous'");
    expect((await get('/viewer/assets/vellum-viewer.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it.each([
    '/viewer/assets/..%2F..%2Fpackage.json',
    '/viewer/assets/..%2Fpackage.json',
    '/viewer/assets/images/..%2F..%2F..%2Fpackage.json',
    '/viewer/assets/%2Fetc%2Fpasswd',
    '/viewer/assets/openseadragon.js',
    '/viewer/assets/images/missing.png',
    '/viewer/assets/LICENSE.txt',
  ])('answers 404 for %s', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('labels the request metrics with the route templates', async () => {
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/viewer\/assets\/\*file"[^}]*\}/);
    expect(text).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/viewer\/:customer\/:space\/:id"/,
    );
  });
});
