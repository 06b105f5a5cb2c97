import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import * as yauzl from 'yauzl';
import { validateEnv } from '@vellum/common';
import { createEnvelope, NamedQueryProjectionBuildV1 } from '@vellum/contracts';
import {
  createPrismaClient,
  findProjection,
  projectionObjectKey,
  requestProjectionBuild,
  type PrismaClient,
  type ProjectionKind,
  type ProjectionRef,
} from '@vellum/db';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import {
  createObjectStore,
  type ObjectStore,
  pyramidKey,
  storageConfigFromEnv,
  thumbnailKey,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  startS3Server,
  waitFor,
  type S3TestServer,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AppModule, SERVICE_NAME } from '../app.module';
import { ImageProcessorEnv } from '../image-processor.env';

const run = promisify(execFile);
const B = { thumbs: 'pz-thumbs', derivatives: 'pz-derivatives', outputs: 'pz-outputs' };
const timing = { buildTimeoutMs: 600_000, failedRetryMs: 600_000 };

/**
 * The projection worker over real Postgres (a cloned migrated database), RabbitMQ (a fresh vhost) and s3rver, with
 * real thumbnails and a real pyramid made from the fixtures: build commands in, control records and stored
 * PDFs/ZIPs out.
 */
describe('projection worker over real Postgres, RabbitMQ and s3rver', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let s3: S3TestServer;
  let store: ObjectStore;
  let prisma: PrismaClient;
  let worker: INestApplication;
  let publisher: MessagePublisher;
  let tmp: string;
  let customerId: number;
  const thumbBytes = new Map<string, Buffer>();

  /** An asset with a real open thumbnail (fixture fitted in 1024²), or only a pyramid, or roles. */
  async function addAsset(
    id: string,
    n: number,
    opts: { fixture?: string; roles?: string[]; pyramidOnly?: boolean; string1?: string } = {},
  ): Promise<void> {
    const ref = { customerId, spaceId: 1, assetId: id };
    const src = sharp(fixturePath(opts.fixture ?? 'grayscale.png'))
      .rotate()
      .toColourspace('srgb');
    const meta = await sharp(fixturePath(opts.fixture ?? 'grayscale.png'))
      .rotate()
      .metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    let derivatives: object;
    if (opts.pyramidOnly) {
      const file = path.join(tmp, `${id}.tif`);
      await src
        .clone()
        .tiff({
          tile: true,
          pyramid: true,
          tileWidth: 512,
          tileHeight: 512,
          compression: 'jpeg',
          quality: 85,
        })
        .toFile(file);
      await store.putFile(B.derivatives, pyramidKey(ref), file);
      derivatives = { pyramid: { bucket: B.derivatives, key: pyramidKey(ref), size: 1, tileSize: 512 } };
    } else {
      const { data, info } = await src
        .clone()
        .resize(1024, 1024, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 85 })
        .toBuffer({ resolveWithObject: true });
      const key = thumbnailKey(ref, info.width, info.height);
      await store.put(B.thumbs, key, data, { contentType: 'image/jpeg' });
      thumbBytes.set(id, data);
      derivatives = {
        thumbnails: {
          bucket: B.thumbs,
          open: [[info.width, info.height]],
          auth: [],
          keys: { [`${info.width},${info.height}`]: key },
          size: data.length,
        },
      };
    }
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id,
        mediaType: 'image/jpeg',
        deliveryChannels: [{ channel: 'thumbs', policy: 'default' }],
        width,
        height,
        roles: opts.roles ?? [],
        string1: opts.string1 ?? 'book',
        number1: n,
        finished: new Date(),
        derivatives,
      },
    });
  }

  /** Asks for a build as delivery does: the record, then the command. */
  async function request(
    queryName: string,
    kind: ProjectionKind,
    args: string[],
    fingerprint = 'F',
  ): Promise<string> {
    const ref: ProjectionRef = { customerId, queryName, kind, args };
    const r = await requestProjectionBuild(prisma, ref, fingerprint, timing);
    expect(r.requested).toBeDefined();
    await publisher.publish(
      Object.assign(new NamedQueryProjectionBuildV1(), {
        projectionId: r.row.id,
        customerId,
        queryName,
        kind,
        args,
        build: r.row.build,
        output: { bucket: B.outputs, key: projectionObjectKey(customerId, r.row.id, r.row.build, kind) },
      }),
    );
    return r.row.id;
  }

  const settled = (queryName: string, kind: ProjectionKind, args: string[], build = 1) =>
    waitFor(
      async () => {
        const row = await findProjection(prisma, { customerId, queryName, kind, args });
        return row && row.build === build && row.status !== 'in_process' ? row : null;
      },
      { timeoutMs: 30_000, description: `${kind} ${queryName} build ${build} to finish` },
    );

  beforeAll(async () => {
    [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
    store = createObjectStore(storageConfigFromEnv(s3.env));
    for (const b of Object.values(B)) await store.ensureBucket(b);
    prisma = createPrismaClient(db.url, { max: 4 });
    tmp = await mkdtemp(path.join(tmpdir(), 'vellum-pz-int-'));
    customerId = (await prisma.customer.create({ data: { name: 'books', displayName: 'Books' } })).id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'pages' } });
    await addAsset('page-1', 1, { fixture: 'photo-large.jpg' });
    await addAsset('page-2', 2, { fixture: 'exif-orientation-6.jpg' });
    await addAsset('page-3', 3, { roles: ['https://example.org/roles/staff'] });
    await addAsset('page-4', 4, { fixture: 'tiff-lzw.tif', pyramidOnly: true });
    await addAsset('other', 1, { string1: 'another-book' });
    await prisma.namedQuery.create({
      data: {
        customerId,
        name: 'book',
        template: 's1=p1&canvas=n1&coverpage=p2&redactedmessage=Restricted page&objectname=book.pdf',
      },
    });
    await prisma.namedQuery.create({ data: { customerId, name: 'plain', template: 's1=p1' } });

    const env = validateEnv(ImageProcessorEnv, {
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      DATABASE_URL: db.url,
      VELLUM_TMP_DIR: tmp,
      SERVICE_INSTANCE: 'pz-worker',
      LOG_LEVEL: 'warn',
      ...s3.env,
    });
    @Module({ imports: [AppModule.forRoot({ env, store })] })
    class WorkerRoot {}
    worker = await NestFactory.create(WorkerRoot, { logger: false });
    worker.connectMicroservice({
      strategy: createTransport({
        serviceName: SERVICE_NAME,
        amqpUrl: vhost.url,
        exchange: vhost.exchange,
        retryDelaysMs: [100, 200],
      }),
    });
    await worker.startAllMicroservices();
    await worker.init();
    publisher = worker.get(MessagePublisher);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await prisma?.$disconnect();
    await Promise.allSettled([db?.drop(), vhost?.drop(), s3?.stop()]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('builds the PDF: cover page, one page per asset in order, the restricted one redacted, the pyramid-only one rendered', async () => {
    await request('book', 'pdf', ['book', 'The Book of Hours']);
    const row = await settled('book', 'pdf', ['book', 'The Book of Hours']);
    expect(row).toMatchObject({
      status: 'done',
      itemCount: 5,
      roles: ['https://example.org/roles/staff'],
      objectBucket: B.outputs,
      error: null,
    });
    expect(row.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const pdf = await store.getBuffer(B.outputs, row.objectKey!);
    expect(Number(row.sizeBytes)).toBe(pdf.length);
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(5);
    expect(doc.getTitle()).toBe('book.pdf');
    const sizes = doc.getPages().map((p) => p.getSize());
    // photo-large.jpg → 1024×576 thumbnail → 768×432 pt (the cover page takes its size); exif-6 displays 1800×1200
    // → 1024×683; grayscale 512² (restricted: redacted at its thumbnail's size); tiff-lzw 1165×859 → 1000×737 render.
    expect(sizes.map((s) => [Math.round(s.width), Math.round(s.height)])).toEqual([
      [768, 432],
      [768, 432],
      [768, 512],
      [384, 384],
      [750, 553],
    ]);
    const file = path.join(tmp, 'book.pdf');
    await writeFile(file, pdf);
    const text = async (page: number) =>
      (await run('pdftotext', ['-f', `${page}`, '-l', `${page}`, file, '-'])).stdout.trim();
    expect(await text(1)).toBe('The Book of Hours');
    expect(await text(4)).toBe('Restricted page');
    expect(await text(2)).toBe('');
    // The open thumbnails are in it as stored; the restricted one is not.
    expect(pdf.includes(thumbBytes.get('page-1')!)).toBe(true);
    expect(pdf.includes(thumbBytes.get('page-3')!)).toBe(false);
    // No job directory left behind.
    const { readdir } = await import('node:fs/promises');
    const dirs = await readdir(path.join(tmp, 'vellum-image-processor-pz-worker'));
    expect(dirs.filter((d) => d.startsWith('job-'))).toEqual([]);
  });

  it('builds the ZIP of the largest open thumbnails, named by id, and rebuilds it at a new key, deleting the old', async () => {
    await request('plain', 'zip', ['book']);
    const first = await settled('plain', 'zip', ['book']);
    expect(first).toMatchObject({ status: 'done', itemCount: 4, roles: ['https://example.org/roles/staff'] });
    const names = await zipNames(await store.getBuffer(B.outputs, first.objectKey!));
    // page-3 has roles but an open thumbnail (open to anyone); page-4 has no thumbnail: a render of its pyramid.
    expect(names.map((e) => e.name)).toEqual(['page-1.jpg', 'page-2.jpg', 'page-3.jpg', 'page-4.jpg']);
    expect(names[0].data.equals(thumbBytes.get('page-1')!)).toBe(true);
    const rendered = await sharp(names[3].data).metadata();
    expect([rendered.width, rendered.height, rendered.format]).toEqual([1000, 737, 'jpeg']);

    // A member changes: delivery asks for build 2; the worker writes 2.zip and deletes 1.zip.
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'page-2' } },
      data: { string1: 'moved' },
    });
    await request('plain', 'zip', ['book'], 'F2');
    const second = await settled('plain', 'zip', ['book'], 2);
    expect(second).toMatchObject({ status: 'done', itemCount: 3 });
    expect(second.objectKey).toBe(projectionObjectKey(customerId, second.id, 2, 'zip'));
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(await store.stat(B.outputs, first.objectKey!)).toBeNull();
    expect((await zipNames(await store.getBuffer(B.outputs, second.objectKey!))).map((e) => e.name)).toEqual([
      'page-1.jpg',
      'page-3.jpg',
      'page-4.jpg',
    ]);
    await prisma.asset.update({
      where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'page-2' } },
      data: { string1: 'book' },
    });
  });

  it('fails the record at once when the query selects nothing, or is gone', async () => {
    await request('plain', 'pdf', ['no-such-book']);
    const none = await settled('plain', 'pdf', ['no-such-book']);
    expect(none.status).toBe('failed');
    expect(none.error).toBe(
      'Named query plain selects no assets with these arguments (permanent, 1 attempt)',
    );
    await request('vanished', 'pdf', []);
    expect((await settled('vanished', 'pdf', [])).error).toBe(
      'Named query vanished not found (permanent, 1 attempt)',
    );
  });

  it('ignores a superseded command and a redelivered one', async () => {
    const id = await request('plain', 'pdf', ['another-book']);
    const done = await settled('plain', 'pdf', ['another-book']);
    expect(done.status).toBe('done');
    // The same command again (a redelivery): the record is untouched.
    await publisher.publish(
      Object.assign(new NamedQueryProjectionBuildV1(), {
        projectionId: id,
        customerId,
        queryName: 'plain',
        kind: 'pdf',
        args: ['another-book'],
        build: 1,
        output: { bucket: B.outputs, key: 'should/not/be/written.pdf' },
      }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await store.stat(B.outputs, 'should/not/be/written.pdf')).toBeNull();
    expect(
      await findProjection(prisma, { customerId, queryName: 'plain', kind: 'pdf', args: ['another-book'] }),
    ).toMatchObject({
      status: 'done',
      build: 1,
      objectKey: done.objectKey,
    });
  });

  it('fails the record of a build command that is dead-lettered as invalid', async () => {
    const ref: ProjectionRef = { customerId, queryName: 'plain', kind: 'zip', args: ['bad'] };
    const r = await requestProjectionBuild(prisma, ref, 'F', timing);
    // `kind` is not one the contract allows: the transport dead-letters it without running the handler.
    const envelope = createEnvelope(
      NamedQueryProjectionBuildV1.routingKey,
      {
        projectionId: r.row.id,
        customerId,
        queryName: 'plain',
        kind: 'tar',
        args: ['bad'],
        build: 1,
        output: { bucket: B.outputs, key: 'x' },
      },
      { correlationId: 'pz-invalid', producer: 'test' },
    );
    await publisher.publishEnvelope(envelope);
    const row = await settled('plain', 'zip', ['bad']);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(
      /^Projection build dead-lettered by image-processor \(invalid, 1 attempt\): .*kind/,
    );
  });
});

async function zipNames(buf: Buffer): Promise<Array<{ name: string; data: Buffer }>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const out: Array<{ name: string; data: Buffer }> = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, s) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          out.push({ name: entry.fileName, data: Buffer.concat(chunks) });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}
