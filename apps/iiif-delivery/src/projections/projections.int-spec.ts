import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Controller, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { bootstrapService, validateEnv, VellumCommonModule } from '@vellum/common';
import { NamedQueryProjectionBuildV1 } from '@vellum/contracts';
import {
  completeProjectionBuild,
  createPrismaClient,
  failProjectionBuild,
  type PrismaClient,
} from '@vellum/db';
import { createTransport, MessagingModule, type VellumRmqContext } from '@vellum/messaging';
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
  startS3Server,
  waitFor,
  type S3TestServer,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { deliveryRootModule, SERVICE_NAME } from '../app.module';
import { DeliveryEnv } from '../env';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../main';

jest.setTimeout(120_000);

/**
 * `/pdf`, `/zip` and their control documents (SPEC.md §7) through the real iiif-delivery over Postgres, RabbitMQ
 * and s3rver. The image-processor is played by a test consumer that records each build command and, when told,
 * writes an object and marks the record done or failed through the shared ledger (the real worker is tested in the
 * image-processor and end to end).
 */
const commands: NamedQueryProjectionBuildV1[] = [];

@Controller()
class FakeProjectionWorker {
  @EventPattern(NamedQueryProjectionBuildV1.routingKey)
  onBuild(@Payload() cmd: NamedQueryProjectionBuildV1, @Ctx() _ctx: VellumRmqContext): void {
    commands.push(cmd);
  }
}

let db: TestDatabase;
let vhost: TestVhost;
let s3: S3TestServer;
let prisma: PrismaClient;
let store: ObjectStore;
let buckets: VellumBuckets;
let app: INestApplication;
let worker: INestApplication;
let cacheDir: string;
let base: string;
let customerId: number;
let otherId: number;

const PDF_BYTES = Buffer.concat([
  Buffer.from('%PDF-1.4\n'),
  Buffer.alloc(5000, 65),
  Buffer.from('\n%%EOF\n'),
]);

