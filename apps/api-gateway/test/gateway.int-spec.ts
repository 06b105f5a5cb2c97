/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import type { INestApplication } from '@nestjs/common';
import { validateEnv } from '@vellum/common';
import { AssetIngestFinishedV1 } from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { MessagePublisher } from '@vellum/messaging';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { GatewayEnv } from '../src/config/gateway-env';
import { startGateway } from '../src/gateway';
import { bootstrapAdmin } from '../src/auth/bootstrap-admin';

/**
 * The management API through real Postgres and RabbitMQ (no orchestrator running: immediate registrations end
 * with 202 after the short VELLUM_IMMEDIATE_TIMEOUT_MS configured here, unless the test finishes the ingest).
 */
describe('api-gateway (integration)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let app: INestApplication;
  let prisma: PrismaClient;
  let base: string;
  let admin: string;
  let keyA: string;
  let keyB: string;
  let acmeId: number;
  let otherId: number;

  const auth = (pair: string) => ({ Authorization: `Basic ${Buffer.from(pair).toString('base64')}` });
  async function call(
    method: string,
    path: string,
    opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...(opts.key ? auth(opts.key) : {}), ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, json };
  }

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = validateEnv(GatewayEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_DELIVERY_URL: 'http://delivery.test',
      VELLUM_IMMEDIATE_TIMEOUT_MS: '1500',
    });
    app = await startGateway(env, { host: '127.0.0.1' });
    prisma = createPrismaClient(db.url);
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('serves the entry point, OpenAPI and health without credentials', async () => {
    const root = await call('GET', '/');
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ '@id': `${base}/`, customers: `${base}/customers` });
    const fwd = await call('GET', '/', {
      headers: { 'X-Forwarded-Host': 'api.example.org', 'X-Forwarded-Proto': 'https' },
    });
    expect(fwd.json.customers).toBe('https://api.example.org/customers');
    const openapi = await call('GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining([
        '/customers/{customer}/queue',
        '/customers/{customer}/spaces/{space}/images/{id}',
      ]),
    );
    expect((await call('GET', '/health/live')).status).toBe(200);
  });

  it('sets up the admin once', async () => {
    const first = await call('POST', '/setup');
    expect(first.status).toBe(201);
    expect(first.json.key).toEqual(expect.any(String));
    expect(first.json.secret).toEqual(expect.any(String));
    admin = `${first.json.key}:${first.json.secret}`;
    const again = await call('POST', '/setup');
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('needs credentials: 401 with WWW-Authenticate', async () => {
    const none = await call('GET', '/customers');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="Vellum"');
    const wrong = await call('GET', '/customers', { key: `${admin.split(':')[0]}:not-the-secret` });
    expect(wrong.status).toBe(401);
  });

  it('creates customers (admin only; name rules; duplicates → 409) and keys', async () => {
    const acme = await call('POST', '/customers', {
      key: admin,
      body: { name: 'acme', displayName: 'Acme' },
    });
    expect(acme.status).toBe(201);
    expect(acme.headers.get('location')).toBe(acme.json['@id']);
    acmeId = acme.json.id;
    const outbox = await prisma.outboxMessage.findMany({ where: { routingKey: 'customer.created.v1' } });
    expect(outbox.map((o) => (o.envelope as any).data.name)).toContain('acme');
    const dup = await call('POST', '/customers', {
      key: admin,
      body: { name: 'acme', displayName: 'Acme 2' },
    });
    expect(dup.status).toBe(409);
    const bad = await call('POST', '/customers', { key: admin, body: { name: 'v2', displayName: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: any) => e.field).sort()).toEqual(['displayName', 'name']);
    otherId = (
      await call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;

    const kA = await call('POST', `/customers/${acmeId}/keys`, { key: admin });
    expect(kA.status).toBe(201);
    keyA = `${kA.json.key}:${kA.json.secret}`;
    const kB = await call('POST', `/customers/other/keys`, { key: admin });
    keyB = `${kB.json.key}:${kB.json.secret}`;
    const keys = await call('GET', `/customers/${acmeId}/keys`, { key: keyA });
    expect(keys.status).toBe(200);
    expect(keys.json.totalItems).toBe(1);
    expect(keys.json.member[0].secret).toBeUndefined();
    const list = await call('GET', '/customers', { key: admin });
    expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 3, pageSize: 100 });
  });

  it("keeps customers apart: A's key gets 403 on B's routes and on admin routes", async () => {
    expect((await call('GET', `/customers/${acmeId}`, { key: keyA })).status).toBe(200);
    expect((await call('GET', `/customers/acme/spaces`, { key: keyA })).status).toBe(200);
    expect((await call('GET', `/customers/${otherId}`, { key: keyA })).status).toBe(403);
    expect((await call('GET', `/customers/${otherId}/spaces`, { key: keyA })).status).toBe(403);
    expect((await call('POST', `/customers/${otherId}/keys`, { key: keyA })).status).toBe(403);
    expect((await call('GET', `/customers/${acmeId}/spaces`, { key: keyB })).status).toBe(403);
    expect((await call('GET', `/customers/9999/spaces`, { key: keyA })).status).toBe(403);
    expect((await call('GET', `/customers/9999/spaces`, { key: admin })).status).toBe(404);
    expect((await call('GET', '/customers', { key: keyA })).status).toBe(403);
    expect((await call('POST', '/customers', { key: keyA, body: { name: 'x' } })).status).toBe(403);
  });

  it('creates, reads and updates spaces', async () => {
    // Roles must exist (issue 10): r1 is created first; the space and its assets store the name.
    expect(
      (await call('PUT', `/customers/${acmeId}/roles/r1`, { key: keyA, body: { label: { en: ['R1'] } } }))
        .status,
    ).toBe(201);
    const s = await call('POST', `/customers/${acmeId}/spaces`, {
      key: keyA,
      body: { name: 'books', defaultTags: ['book'], defaultRoles: ['r1'] },
    });
    expect(s.status).toBe(201);
    expect(s.json).toMatchObject({ '@type': 'vocab:Space', id: 1, name: 'books', defaultTags: ['book'] });
    expect(
      (await call('POST', `/customers/${acmeId}/spaces`, { key: keyA, body: { name: 'books' } })).status,
    ).toBe(409);
    const s2 = await call('POST', `/customers/${acmeId}/spaces`, { key: keyA, body: { name: 'maps' } });
    expect(s2.json.id).toBe(2);
    const patched = await call('PATCH', `/customers/${acmeId}/spaces/2`, {
      key: keyA,
      body: { defaultMaxWidth: 800 },
    });
    expect(patched.json).toMatchObject({ name: 'maps', defaultMaxWidth: 800 });
    const clash = await call('PATCH', `/customers/${acmeId}/spaces/2`, {
      key: keyA,
      body: { name: 'books' },
    });
    expect(clash.status).toBe(409);
    const paged = await call('GET', `/customers/${acmeId}/spaces?pageSize=1`, { key: keyA });
    expect(paged.json.view).toMatchObject({ '@type': 'PartialCollectionView', totalPages: 2, page: 1 });
    expect((await call('GET', `/customers/${acmeId}/spaces?pageSize=501`, { key: keyA })).status).toBe(400);
    const order = await call('GET', `/customers/${acmeId}/spaces?orderBy=bogus`, { key: keyA });
    expect(order.status).toBe(400);
    expect(order.json.errors[0].field).toBe('orderBy');
  });

  it('PUT asset writes the asset and its outbox command in one transaction, then 202 past the timeout', async () => {
    const t0 = Date.now();
    const res = await call('PUT', `/customers/${acmeId}/spaces/1/images/img-1`, {
      key: keyA,
      body: { origin: 'http://127.0.0.1:1/img.jpg', mediaType: 'image/jpeg', string1: 'b1' },
    });
    expect(res.status).toBe(202);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(res.json).toMatchObject({
      '@id': `${base}/customers/${acmeId}/spaces/1/images/img-1`,
      '@type': 'vocab:Image',
      id: 'img-1',
      space: 1,
      ingesting: true,
      family: 'I',
      tags: ['book'],
      roles: [`${base}/customers/${acmeId}/roles/r1`],
      string1: 'b1',
      imageService: `http://delivery.test/iiif-img/${acmeId}/1/img-1`,
      thumbnailImageService: `http://delivery.test/thumbs/${acmeId}/1/img-1`,
    });
    expect(res.json.deliveryChannels).toEqual([
      { '@type': 'vocab:DeliveryChannel', channel: 'iiif-img', policy: 'default' },
      { '@type': 'vocab:DeliveryChannel', channel: 'thumbs', policy: 'default' },
    ]);
    expect(res.json.error).toBeUndefined();
    expect(res.json.manifest).toBe(`http://delivery.test/iiif-manifest/${acmeId}/1/img-1`);
    const row = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: acmeId, spaceId: 1, id: 'img-1' } },
    });
    expect(row).toMatchObject({ ingesting: true, ingestAttempt: 1, error: null, family: 'I' });
    const commands = await prisma.outboxMessage.findMany({
      where: { routingKey: 'asset.ingest.requested.v1' },
    });
    expect(commands).toHaveLength(1);
    expect(commands[0].priority).toBe(5);
    expect((commands[0].envelope as any).data).toEqual({
      customerId: acmeId,
      spaceId: 1,
      assetId: 'img-1',
      attempt: 1,
      priority: true,
    });
  });

  it('answers 200 with the finished asset as soon as asset.ingest.finished.v1 arrives', async () => {
    const put = call('PUT', `/customers/${acmeId}/spaces/1/images/img-1`, {
      key: keyA,
      body: { origin: 'http://127.0.0.1:1/img2.jpg', mediaType: 'image/jpeg' },
    });
    // Play the orchestrator: finalise attempt 2, then publish the event.
    const where = { customerId_spaceId_id: { customerId: acmeId, spaceId: 1, id: 'img-1' } };
    for (let i = 0; i < 50; i++) {
      const r = await prisma.asset.findUnique({ where });
      if (r?.ingestAttempt === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await prisma.asset.update({
      where,
      data: { ingesting: false, finished: new Date(), width: 640, height: 480 },
    });
    await app.get(MessagePublisher).publish(
      Object.assign(new AssetIngestFinishedV1(), {
        customerId: acmeId,
        spaceId: 1,
        assetId: 'img-1',
        attempt: 2,
        success: true,
        width: 640,
        height: 480,
      }),
    );
    const res = await put;
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      ingesting: false,
      width: 640,
      height: 480,
      origin: 'http://127.0.0.1:1/img2.jpg',
    });
    expect(res.json.finished).toEqual(expect.any(String));
    // PUT keeps the fields it omits (SPEC.md §3.3): string1 was not sent again.
    expect(res.json.string1).toBe('b1');
  });

  it('PATCH changes only the supplied fields and does not reingest for metadata', async () => {
    const before = await prisma.outboxMessage.count({ where: { routingKey: 'asset.ingest.requested.v1' } });
    const res = await call('PATCH', `/customers/${acmeId}/spaces/1/images/img-1`, {
      key: keyA,
      body: { string2: 'x', number1: 3 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      string2: 'x',
      number1: 3,
      tags: ['book'],
      roles: [`${base}/customers/${acmeId}/roles/r1`],
      ingesting: false,
    });
    expect(await prisma.outboxMessage.count({ where: { routingKey: 'asset.ingest.requested.v1' } })).toBe(
      before,
    );
    // The change is published as asset.updated.v1 with the representation before and after (SPEC.md §2).
    const updates = await prisma.outboxMessage.findMany({
      where: { routingKey: 'asset.updated.v1' },
      orderBy: { created: 'desc' },
    });
    const data = (
      updates[0]?.envelope as {
        data: { assetId: string; before: Record<string, unknown>; after: Record<string, unknown> };
      }
    ).data;
    expect(data.assetId).toBe('img-1');
    expect(data.before.number1).toBeUndefined();
    expect(data.after).toMatchObject({ string2: 'x', number1: 3, tags: ['book'] });
    const get = await call('GET', `/customers/${acmeId}/spaces/1/images/img-1`, { key: keyA });
    expect(get.status).toBe(200);
    expect(get.json.number1).toBe(3);
    expect((await call('GET', `/customers/${acmeId}/spaces/1/images/img-1`, { key: keyB })).status).toBe(403);
    expect((await call('GET', `/customers/${acmeId}/spaces/1/images/nope`, { key: keyA })).status).toBe(404);
  });

  it('answers audio/video at once with 201 and ingesting: true', async () => {
    const t0 = Date.now();
    const res = await call('POST', `/customers/${acmeId}/spaces/1/images`, {
      key: keyA,
      body: { origin: 'https://example.org/a.mp4', mediaType: 'video/mp4' },
    });
    expect(res.status).toBe(201);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(res.json).toMatchObject({
      ingesting: true,
      family: 'T',
      deliveryChannels: [{ channel: 'iiif-av', policy: 'default-video' }],
    });
    expect(res.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(res.json['@id']);
  });

  it('rejects bad asset bodies with a 400 problem listing every field', async () => {
    const bad = await call('PUT', `/customers/${acmeId}/spaces/1/images/new-one`, {
      key: keyA,
      body: {
        origin: 'gopher://example.org/x.tif',
        width: 10,
        deliveryChannels: ['iiif-av'],
        bogus: 1,
        tags: 'x',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const fields = bad.json.errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['origin', 'width', 'bogus', 'tags']));
    expect(bad.json.errors.find((e: any) => e.field === 'origin').message).toMatch(/not supported/);

    const missing = await call('PUT', `/customers/${acmeId}/spaces/1/images/new-one`, {
      key: keyA,
      body: { origin: 'https://example.org/x.jpg' },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.errors.map((e: any) => e.field)).toEqual(['mediaType']);

    const badId = await call('PUT', `/customers/${acmeId}/spaces/1/images/a%20b`, {
      key: keyA,
      body: { origin: 'https://example.org/x.jpg', mediaType: 'image/jpeg' },
    });
    expect(badId.status).toBe(400);
    expect(badId.json.errors[0].field).toBe('id');

    const wrongChannel = await call('PUT', `/customers/${acmeId}/spaces/1/images/new-one`, {
      key: keyA,
      body: {
        origin: 'https://example.org/x.zip',
        mediaType: 'application/zip',
        deliveryChannels: ['iiif-img'],
      },
    });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.json.errors[0].field).toBe('deliveryChannels[0]');

    const noSpace = await call('PUT', `/customers/${acmeId}/spaces/77/images/x`, {
      key: keyA,
      body: { origin: 'https://example.org/x.jpg', mediaType: 'image/jpeg' },
    });
    expect(noSpace.status).toBe(404);
    expect(await prisma.asset.count({ where: { id: 'new-one' } })).toBe(0);
  });

  it('answers malformed JSON and oversized bodies with problems', async () => {
    const malformed = await call('PUT', `/customers/${acmeId}/spaces/1/images/x`, {
      key: keyA,
      raw: '{"origin": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(malformed.json).toMatchObject({ '@type': 'Error', status: 400 });
    const big = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      raw: JSON.stringify({ member: [], pad: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(big.status).toBe(413);
    expect(big.json['@type']).toBe('Error');
  });

  it('accepts a batch: assets, batch, members and outbox rows in one go', async () => {
    const members = [1, 2, 3].map((n) => ({
      space: 1,
      id: `q-${n}`,
      origin: `https://example.org/${n}.jpg`,
      mediaType: 'image/jpeg',
      number1: n,
    }));
    const res = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      body: {
        '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
        '@type': 'Collection',
        member: members,
      },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      '@type': 'vocab:Batch',
      count: 3,
      completed: 0,
      errors: 0,
      superseded: false,
    });
    expect(res.headers.get('location')).toBe(res.json['@id']);
    const batchId = res.json.id as number;
    expect(await prisma.batchMember.count({ where: { batchId } })).toBe(3);
    const assets = await prisma.asset.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
    expect(assets.map((a) => [a.id, a.ingesting, a.ingestAttempt, a.tags])).toEqual([
      ['q-1', true, 1, ['book']],
      ['q-2', true, 1, ['book']],
      ['q-3', true, 1, ['book']],
    ]);
    const cmds = (
      await prisma.outboxMessage.findMany({ where: { routingKey: 'asset.ingest.requested.v1' } })
    ).filter((o) => (o.envelope as any).data.batchId === batchId);
    expect(cmds).toHaveLength(3);
    expect(cmds.every((c) => c.priority === 0 && (c.envelope as any).data.priority === false)).toBe(true);

    const batch = await call('GET', `/customers/${acmeId}/queue/batches/${batchId}`, { key: keyA });
    expect(batch.json).toMatchObject({
      count: 3,
      completed: 0,
      errors: 0,
      images: `${res.json['@id']}/images`,
    });
    await prisma.batch.update({ where: { id: batchId }, data: { completed: 2 } });
    const progressed = await call('GET', `/customers/${acmeId}/queue/batches/${batchId}`, { key: keyA });
    expect(progressed.json).toMatchObject({ completed: 2, estCompletion: expect.any(String) });
    const images = await call('GET', `/customers/${acmeId}/queue/batches/${batchId}/images`, { key: keyA });
    expect(images.json.totalItems).toBe(3);
    expect(images.json.member[0].batch).toBe(res.json['@id']);
    const queue = await call('GET', `/customers/${acmeId}/queue`, { key: keyA });
    expect(queue.json).toMatchObject({
      '@type': 'vocab:Queue',
      batchesWaiting: 1,
      imagesWaiting: 3,
      size: 3,
    });
    const list = await call('GET', `/customers/${acmeId}/queue/batches`, { key: keyA });
    expect(list.json.totalItems).toBe(1);
    expect((await call('GET', `/customers/${acmeId}/queue/batches/${batchId}`, { key: keyB })).status).toBe(
      403,
    );
    expect((await call('GET', `/customers/${otherId}/queue/batches/${batchId}`, { key: admin })).status).toBe(
      404,
    );

    const prio = await call('POST', `/customers/${acmeId}/queue/priority`, {
      key: keyA,
      body: {
        member: [{ space: 1, id: 'q-1', origin: 'https://example.org/1.jpg', mediaType: 'image/jpeg' }],
      },
    });
    expect(prio.status).toBe(201);
    const reingested = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: acmeId, spaceId: 1, id: 'q-1' } },
    });
    expect(reingested).toMatchObject({ ingestAttempt: 2, batchId: prio.json.id });
  });

  it('validates the whole batch first and lists every problem by member index', async () => {
    const before = await prisma.batch.count();
    const dup = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      body: {
        member: [
          { space: 1, id: 'd', origin: 'https://example.org/1.jpg', mediaType: 'image/jpeg' },
          { space: 1, id: 'd', origin: 'https://example.org/2.jpg', mediaType: 'image/jpeg' },
          { space: 1, origin: 'https://example.org/3.jpg', mediaType: 'image/jpeg' },
          { space: 9, id: 'e', origin: 'https://example.org/4.jpg', mediaType: 'image/jpeg' },
          { space: 1, id: 'f', origin: 'https://example.org/5.jpg' },
        ],
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.json.errors.map((e: any) => e.field)).toEqual([
      'member[2].id',
      'member[1].id',
      'member[3].space',
      'member[4].mediaType',
    ]);
    const tooMany = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      body: {
        member: Array.from({ length: 501 }, (_, i) => ({
          space: 1,
          id: `m${i}`,
          origin: 'https://example.org/x.jpg',
          mediaType: 'image/jpeg',
        })),
      },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.errors[0].field).toBe('member');
    const video = await call('POST', `/customers/${acmeId}/queue/priority`, {
      key: keyA,
      body: { member: [{ space: 1, id: 'v', origin: 'https://example.org/v.mp4', mediaType: 'video/mp4' }] },
    });
    expect(video.status).toBe(400);
    expect(await prisma.batch.count()).toBe(before);
  });

  it('accepts a 500-member batch in well under a second', async () => {
    const member = Array.from({ length: 500 }, (_, i) => ({
      space: 2,
      id: `big-${i}`,
      origin: `https://example.org/${i}.jpg`,
      mediaType: 'image/jpeg',
      string1: 'book-9',
      number1: i,
    }));
    let t0 = Date.now();
    const first = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      body: { '@type': 'Collection', member },
    });
    const cold = Date.now() - t0;
    expect(first.status).toBe(201);
    // The same 500 again: every member is now a replace (reingest, attempt 2).
    t0 = Date.now();
    const res = await call('POST', `/customers/${acmeId}/queue`, {
      key: keyA,
      body: { '@type': 'Collection', member },
    });
    const elapsed = Date.now() - t0;
    console.log(`500-member batch accepted in ${cold} ms (first), ${elapsed} ms (replace)`);
    expect(res.status).toBe(201);
    expect(res.json.count).toBe(500);
    // SPEC §10 target: < 1 s (≈ 300 ms on an idle 2-core machine); slack here for a CPU shared with other suites.
    expect(elapsed).toBeLessThan(2500);
    expect(await prisma.asset.count({ where: { customerId: acmeId, spaceId: 2 } })).toBe(500);
    expect(
      await prisma.asset.count({
        where: { customerId: acmeId, spaceId: 2, ingestAttempt: 2, batchId: res.json.id },
      }),
    ).toBe(500);
    expect(await prisma.batchMember.count({ where: { batchId: res.json.id, attempt: 2 } })).toBe(500);
    const page = await call(
      'GET',
      `/customers/${acmeId}/spaces/2/images?pageSize=100&page=2&orderByDescending=number1&string1=book-9`,
      { key: keyA },
    );
    expect(page.json.totalItems).toBe(500);
    expect(page.json.member[0].number1).toBe(399);
    expect(page.json.view).toMatchObject({ page: 2, totalPages: 5 });
  });

  it('bootstraps an admin key from the environment idempotently', async () => {
    const pair = { key: 'boot-admin-key', secret: 'boot-admin-secret-0123456789' };
    await expect(bootstrapAdmin(prisma, pair.key, pair.secret)).resolves.toBe('added-key');
    await expect(bootstrapAdmin(prisma, pair.key, 'another-secret-0123456789')).resolves.toBe('unchanged');
    const res = await call('GET', '/customers', { key: `${pair.key}:${pair.secret}` });
    expect(res.status).toBe(200);
    expect(await prisma.customer.count({ where: { isAdmin: true } })).toBe(1);
  });

  it("never deletes the admin's last key", async () => {
    const adminKey = admin.split(':')[0];
    expect((await call('DELETE', '/customers/admin/keys/boot-admin-key', { key: admin })).status).toBe(204);
    const res = await call('DELETE', `/customers/admin/keys/${adminKey}`, { key: admin });
    expect(res.status).toBe(409);
    const [k] = keyB.split(':');
    expect((await call('DELETE', `/customers/${otherId}/keys/${k}`, { key: admin })).status).toBe(204);
    expect((await call('GET', `/customers/${otherId}`, { key: keyB })).status).toBe(401);
  });
});
