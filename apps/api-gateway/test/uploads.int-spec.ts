/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createObjectStore, storageConfigFromEnv, type ObjectStore } from '@vellum/storage';
import { fixturePath, startS3Server, waitFor, type S3TestServer } from '@vellum/testing';
import {
  isProblem,
  roleUri,
  seedCustomer,
  startTestGateway,
  type CallResult,
  type TestGateway,
} from './harness';

const BUCKET = 'vellum-origins';
const JPEG = readFileSync(fixturePath('photo-large.jpg')); // 1.4 MB: larger than the 1 MiB JSON body limit
const PNG = readFileSync(fixturePath('png-alpha.png'));

/**
 * Uploads (SPEC.md §3.3 "Assets", §4.2 "Uploaded bytes: stored as the origin copy") through the real gateway, a
 * real S3-protocol server (s3rver), Postgres and RabbitMQ: the file lands byte for byte at the asset's origin key,
 * the asset's origin names it, and `asset.ingest.requested.v1` is published. (The ingest of an upload to a
 * finished asset runs in the end-to-end suite, which has the orchestrator and image-processor.)
 */
describe('uploads (integration)', () => {
  let s3: S3TestServer;
  let store: ObjectStore;
  let gw: TestGateway;
  let key: string;
  let c: number;
  let otherKey: string;
  let otherId: number;

  beforeAll(async () => {
    s3 = await startS3Server();
    store = createObjectStore(storageConfigFromEnv(s3.env));
    gw = await startTestGateway({ ...s3.env, VELLUM_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) });
    let admin: string;
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    const o = await gw.call('POST', '/customers', {
      key: admin,
      body: { name: 'other', displayName: 'Other' },
    });
    otherId = o.json.id;
    const k = await gw.call('POST', `/customers/${otherId}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
    await s3?.stop();
  });

  const objectKey = (id: string, space = 1, customer = c) =>
    `${customer}/${space}/${encodeURIComponent(id)}/origin`;
  const stored = (id: string, space = 1) => store.stat(BUCKET, objectKey(id, space));
  const row = (id: string, space = 1) =>
    gw.prisma.asset.findUnique({ where: { customerId_spaceId_id: { customerId: c, spaceId: space, id } } });

  /** A multipart request; `parts` in order, a Buffer value being the `file` part. */
  async function multipart(
    method: string,
    path: string,
    parts: Array<[string, string | Buffer]>,
    k: string = key,
  ): Promise<CallResult> {
    const form = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value], { type: 'image/jpeg' }), 'upload.jpg');
    }
    const res = await fetch(`${gw.base}${path}`, {
      method,
      headers: { Authorization: `Basic ${Buffer.from(k).toString('base64')}` },
      body: form,
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  /** Waits until the asset's ingest request is in the outbox and published by the relay. */
  async function ingestRequestSent(id: string, attempt: number): Promise<void> {
    await waitFor(
      async () => {
        const rows = await gw.prisma.outboxMessage.findMany({
          where: { routingKey: 'asset.ingest.requested.v1' },
        });
        return rows.some((r) => {
          const data = (r.envelope as any).data;
          return data.assetId === id && data.attempt === attempt && r.sentAt !== null;
        });
      },
      { timeoutMs: 15_000, description: `asset.ingest.requested.v1 of ${id} published` },
    );
  }

  it('multipart PUT: the file part lands byte for byte at the origin key; the origin names it; ingest is requested', async () => {
    const res = await multipart('PUT', `/customers/${c}/spaces/1/images/up-1`, [
      ['mediaType', 'image/jpeg'],
      ['string1', 'uploaded'],
      ['number1', '42'],
      ['tags', '["a","b"]'],
      ['file', JPEG],
    ]);
    expect(res.status).toBe(202); // no orchestrator here: still ingesting at the (0 ms) timeout
    expect(res.json).toMatchObject({
      id: 'up-1',
      mediaType: 'image/jpeg',
      string1: 'uploaded',
      number1: 42,
      tags: ['a', 'b'],
      ingesting: true,
      origin: `vellum-store://${BUCKET}/${objectKey('up-1')}`,
    });
    expect(res.headers.get('location')).toBe(`${gw.base}/customers/${c}/spaces/1/images/up-1`);
    expect((await store.getBuffer(BUCKET, objectKey('up-1'))).equals(JPEG)).toBe(true);
    expect((await row('up-1'))!.origin).toBe(res.json.origin);
    await ingestRequestSent('up-1', 1);
  });

  it('JSON with a base64 file larger than the JSON body limit streams it (byte for byte), POST with its id', async () => {
    const body = JSON.stringify({ id: 'up-json', mediaType: 'image/jpeg', file: JPEG.toString('base64') });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    const res = await gw.call('POST', `/customers/${c}/spaces/1/images`, { key, raw: body });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      id: 'up-json',
      origin: `vellum-store://${BUCKET}/${objectKey('up-json')}`,
    });
    expect((await store.getBuffer(BUCKET, objectKey('up-json'))).equals(JPEG)).toBe(true);
    await ingestRequestSent('up-json', 1);
  });

  it('chunked JSON (no Content-Length) with the file first and MIME line breaks; POST mints an id', async () => {
    const b64 = PNG.toString('base64').replace(/(.{76})/g, '$1\n');
    const text = `{"file": ${JSON.stringify(b64)}, "mediaType": "image/png", "string2": "chunked"}`;
    const bytes = Buffer.from(text);
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 65_536) ctl.enqueue(bytes.subarray(i, i + 65_536));
        ctl.close();
      },
    });
    const res = await fetch(`${gw.base}/customers/${c}/spaces/1/images`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(key).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body: stream,
      duplex: 'half',
    });
    const json: any = await res.json();
    expect(res.status).toBe(202);
    expect(json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.string2).toBe('chunked');
    expect((await store.getBuffer(BUCKET, objectKey(json.id))).equals(PNG)).toBe(true);
  });

  it('small JSON with a base64 file (under the body limit) works the same', async () => {
    const res = await gw.call('PUT', `/customers/${c}/spaces/1/images/up-small`, {
      key,
      body: { mediaType: 'image/png', file: PNG.toString('base64') },
    });
    expect(res.status).toBe(202);
    expect((await store.getBuffer(BUCKET, objectKey('up-small'))).equals(PNG)).toBe(true);
  });

  it('multipart POST stores under the id field when it comes before the file, else mints one', async () => {
    const named = await multipart('POST', `/customers/${c}/spaces/1/images`, [
      ['id', 'up-post'],
      ['mediaType', 'image/png'],
      ['file', PNG],
    ]);
    expect(named.status).toBe(202);
    expect(named.json.id).toBe('up-post');
    expect((await store.getBuffer(BUCKET, objectKey('up-post'))).equals(PNG)).toBe(true);
    const late = await multipart('POST', `/customers/${c}/spaces/1/images`, [
      ['mediaType', 'image/png'],
      ['file', PNG],
      ['id', 'too-late'],
    ]);
    expect(late.status).toBe(400);
    expect(late.json.errors[0]).toMatchObject({ field: 'id' });
    expect(await row('too-late')).toBeNull();
  });

  it('a file larger than VELLUM_MAX_UPLOAD_BYTES → 413 problem, nothing kept', async () => {
    const big = readFileSync(fixturePath('tiff-lzw.tif')); // 2.3 MB > 2 MiB
    const res = await multipart('PUT', `/customers/${c}/spaces/1/images/too-big`, [
      ['mediaType', 'image/tiff'],
      ['file', big],
    ]);
    expect(res.status).toBe(413);
    expect(isProblem(res)).toBe(true);
    expect(res.json.detail).toMatch(/larger than the limit of 2097152 bytes/);
    expect(await stored('too-big')).toBeNull();
    expect(await row('too-big')).toBeNull();
    const json = await gw.call('PUT', `/customers/${c}/spaces/1/images/too-big`, {
      key,
      raw: JSON.stringify({ mediaType: 'image/tiff', file: big.toString('base64') }),
    });
    expect(json.status).toBe(413);
    expect(await stored('too-big')).toBeNull();
  });

  it('a refused replacement leaves the existing asset and its stored file untouched (the commit waits for validation)', async () => {
    const before = await row('up-1');
    // number1 is not an integer, and comes after the file part: the file was streamed, then refused.
    const res = await multipart('PUT', `/customers/${c}/spaces/1/images/up-1`, [
      ['mediaType', 'image/png'],
      ['file', PNG],
      ['number1', 'many'],
    ]);
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: any) => e.field)).toEqual(['number1']);
    expect((await store.getBuffer(BUCKET, objectKey('up-1'))).equals(JPEG)).toBe(true);
    expect(await row('up-1')).toEqual(before);
  });

  it.each([
    ['no file part', 'file', [['mediaType', 'image/jpeg']]],
    [
      'origin and file',
      'origin',
      [
        ['origin', 'https://example.org/x.jpg'],
        ['mediaType', 'image/jpeg'],
        ['file', PNG],
      ],
    ],
    [
      'an empty file',
      'file',
      [
        ['mediaType', 'image/jpeg'],
        ['file', Buffer.alloc(0)],
      ],
    ],
    [
      'file as a text field',
      'file',
      [
        ['mediaType', 'image/jpeg'],
        ['file', 'not a file part'],
      ],
    ],
    [
      'a field given twice',
      'mediaType',
      [
        ['mediaType', 'image/jpeg'],
        ['mediaType', 'image/png'],
        ['file', PNG],
      ],
    ],
    [
      'an unknown field',
      'colour',
      [
        ['mediaType', 'image/jpeg'],
        ['colour', 'red'],
        ['file', PNG],
      ],
    ],
    [
      'a list that is not JSON',
      'tags',
      [
        ['mediaType', 'image/jpeg'],
        ['tags', 'a,b'],
        ['file', PNG],
      ],
    ],
    ['no mediaType', 'mediaType', [['file', PNG]]],
  ] as Array<[string, string, Array<[string, string | Buffer]>]>)(
    'multipart with %s → 400 naming %s',
    async (_what, field, parts) => {
      const id = `bad-${field}-${Math.random().toString(36).slice(2, 8)}`;
      const res = await multipart('PUT', `/customers/${c}/spaces/1/images/${id}`, parts);
      expect(res.status).toBe(400);
      expect(isProblem(res)).toBe(true);
      expect(res.json.errors.map((e: any) => e.field)).toContain(field);
      expect(await stored(id)).toBeNull();
      expect(await row(id)).toBeNull();
    },
  );

  it.each([
    ['not base64', { mediaType: 'image/jpeg', file: 'this is *not* base64' }],
    ['not a string', { mediaType: 'image/jpeg', file: 42 }],
    ['base64url', { mediaType: 'image/jpeg', file: PNG.toString('base64url') }],
  ])('JSON with a file %s → 400 naming file', async (_what, body) => {
    const res = await gw.call('PUT', `/customers/${c}/spaces/1/images/bad-json`, { key, body });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: any) => e.field)).toContain('file');
    expect(await stored('bad-json')).toBeNull();
  });

  it('a streamed JSON body is checked like any JSON body: malformed → 400, other members over the limit → 413', async () => {
    const b64 = JPEG.toString('base64');
    const malformed = await gw.call('PUT', `/customers/${c}/spaces/1/images/bad-syntax`, {
      key,
      raw: `{"mediaType": "image/jpeg", "file": "${b64}", }`,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.type).toMatch(/malformed-json/);
    expect(await stored('bad-syntax')).toBeNull();
    const fat = await gw.call('PUT', `/customers/${c}/spaces/1/images/fat`, {
      key,
      raw: JSON.stringify({ mediaType: 'image/jpeg', string1: 'x'.repeat(1100 * 1024), file: 'QQ==' }),
    });
    expect(fat.status).toBe(413);
    // Without a file, a large JSON body is still limited as before.
    const noFile = await gw.call('PUT', `/customers/${c}/spaces/1/images/nofile`, {
      key,
      raw: JSON.stringify({
        mediaType: 'image/jpeg',
        origin: 'https://example.org/a.jpg',
        tags: ['x'.repeat(1200 * 1024)],
      }),
    });
    expect(noFile.status).toBe(413);
  });

  it('unknown space → 404, another customer → 403, quota full → 507; nothing stored', async () => {
    const parts: Array<[string, string | Buffer]> = [
      ['mediaType', 'image/png'],
      ['file', PNG],
    ];
    const noSpace = await multipart('PUT', `/customers/${c}/spaces/77/images/x`, parts);
    expect(noSpace.status).toBe(404);
    expect(await stored('x', 77)).toBeNull();
    const foreign = await multipart('PUT', `/customers/${c}/spaces/1/images/foreign`, parts, otherKey);
    expect(foreign.status).toBe(403);
    expect(await stored('foreign')).toBeNull();
    expect(await row('foreign')).toBeNull();

    const admin = (await gw.prisma.apiKey.findFirst({ where: { customer: { isAdmin: true } } }))!;
    expect(admin).toBeTruthy();
    await gw.prisma.storagePolicy.create({
      data: { id: 'full', maximumNumberOfStoredImages: 1, maximumTotalSizeOfStoredImages: 1_000_000_000 },
    });
    await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'full' } });
    try {
      const full = await multipart('PUT', `/customers/${c}/spaces/1/images/over-quota`, parts);
      expect(full.status).toBe(507);
      expect(await stored('over-quota')).toBeNull();
      // Replacing an existing asset's file adds no asset: accepted.
      const replace = await multipart('PUT', `/customers/${c}/spaces/1/images/up-small`, parts);
      expect(replace.status).toBe(202);
    } finally {
      await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'default' } });
    }
    // The byte quota counts the file.
    await gw.prisma.storagePolicy.update({
      where: { id: 'full' },
      data: { maximumNumberOfStoredImages: 1000, maximumTotalSizeOfStoredImages: PNG.length - 1 },
    });
    await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'full' } });
    try {
      const bytes = await multipart('PUT', `/customers/${c}/spaces/1/images/over-bytes`, parts);
      expect(bytes.status).toBe(507);
      expect(bytes.json.detail).toMatch(new RegExp(`adds ${PNG.length}`));
      expect(await stored('over-bytes')).toBeNull();
    } finally {
      await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'default' } });
    }
  });

  it('echoing the rendered origin back keeps the uploaded copy; a vellum-store origin cannot be chosen', async () => {
    const current = await gw.call('GET', `/customers/${c}/spaces/1/images/up-post`, { key });
    await gw.prisma.asset.update({
      where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id: 'up-post' } },
      data: { ingesting: false },
    });
    const echo = await gw.call('PATCH', `/customers/${c}/spaces/1/images/up-post`, {
      key,
      body: { origin: current.json.origin, string3: 'echo' },
    });
    expect(echo.status).toBe(200);
    expect(echo.json.origin).toBe(current.json.origin);
    const forged = await gw.call('PUT', `/customers/${c}/spaces/1/images/forged`, {
      key,
      body: { origin: `vellum-store://${BUCKET}/${objectKey('up-1')}`, mediaType: 'image/jpeg' },
    });
    expect(forged.status).toBe(400);
    expect(forged.json.errors[0].field).toBe('origin');
  });

  it('an oversized upload is answered with 413 while the client is still sending', async () => {
    const total = 8 * 1024 * 1024;
    // Keep-alive (as browsers and most clients): the server answers and reads the rest off the connection.
    const agent = new Agent({ keepAlive: true });
    const result = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      let answered: { status: number; closed: boolean } | undefined;
      const req = request(
        `${gw.base}/customers/${c}/spaces/1/images/huge`,
        {
          method: 'PUT',
          agent,
          headers: {
            Authorization: `Basic ${Buffer.from(key).toString('base64')}`,
            'Content-Type': 'application/json',
            'Content-Length': String(total + 40),
          },
        },
        (res) => {
          answered = { status: res.statusCode ?? 0, closed: res.headers.connection === 'close' };
          res.resume();
          res.on('end', () => {
            req.destroy(); // the body declared is not all sent: drop the connection
            resolve(answered!);
          });
        },
      );
      // Writing on after the answer may hit the closed connection (EPIPE/ECONNRESET): expected then.
      req.on('error', (err) => (answered ? resolve(answered) : reject(err)));
      req.write('{"mediaType":"image/jpeg","file":"');
      const chunk = Buffer.alloc(64 * 1024, 'Q');
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      req.on('response', () => (sent = total)); // stop sending once answered
      pump();
    });
    agent.destroy();
    expect(result.status).toBe(413);
    expect(await stored('huge')).toBeNull();
  });
  it('multipart roles: URIs or names of existing roles, stored by name, rendered as URIs; an unknown one → 400', async () => {
    const res = await multipart('PUT', `/customers/${c}/spaces/1/images/up-roles`, [
      ['mediaType', 'image/jpeg'],
      ['roles', '["clickthrough"]'],
      ['file', JPEG],
    ]);
    expect(res.status).toBe(202);
    expect(res.json.roles).toEqual([roleUri(gw, c, 'clickthrough')]);
    expect((await row('up-roles'))!.roles).toEqual(['clickthrough']);
    const bad = await multipart('PUT', `/customers/${c}/spaces/1/images/up-ghost`, [
      ['mediaType', 'image/jpeg'],
      ['roles', '["ghost"]'],
      ['file', JPEG],
    ]);
    expect([bad.status, isProblem(bad)]).toEqual([400, true]);
    expect(bad.json.errors.map((e: any) => e.field)).toContain('roles');
    expect(await row('up-ghost')).toBeNull();
  });
});