async function get(p: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(`${base}${p}`, { headers, method, redirect: 'manual' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (b: Buffer): any => JSON.parse(b.toString('utf8'));

/** Waits for the n-th build command, then plays the worker: writes `bytes` at its key and marks it done. */
async function completeNext(
  n: number,
  bytes: Buffer = PDF_BYTES,
  itemCount = 3,
): Promise<NamedQueryProjectionBuildV1> {
  const cmd = await waitFor(() => commands[n - 1], { timeoutMs: 10_000, description: `build command ${n}` });
  await store.put(cmd.output.bucket, cmd.output.key, bytes);
  const row = await prisma.namedQueryProjection.findUniqueOrThrow({ where: { id: cmd.projectionId } });
  const done = await completeProjectionBuild(prisma, cmd.projectionId, cmd.build, {
    fingerprint: row.requestedFingerprint!,
    itemCount,
    sizeBytes: bytes.length,
    roles: ['https://example.org/roles/staff'],
    objectBucket: cmd.output.bucket,
    objectKey: cmd.output.key,
  });
  expect(done.updated).toBe(true);
  return cmd;
}

beforeAll(async () => {
  [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-projection-cache-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    VELLUM_PROJECTION_FAILED_RETRY_MS: '600000',
    VELLUM_PROJECTION_RETRY_AFTER_S: '2',
    VELLUM_NAMED_QUERY_MAX_ASSETS: '3',
    VELLUM_BUCKET_OUTPUTS: 'pj-outputs',
    SERVICE_INSTANCE: `projection-test-${vhost.id}`,
    ...s3.env,
  });
  buckets = bucketsFromEnv(env);
  store = createObjectStore(storageConfigFromEnv(env));
  await store.ensureBucket(buckets.outputs);
  prisma = createPrismaClient(db.url);

  customerId = (await prisma.customer.create({ data: { name: 'library', displayName: 'Library' } })).id;
  otherId = (await prisma.customer.create({ data: { name: 'other', displayName: 'Other' } })).id;
  await prisma.space.create({ data: { customerId, id: 1, name: 'books' } });
  await prisma.space.create({ data: { customerId: otherId, id: 1, name: 'books' } });
  const finished = new Date('2026-12-01T10:00:00Z');
  const asset = (c: number, id: string, n: number, extra: object = {}) => ({
    customerId: c,
    spaceId: 1,
    id,
    mediaType: 'image/jpeg',
    width: 100,
    height: 100,
    string1: 'b12345',
    number1: n,
    finished,
    derivatives: {},
    ...extra,
  });
  await prisma.asset.createMany({
    data: [
      asset(customerId, 'p1', 1),
      asset(customerId, 'p2', 2, { roles: ['https://example.org/roles/staff'] }),
      asset(customerId, 'p3', 3),
      asset(customerId, 'busy', 4, { ingesting: true, finished: null }),
      asset(customerId, 'p5', 5, { string1: 'another' }),
      asset(otherId, 'theirs', 1),
    ],
  });
  await prisma.namedQuery.createMany({
    data: [
      { customerId, name: 'book', template: 's1=p1&space=p2&canvas=n1&objectname=Book of Hours.pdf' },
      { customerId, name: 'bare', template: 's1=p1' },
      { customerId, name: 'everything', template: 'space=1' },
      { customerId, name: 'first', template: 'n1=1' },
    ],
  });

  @Module({
    imports: [
      VellumCommonModule.forRoot({ serviceName: `fake-worker-${vhost.id}`, logLevel: 'warn' }),
      MessagingModule.forRoot({
        serviceName: `fake-worker-${vhost.id}`,
        amqpUrl: vhost.url,
        exchange: vhost.exchange,
      }),
    ],
    controllers: [FakeProjectionWorker],
  })
  class WorkerRoot {}
  worker = await NestFactory.create(WorkerRoot, { logger: false });
  worker.connectMicroservice({
    strategy: createTransport({
      serviceName: `fake-worker-${vhost.id}`,
      amqpUrl: vhost.url,
      exchange: vhost.exchange,
    }),
  });
  await worker.startAllMicroservices();
  await worker.init();

  app = await bootstrapService(deliveryRootModule(env, { objectStore: store }), {
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
  base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  await worker?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop(), s3?.stop()]);
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('named-query PDF and ZIP projections', () => {
  it.each([
    ['/pdf/nobody/book/b12345/1', 404, 'Customer nobody not found'],
    ['/pdf/library/nosuch/b12345', 404, 'Named query nosuch not found for customer library'],
    [
      '/zip/library/book/b12345/x',
      400,
      'Named query book: argument p2 for space must be a positive integer, not "x"',
    ],
    ['/pdf/library/book', 400, 'Named query book: this named query takes up to 2 arguments; none given'],
    ['/pdf/library/book/b99999/1', 404, 'Named query book/b99999/1 matches no assets of customer library'],
    [
      '/zip/library/everything',
      400,
      'Named query everything matches more than 3 assets (VELLUM_NAMED_QUERY_MAX_ASSETS): give it arguments that select fewer',
    ],
    [
      '/pdf-control/library/book/b12345/1',
      404,
      'The PDF of named query library/book/b12345/1 has not been requested yet: GET /pdf/library/book/b12345/1 builds it',
    ],
    // Another customer's query is not visible, and theirs has no b12345 assets of ours.
    ['/pdf/other/book/b12345/1', 404, 'Named query book not found for customer other'],
    ['/pdf/library/book/%E0%A4%A/1', 400, "Failed to decode param '%E0%A4%A'"],
  ])('%s → %i problem', async (p, status, detail) => {
    const { res, body } = await get(p);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(json(body)).toMatchObject({ status, detail });
    expect(commands).toHaveLength(0);
  });

  it('asks for a build (202), serves it once built, revalidates, ranges, and rebuilds when a member changes', async () => {
    const url = '/pdf/library/book/b12345/1';
    const first = await get(url);
    expect(first.res.status).toBe(202);
    expect(first.res.headers.get('retry-after')).toBe('2');
    expect(first.res.headers.get('cache-control')).toBe('no-store');
    expect(first.res.headers.get('access-control-allow-origin')).toBe('*');
    expect(first.res.headers.get('location')).toBe(`${base}/pdf-control/library/book/b12345/1`);
    expect(json(first.body)).toMatchObject({
      pdf: `${base}${url}`,
      control: `${base}/pdf-control/library/book/b12345/1`,
      inProcess: true,
      retryAfter: 2,
    });
    // While in process: 202 again, and no second command.
    expect((await get(url)).res.status).toBe(202);
    const cmd = await completeNext(1);
    expect(cmd).toMatchObject({
      customerId,
      queryName: 'book',
      kind: 'pdf',
      args: ['b12345', '1'],
      build: 1,
    });
    expect(cmd.output).toEqual({
      bucket: 'pj-outputs',
      key: `${customerId}/named-queries/${cmd.projectionId}/1.pdf`,
    });
    expect(commands).toHaveLength(1);

    const ok = await get(url);
    expect(ok.res.status).toBe(200);
    expect(ok.body.equals(PDF_BYTES)).toBe(true);
    expect(ok.res.headers.get('content-type')).toBe('application/pdf');
    expect(ok.res.headers.get('content-length')).toBe(String(PDF_BYTES.length));
    expect(ok.res.headers.get('content-disposition')).toBe('inline; filename="Book of Hours.pdf"');
    expect(ok.res.headers.get('accept-ranges')).toBe('bytes');
    expect(ok.res.headers.get('access-control-allow-origin')).toBe('*');
    const etag = ok.res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(ok.res.headers.get('last-modified')).toBeTruthy();
    // The same projection by the customer's id, with an extra argument beyond the template's (ignored).
    const byId = await get(`/pdf/${customerId}/book/b12345/1/ignored`);
    expect(byId.res.status).toBe(200);
    expect(byId.res.headers.get('etag')).toBe(etag);

    expect((await get(url, { 'If-None-Match': etag })).res.status).toBe(304);
    const range = await get(url, { Range: 'bytes=0-8' });
    expect(range.res.status).toBe(206);
    expect(range.body.toString()).toBe('%PDF-1.4\n');
    expect(range.res.headers.get('content-range')).toBe(`bytes 0-8/${PDF_BYTES.length}`);
    const head = await get(url, {}, 'HEAD');
    expect(head.res.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await get(url, { Range: `bytes=${PDF_BYTES.length}-` })).res.status).toBe(416);

    const control = await get('/pdf-control/library/book/b12345/1');
    expect(control.res.status).toBe(200);
    expect(json(control.body)).toEqual({
      id: `${base}/pdf-control/library/book/b12345/1`,
      type: 'PdfControl',
      pdf: `${base}/pdf/library/book/b12345/1`,
      exists: true,
      inProcess: false,
      created: expect.any(String),
      pageCount: 3,
      sizeBytes: PDF_BYTES.length,
      stale: false,
      roles: ['https://example.org/roles/staff'],
      requested: expect.any(String),
    });

    // A member is reingested: the control document says stale, the next GET asks for build 2 (202).
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'p3' } },
      data: { finished: new Date('2026-12-02T10:00:00Z') },
    });
    expect(json((await get('/pdf-control/library/book/b12345/1')).body)).toMatchObject({
      stale: true,
      inProcess: false,
    });
    expect((await get(url)).res.status).toBe(202);
    expect(json((await get('/pdf-control/library/book/b12345/1')).body)).toMatchObject({ inProcess: true });
    const second = await completeNext(2, Buffer.concat([PDF_BYTES, Buffer.from('v2')]), 4);
    expect(second.build).toBe(2);
    expect(second.output.key).toBe(`${customerId}/named-queries/${cmd.projectionId}/2.pdf`);
    const rebuilt = await get(url);
    expect(rebuilt.res.status).toBe(200);
    expect(rebuilt.body.toString().endsWith('v2')).toBe(true);
    expect(rebuilt.res.headers.get('etag')).not.toBe(etag);
    expect((await get(url, { 'If-None-Match': etag })).res.status).toBe(200);
  });

  it('serves the ZIP as an attachment named after the query', async () => {
    const url = '/zip/library/bare/b12345';
    const before = commands.length;
    expect((await get(url)).res.status).toBe(202);
    const zip = Buffer.from('PK\u0003\u0004 not really a zip');
    await completeNext(before + 1, zip, 3);
    const ok = await get(url);
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('content-type')).toBe('application/zip');
    expect(ok.res.headers.get('content-disposition')).toBe('attachment; filename="bare.zip"');
    expect(ok.body.equals(zip)).toBe(true);
    const control = json((await get('/zip-control/library/bare/b12345')).body);
    expect(control).toMatchObject({ type: 'ZipControl', itemCount: 3, exists: true });
    expect(control.pageCount).toBeUndefined();
  });

  it('answers 503 with the error after a failed build, until it is retried or the members change', async () => {
    const url = '/pdf/library/first';
    expect((await get(url)).res.status).toBe(202);
    const cmd = await waitFor(() => commands.find((c) => c.queryName === 'first'), {
      description: 'command',
    });
    await failProjectionBuild(
      prisma,
      cmd.projectionId,
      cmd.build,
      'Projection build failed after 5 attempts (retryable): boom',
    );
    const failed = await get(url);
    expect(failed.res.status).toBe(503);
    expect(Number(failed.res.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(json(failed.body).detail).toMatch(
      /^The PDF of named query library\/first could not be built \(Projection build failed after 5 attempts \(retryable\): boom\); it is tried again in \d+ s$/,
    );
    expect(json((await get('/pdf-control/library/first')).body)).toMatchObject({
      exists: false,
      inProcess: false,
      error: 'Projection build failed after 5 attempts (retryable): boom',
    });
    // A member changes: asked for again at once.
    const before = commands.length;
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'p1' } },
      data: { roles: ['https://example.org/roles/new'] },
    });
    expect((await get(url)).res.status).toBe(202);
    await waitFor(() => commands.length === before + 1, { description: 'a second command' });
  });

  it('rebuilds a done projection whose object was deleted from the store', async () => {
    const url = '/zip/library/bare/b12345';
    const row = await prisma.namedQueryProjection.findFirstOrThrow({
      where: { queryName: 'bare', kind: 'zip' },
    });
    await store.delete(row.objectBucket!, row.objectKey!);
    const before = commands.length;
    expect((await get(url)).res.status).toBe(202);
    const cmd = await waitFor(() => commands[before], { description: 'the rebuild command' });
    expect(cmd.build).toBe(row.build + 1);
  });
});
