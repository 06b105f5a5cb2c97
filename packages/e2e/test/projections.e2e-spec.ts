/**
 * Named-query PDFs and ZIPs end to end (SPEC.md §7 `pdf`, `zip`) through the six running services, with real
 * PostgreSQL, RabbitMQ (a fresh vhost), s3rver and real fixture images from an HTTP origin on 127.0.0.1: registers
 * a "book" of images with `string1`/`number1` (one of them restricted), creates a named query through the API,
 * polls `/pdf/...` until it answers 200 (deadline), checks its pages (cover, one per asset in order, the
 * restricted one redacted) and its control document, reads the ZIP back, then changes a member and sees the PDF
 * rebuilt.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import * as yauzl from 'yauzl';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  waitFor,
} from '@vellum/testing';
import { SERVICE_NAMES, type ServiceName, startPlatform, type Platform, tailLog } from '../src/platform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const run = promisify(execFile);
const ADMIN = { key: 'e2e-pz-admin', secret: 'e2e-pz-admin-secret-0123456789' };
const PAGES = [
  { id: 'book-p1', file: 'photo-large.jpg', mediaType: 'image/jpeg', n: 1 },
  { id: 'book-p2', file: 'tiff-lzw.tif', mediaType: 'image/tiff', n: 2 },
  { id: 'book-p3', file: 'grayscale.png', mediaType: 'image/png', n: 3, roles: true },
  { id: 'book-p4', file: 'exif-orientation-6.jpg', mediaType: 'image/jpeg', n: 4 },
];

describe('named-query PDF and ZIP projections end to end', () => {
  let platform: Platform;
  let cleanups: Array<() => Promise<unknown>> = [];
  let origin: http.Server;
  let originUrl: string;
  let customer: number;
  let space: number;
  let tmp: string;

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

  /** GETs `url` until it answers 200 (202 while building), within `timeoutMs`. */
  async function pollUntilBuilt(
    url: string,
    timeoutMs = 60_000,
  ): Promise<{ res: Response; body: Buffer; polls: number }> {
    let polls = 0;
    return waitFor(
      async () => {
        polls++;
        const res = await fetch(url);
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status === 202) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          return null;
        }
        if (res.status !== 200)
          throw new Error(`${url} answered ${res.status}: ${body.toString().slice(0, 300)}`);
        return { res, body, polls };
      },
      { timeoutMs, intervalMs: 250, description: `${url} to be built` },
    );
  }

  beforeAll(async () => {
    const [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
    cleanups = [() => db.drop(), () => vhost.drop(), () => s3.stop()];
    origin = http.createServer((req, res) => {
      const file = fixturePath(
        path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)),
      );
      res.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = await freePort();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-e2e-pz-'));
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
        VELLUM_PROJECTION_RETRY_AFTER_S: '1',
      },
      ports,
    );
    const c = await api('POST', '/customers', { name: 'e2e-pz', displayName: 'Projections' });
    expect(c.status).toBe(201);
    customer = c.body.id ?? Number(String(c.body['@id']).split('/').pop());
    const s = await api('POST', `/customers/${customer}/spaces`, { name: 'books' });
    expect(s.status).toBe(201);
    space = s.body.id ?? Number(String(s.body['@id']).split('/').pop());
    for (const p of PAGES) {
      const r = await api('PUT', `/customers/${customer}/spaces/${space}/images/${p.id}`, {
        origin: `${originUrl}/${p.file}`,
        mediaType: p.mediaType,
        string1: 'b12345',
        number1: p.n,
        ...(p.roles ? { roles: ['clickthrough'] } : {}),
      });
      expect(r.status).toBe(201);
    }
    const q = await api('POST', `/customers/${customer}/namedQueries`, {
      name: 'book',
      template:
        'manifest=s1&s1=p1&canvas=n1&coverpage=p2&redactedmessage=Restricted page&objectname=Book b12345.pdf',
    });
    expect(q.status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    if (platform) {
      if (expect.getState().numPassingAsserts === 0)
        for (const s of Object.values(platform.services)) console.log(`--- ${s.name}\n${tailLog(s, 20)}`);
      await platform.stop();
    }
    if (origin) await new Promise((r) => origin.close(r));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }, 60_000);

  it('builds the PDF asynchronously, serves it with its pages, and rebuilds it when a member changes', async () => {
    const url = `${platform.deliveryUrl}/pdf/${customer}/book/b12345/${encodeURIComponent('The Book of b12345')}`;
    const first = await fetch(url);
    expect(first.status).toBe(202);
    const started = Date.now();
    const built = await pollUntilBuilt(url);
    console.log(
      `PDF of ${PAGES.length} assets built and served in ${Date.now() - started} ms (${built.polls} polls)`,
    );
    expect(built.res.headers.get('content-type')).toBe('application/pdf');
    expect(built.res.headers.get('content-disposition')).toBe('inline; filename="Book b12345.pdf"');
    expect(built.res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = await PDFDocument.load(built.body);
    expect(doc.getPageCount()).toBe(1 + PAGES.length);
    const sizes = doc.getPages().map((p) => [Math.round(p.getSize().width), Math.round(p.getSize().height)]);
    // The largest open thumbnails (thumbs/default: !1024,1024) at 0.75 pt per pixel; the cover takes page 1's size;
    // the restricted grayscale page is redacted at its thumbnail's size (512 × 512 → 384 pt).
    expect(sizes).toEqual([
      [768, 432],
      [768, 432],
      [768, 566],
      [384, 384],
      [768, 512],
    ]);
    const file = path.join(tmp, 'book.pdf');
    fs.writeFileSync(file, built.body);
    const text = async (page: number) =>
      (await run('pdftotext', ['-f', `${page}`, '-l', `${page}`, file, '-'])).stdout.trim();
    expect(await text(1)).toBe('The Book of b12345');
    expect(await text(4)).toBe('Restricted page');

    const control = await fetch(
      `${platform.deliveryUrl}/pdf-control/${customer}/book/b12345/${encodeURIComponent('The Book of b12345')}`,
    );
    expect(control.status).toBe(200);
    const c1: Json = await control.json();
    expect(c1).toMatchObject({
      type: 'PdfControl',
      exists: true,
      inProcess: false,
      pageCount: 5,
      sizeBytes: built.body.length,
      stale: false,
      // Roles are stored by name (issue 10); the control document names the member's role.
      roles: [expect.stringMatching(/(^|\/roles\/)clickthrough$/)],
    });

    // A member changes (a metadata edit moves p4 before p1): the next request rebuilds it.
    const patched = await api('PATCH', `/customers/${customer}/spaces/${space}/images/book-p4`, {
      number1: 0,
    });
    expect(patched.status).toBe(200);
    const again = await fetch(url);
    expect(again.status).toBe(202);
    const rebuilt = await pollUntilBuilt(url);
    const doc2 = await PDFDocument.load(rebuilt.body);
    expect(doc2.getPageCount()).toBe(5);
    expect([
      Math.round(doc2.getPage(1).getSize().width),
      Math.round(doc2.getPage(1).getSize().height),
    ]).toEqual([768, 512]);
    expect(rebuilt.res.headers.get('etag')).not.toBe(built.res.headers.get('etag'));
    const c2: Json = await (
      await fetch(
        `${platform.deliveryUrl}/pdf-control/${customer}/book/b12345/${encodeURIComponent('The Book of b12345')}`,
      )
    ).json();
    expect(new Date(c2.created).getTime()).toBeGreaterThan(new Date(c1.created).getTime());
  }, 180_000);

  it('builds the ZIP of the largest open thumbnails, named by asset id', async () => {
    const url = `${platform.deliveryUrl}/zip/${customer}/book/b12345`;
    const built = await pollUntilBuilt(url);
    expect(built.res.headers.get('content-type')).toBe('application/zip');
    // `objectname` names the ZIP too, with its own extension.
    expect(built.res.headers.get('content-disposition')).toBe('attachment; filename="Book b12345.zip"');
    const names = await zipNames(built.body);
    // In order (book-p4 now first). book-p3 has roles and no openFullMax/openMaxWidth, so none of its thumbnails is
    // open: it has no entry.
    expect(names).toEqual(['book-p4.jpg', 'book-p1.jpg', 'book-p2.jpg']);
    const control: Json = await (
      await fetch(`${platform.deliveryUrl}/zip-control/${customer}/book/b12345`)
    ).json();
    expect(control).toMatchObject({ type: 'ZipControl', itemCount: names.length, exists: true });
  }, 120_000);

  it('answers bad arguments and unknown queries with problems', async () => {
    const bad = await fetch(`${platform.deliveryUrl}/pdf/${customer}/nosuch/b12345`);
    expect(bad.status).toBe(404);
    const none = await fetch(`${platform.deliveryUrl}/pdf/${customer}/book/b99999`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as Json).detail).toBe(
      `Named query book/b99999 matches no assets of customer ${customer}`,
    );
  });
});

async function zipNames(buf: Buffer): Promise<string[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (e: yauzl.Entry) => {
      names.push(e.fileName);
      zip.readEntry();
    });
    zip.readEntry();
  });
  return names;
}
