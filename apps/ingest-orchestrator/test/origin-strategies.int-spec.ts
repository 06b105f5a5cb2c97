import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as amqp from 'amqplib';
import { validateEnv } from '@vellum/common';
import {
  AssetDeletedV1,
  AssetIngestRequestedV1,
  derivativeObjects,
  ImageDerivativesCreatedV1,
  type Envelope,
} from '@vellum/contracts';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import { SecretBox, sealOriginCredentials, type OriginCredentials } from '@vellum/secrets';
import {
  createObjectStore,
  originKey,
  pyramidKey,
  storageConfigFromEnv,
  thumbnailKey,
  type ObjectStore,
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
import { AppModule } from '../src/app.module';
import { OrchestratorEnv } from '../src/orchestrator.env';
import { SERVICE_NAME } from '../src/tokens';

/** Loosely typed message data, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/**
 * Origin strategies in the ingest-orchestrator (SPEC.md §1 "Origin strategy", §3.3, §4.1 step 2, §4.2), against
 * real Postgres (a migrated clone), a real RabbitMQ vhost, a real S3-protocol server (s3rver: the platform's store
 * and a customer's bucket in it) and real node:http origins on 127.0.0.1. Rules are rows as the api-gateway writes
 * them (credentials sealed for the rule). The test plays the image-processor: it reads the `source` the command
 * names from the store, and replies (echoing `source`, as the real one does).
 *
 * DNS: the SSRF guard's lookup here resolves nothing, so a URL that should go through the S3 client but went over
 * plain HTTP instead (an amazonaws.com host) fails with ENOTFOUND and never leaves the machine.
 */
describe('ingest-orchestrator: origin strategies (integration)', () => {
  const PASSWORD = 's3cr3t-Pa55-do-not-log';
  const FIXTURE = readFileSync(fixturePath('png-alpha.png'));
  const MASTERS = 'customer-masters';
  const box = SecretBox.fromConfig({ nodeEnv: 'test' });
  let db: TestDatabase;
  let vhost: TestVhost;
  let s3: S3TestServer;
  let store: ObjectStore;
  let app: INestApplication;
  let prisma: PrismaClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  let customerId: number;
  /** Requires `Authorization: Basic reader:PASSWORD` on /private*; redirects on /away and /home. */
  let originA: Server;
  /** Another port (so another origin): records what it was sent. */
  let originB: Server;
  let baseA: string;
  let baseB: string;
  const hits: Record<string, number> = {};
  const authSeen: Record<string, Array<string | undefined>> = {};
  const dispatched: Array<Envelope<Record<string, Loose>>> = [];

  function record(name: string, req: IncomingMessage): void {
    const key = `${name}${req.url ?? ''}`;
    hits[key] = (hits[key] ?? 0) + 1;
    (authSeen[key] ??= []).push(req.headers.authorization);
  }

  beforeAll(async () => {
    process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
    [db, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startS3Server()]);
    store = createObjectStore(storageConfigFromEnv(s3.env));
    await store.ensureBucket(MASTERS);
    for (const key of ['plain/p.png', 'opt/p.png', 'opt/file.png', 'opt/doc.pdf', 'opt/orig.png'])
      await store.put(MASTERS, key, FIXTURE, { contentType: 'image/png' });
    await store.put(MASTERS, 'opt/empty.png', Buffer.alloc(0));

    const good = `Basic ${Buffer.from(`reader:${PASSWORD}`).toString('base64')}`;
    originA = createServer((req, res) => {
      record('A', req);
      const url = req.url ?? '/';
      if (url.startsWith('/private')) {
        if (req.headers.authorization !== good) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': FIXTURE.length });
        return void res.end(FIXTURE);
      }
      if (url === '/away') return void res.writeHead(302, { location: `${baseB}/capture.png` }).end();
      if (url === '/home') return void res.writeHead(302, { location: '/private-home.png' }).end();
      res.writeHead(404).end();
    });
    originB = createServer((req, res) => {
      record('B', req);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': FIXTURE.length });
      res.end(FIXTURE);
    });
    for (const s of [originA, originB]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    baseA = `http://127.0.0.1:${(originA.address() as AddressInfo).port}`;
    baseB = `http://127.0.0.1:${(originB.address() as AddressInfo).port}`;

    const env = validateEnv(OrchestratorEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL,
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
      VELLUM_ORIGIN_TIMEOUT_MS: '5000',
      VELLUM_INGEST_SWEEP_INTERVAL_MS: '0',
      ...s3.env,
    });

    conn = await amqp.connect(vhost.url);
    ch = await conn.createChannel();
    await ch.assertExchange(vhost.exchange, 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 10 } });
    for (const key of ['image.derivatives.create.v1', 'image.derivatives.create.v1.priority'])
      await ch.bindQueue(q.queue, vhost.exchange, key);
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      dispatched.push(JSON.parse(msg.content.toString()) as Envelope<Record<string, Loose>>);
      ch.ack(msg);
    });

    app = await NestFactory.create(
      AppModule.forRoot({
        env,
        lookup: (host) =>
          Promise.reject(
            Object.assign(new Error(`test DNS: ${host} is not resolved here`), { code: 'ENOTFOUND' }),
          ),
      }),
      { logger: false },
    );
    app.connectMicroservice(
      {
        strategy: createTransport({
          serviceName: SERVICE_NAME,
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
          retryDelaysMs: [200, 300],
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();

    prisma = createPrismaClient(db.url);
    customerId = (await prisma.customer.create({ data: { name: 'strategies', displayName: 'Strategies' } }))
      .id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await ch?.close().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    for (const s of [originA, originB]) {
      s?.closeAllConnections();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    }
    await Promise.all([db?.drop(), vhost?.drop(), s3?.stop()]);
  }, 60_000);

  /** A rule as the api-gateway stores it: credentials sealed for this customer and rule id. */
  async function rule(
    strategy: string,
    regex: string,
    opts: { credentials?: OriginCredentials; sealed?: string; optimised?: boolean; order?: number } = {},
  ): Promise<string> {
    const id = randomUUID();
    const credentials =
      opts.sealed ??
      (opts.credentials ? sealOriginCredentials(box, opts.credentials, { customerId, ruleId: id }) : null);
    await prisma.originStrategy.create({
      data: {
        id,
        customerId,
        strategy,
        regex,
        credentials,
        optimised: opts.optimised ?? false,
        order: opts.order ?? 0,
      },
    });
    return id;
  }

  const imageChannels = [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
  ];

  /** Inserts the asset (ingesting, attempt 1) and publishes its ingest request. */
  async function ingest(id: string, origin: string, over: Record<string, unknown> = {}): Promise<void> {
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id,
        origin,
        mediaType: 'image/png',
        deliveryChannels: imageChannels,
        ingesting: true,
        ingestAttempt: 1,
        ...over,
      },
    });
    await app.get(MessagePublisher).publish(
      Object.assign(new AssetIngestRequestedV1(), {
        customerId,
        spaceId: 1,
        assetId: id,
        attempt: 1,
        priority: false,
      }),
    );
  }

  const dispatchOf = (id: string) =>
    waitFor(() => dispatched.find((d) => d.data.assetId === id), { description: `dispatch of ${id}` });

  async function finished(id: string) {
    return waitFor(
      async () => {
        const a = await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId, spaceId: 1, id } },
        });
        return a.ingesting ? null : a;
      },
      { description: `${id} finished`, timeoutMs: 30_000 },
    );
  }

  /** Plays the image-processor: checks the master is readable where the command says, writes a pyramid, replies. */
  async function reply(id: string): Promise<Loose> {
    const cmd = (await dispatchOf(id)).data;
    expect((await store.getBuffer(cmd.source.bucket, cmd.source.key)).equals(FIXTURE)).toBe(true);
    const ref = { customerId, spaceId: 1, assetId: id };
    const pyramid = { bucket: 'vellum-derivatives', key: pyramidKey(ref), size: 3 };
    const thumb = { bucket: 'vellum-thumbs', key: thumbnailKey(ref, 51, 100), size: 2 };
    await store.put(pyramid.bucket, pyramid.key, Buffer.from('tif'));
    await store.put(thumb.bucket, thumb.key, Buffer.from('jp'));
    await app.get(MessagePublisher).publish(
      Object.assign(new ImageDerivativesCreatedV1(), {
        ...ref,
        attempt: 1,
        width: 592,
        height: 1167,
        // A use-original command is answered as for a tile-ready origin (kept as the tile source, no pyramid).
        ...(cmd.pyramid?.useOriginal ? { useOriginal: { tileSize: 512 } } : cmd.pyramid ? { pyramid } : {}),
        openThumbnails: [{ width: 51, height: 100, location: thumb }],
        authThumbnails: [],
        elapsedMs: 1,
        source: cmd.source,
      }),
    );
    return cmd;
  }

  async function storageOf(id: string) {
    const s = await prisma.assetStorage.findUniqueOrThrow({
      where: { customerId_spaceId_assetId: { customerId, spaceId: 1, assetId: id } },
    });
    return { size: Number(s.size), thumbnailSize: Number(s.thumbnailSize) };
  }

  describe('basic-http-authentication', () => {
    it('ingests an origin that needs Basic auth with the rule', async () => {
      await rule('basic-http-authentication', `^${baseA.replace(/[.]/g, '\\.')}/private\\.png$`, {
        credentials: { user: 'reader', password: PASSWORD },
      });
      await ingest('auth-ok', `${baseA}/private.png`);
      const cmd = await reply('auth-ok');
      expect(cmd.source).toEqual({
        bucket: 'vellum-origins',
        key: originKey({ customerId, spaceId: 1, assetId: 'auth-ok' }),
        size: FIXTURE.length,
      });
      expect((await finished('auth-ok')).error).toBeNull();
      expect(authSeen['A/private.png']).toEqual([
        `Basic ${Buffer.from(`reader:${PASSWORD}`).toString('base64')}`,
      ]);
    });

    it('fails permanently (401) without a rule, naming the origin', async () => {
      await ingest('auth-none', `${baseA}/private-none.png`);
      const a = await finished('auth-none');
      expect(a.error).toBe(
        `Origin ${baseA}/private-none.png answered HTTP 401 (access denied) (permanent, 1 attempt)`,
      );
      expect(hits['A/private-none.png']).toBe(1); // permanent: not retried
      expect(authSeen['A/private-none.png']).toEqual([undefined]);
    });

    it('fails permanently with "Origin refused the credentials (401)" when the rule\'s are wrong', async () => {
      await rule('basic-http-authentication', '/private-wrong', {
        credentials: { user: 'reader', password: `${PASSWORD}-old` },
      });
      await ingest('auth-wrong', `${baseA}/private-wrong.png?token=abc`);
      const a = await finished('auth-wrong');
      expect(a.error).toBe(
        `Origin refused the credentials (401): ${baseA}/private-wrong.png (permanent, 1 attempt)`,
      );
      expect(hits['A/private-wrong.png?token=abc']).toBe(1);
    });

    it('does not carry the Authorization header to another origin on redirect, but does on the same origin', async () => {
      await rule('basic-http-authentication', '/(away|home)$', {
        credentials: { user: 'reader', password: PASSWORD },
      });
      await ingest('auth-away', `${baseA}/away`);
      await ingest('auth-home', `${baseA}/home`);
      await dispatchOf('auth-away');
      await dispatchOf('auth-home');
      expect(authSeen['A/away']?.[0]).toMatch(/^Basic /);
      // Another port is another origin: B was asked without credentials.
      expect(authSeen['B/capture.png']).toEqual([undefined]);
      // A redirect within the origin keeps them (and so the protected file is read).
      expect(authSeen['A/private-home.png']).toEqual([
        `Basic ${Buffer.from(`reader:${PASSWORD}`).toString('base64')}`,
      ]);
    });

    it('refuses a rule whose type does not fit the scheme, naming the rule and the scheme', async () => {
      const id = await rule('sftp', '/scheme-mismatch', { credentials: { user: 'u', password: PASSWORD } });
      await ingest('mismatch', `${baseA}/scheme-mismatch.png`);
      const a = await finished('mismatch');
      expect(a.error).toBe(
        `Origin strategy ${id} (sftp) does not apply to http origins (it takes sftp) (permanent, 1 attempt)`,
      );
      expect(hits['A/scheme-mismatch.png']).toBeUndefined(); // never fetched
    });

    it("fails permanently when the rule's credentials do not open", async () => {
      const other = randomUUID();
      // Sealed for another rule: the AES-GCM context (customer + rule id) does not authenticate.
      const sealed = sealOriginCredentials(
        box,
        { user: 'reader', password: PASSWORD },
        { customerId, ruleId: other },
      );
      const id = await rule('basic-http-authentication', '/private-sealed', { sealed });
      await ingest('unopenable', `${baseA}/private-sealed.png`);
      const a = await finished('unopenable');
      expect(a.error).toMatch(new RegExp(`^The credentials of origin strategy ${id} cannot be opened \\(`));
      expect(hits['A/private-sealed.png']).toBeUndefined();
    });
  });

  describe('s3-ambient', () => {
    it('ingests an s3:// origin through the platform S3 client (a staged copy, counted)', async () => {
      await ingest('s3-plain', `s3://${MASTERS}/plain/p.png`);
      const cmd = await reply('s3-plain');
      const staged = originKey({ customerId, spaceId: 1, assetId: 's3-plain' });
      expect(cmd.source).toEqual({ bucket: 'vellum-origins', key: staged, size: FIXTURE.length });
      expect((await finished('s3-plain')).error).toBeNull();
      expect(await storageOf('s3-plain')).toEqual({ size: 3, thumbnailSize: 2 });
    });

    it('reads an https S3 URL through S3 only when an s3-ambient rule matches it', async () => {
      const url = `https://${MASTERS}.s3.eu-west-1.amazonaws.com/plain/p.png`;
      // No rule: a plain https origin, which (test DNS) does not resolve: nothing went to S3.
      await ingest('vh-no-rule', url);
      expect((await finished('vh-no-rule')).error).toMatch(/^origin host name does not resolve \(ENOTFOUND/);

      await rule('s3-ambient', `^https://${MASTERS}\\.s3\\.`);
      await ingest('vh-rule', url);
      expect((await reply('vh-rule')).source.size).toBe(FIXTURE.length);
      expect((await finished('vh-rule')).error).toBeNull();

      // The platform's own endpoint, path-style.
      await rule('s3-ambient', `^${s3.endpoint.replace(/[.]/g, '\\.')}/`);
      await ingest('endpoint-rule', `${s3.endpoint}/${MASTERS}/plain/p.png`);
      expect((await reply('endpoint-rule')).source.size).toBe(FIXTURE.length);
      expect((await finished('endpoint-rule')).error).toBeNull();
    });

    it('an https URL of no S3 form under an s3-ambient rule fails permanently, naming the rule', async () => {
      const id = await rule('s3-ambient', '/not-s3-form');
      await ingest('not-s3', `${baseA}/not-s3-form/x.png`);
      const a = await finished('not-s3');
      expect(a.error).toContain(
        `Origin strategy ${id} (s3-ambient) matched ${baseA}/not-s3-form/x.png, which is not an S3 URL`,
      );
      expect(hits['A/not-s3-form/x.png']).toBeUndefined();
    });

    it.each([
      ['s3-missing-key', `s3://${MASTERS}/nope.png`, `Origin not found (s3://${MASTERS}/nope.png)`],
      ['s3-missing-bucket', 's3://no-such-bucket/k.png', 'Origin bucket not found (s3://no-such-bucket)'],
      [
        's3-own-bucket',
        's3://vellum-origins/1/1/other/origin',
        "Origin s3://vellum-origins/1/1/other/origin is in one of the platform's own buckets (vellum-origins), which origins may not name",
      ],
      ['s3-empty', `s3://${MASTERS}/opt/empty.png`, 'The origin file is empty (0 bytes)'],
    ])('%s fails permanently: %s', async (id, origin, error) => {
      await ingest(id, origin);
      expect((await finished(id)).error).toBe(`${error} (permanent, 1 attempt)`);
    });
  });

  describe('optimised s3-ambient', () => {
    beforeAll(async () => {
      await rule('s3-ambient', `^s3://${MASTERS}/opt/`, { optimised: true });
    });

    it('stores no origin copy: the workers read the origin object, and its bytes are not counted', async () => {
      await ingest('opt-img', `s3://${MASTERS}/opt/p.png`);
      const cmd = await reply('opt-img');
      expect(cmd.source).toEqual({ bucket: MASTERS, key: 'opt/p.png', size: FIXTURE.length });
      const a = await finished('opt-img');
      expect(a.error).toBeNull();
      expect(
        await store.stat('vellum-origins', originKey({ customerId, spaceId: 1, assetId: 'opt-img' })),
      ).toBeNull();
      expect(a.derivatives).toMatchObject({
        pyramid: {
          bucket: 'vellum-derivatives',
          key: pyramidKey({ customerId, spaceId: 1, assetId: 'opt-img' }),
        },
        thumbnails: { open: [[51, 100]] },
      });
      expect(await storageOf('opt-img')).toEqual({ size: 3, thumbnailSize: 2 });
    });

    it('file and use-original name the origin object itself; a file-only asset finishes at once, 0 bytes stored', async () => {
      await ingest('opt-orig', `s3://${MASTERS}/opt/orig.png`, {
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'use-original' },
          { channel: 'file', policy: 'none' },
        ],
      });
      await reply('opt-orig');
      const o = await finished('opt-orig');
      expect(o.error).toBeNull();
      const inPlace = { bucket: MASTERS, key: 'opt/orig.png', size: FIXTURE.length };
      expect(o.derivatives).toMatchObject({ pyramid: { ...inPlace, useOriginal: true }, original: inPlace });
      expect(await storageOf('opt-orig')).toEqual({ size: 0, thumbnailSize: 2 });

      await ingest('opt-file', `s3://${MASTERS}/opt/doc.pdf`, {
        mediaType: 'application/pdf',
        deliveryChannels: [{ channel: 'file', policy: 'none' }],
      });
      const f = await finished('opt-file');
      expect(f.error).toBeNull();
      expect(f.derivatives).toEqual({
        original: { bucket: MASTERS, key: 'opt/doc.pdf', size: FIXTURE.length },
      });
      expect(await storageOf('opt-file')).toEqual({ size: 0, thumbnailSize: 0 });
      expect(
        await store.stat('vellum-origins', originKey({ customerId, spaceId: 1, assetId: 'opt-file' })),
      ).toBeNull();
    });

    it("deleting an optimised asset never deletes the customer's origin object", async () => {
      const row = await prisma.asset.findUniqueOrThrow({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'opt-orig' } },
      });
      const objects = derivativeObjects(row.derivatives);
      // The origin object is the use-original source and the original: the event names it.
      expect(objects.map((o) => `${o.bucket}/${o.key}`)).toContain(`${MASTERS}/opt/orig.png`);
      const thumb = thumbnailKey({ customerId, spaceId: 1, assetId: 'opt-orig' }, 51, 100);
      expect(await store.stat('vellum-thumbs', thumb)).not.toBeNull();
      // What the api-gateway does: delete the row and write asset.deleted.v1 naming the derivatives' objects.
      await prisma.asset.delete({
        where: { customerId_spaceId_id: { customerId, spaceId: 1, id: 'opt-orig' } },
      });
      await app.get(MessagePublisher).publish(
        Object.assign(new AssetDeletedV1(), {
          customerId,
          spaceId: 1,
          assetId: 'opt-orig',
          deleteFrom: [],
          objects,
        }),
      );
      await waitFor(async () => (await store.stat('vellum-thumbs', thumb)) === null, {
        description: 'the thumbnail of the deleted asset removed',
      });
      expect((await store.getBuffer(MASTERS, 'opt/orig.png')).equals(FIXTURE)).toBe(true);
    });

    it('a missing optimised origin fails permanently at ingest, not in the worker', async () => {
      await ingest('opt-missing', `s3://${MASTERS}/opt/nope.png`);
      expect((await finished('opt-missing')).error).toBe(
        `Origin not found (s3://${MASTERS}/opt/nope.png) (permanent, 1 attempt)`,
      );
      expect(dispatched.find((d) => d.data.assetId === 'opt-missing')).toBeUndefined();
    });
  });

  it('never puts the password in an asset error or a message', async () => {
    const assets = await prisma.asset.findMany({ where: { customerId } });
    expect(assets.filter((a) => a.error).length).toBeGreaterThanOrEqual(8);
    for (const a of assets) expect(a.error ?? '').not.toContain(PASSWORD);
    const outbox = await prisma.outboxMessage.findMany();
    expect(outbox.length).toBeGreaterThan(0);
    expect(JSON.stringify(outbox)).not.toContain(PASSWORD);
    expect(JSON.stringify(dispatched)).not.toContain(PASSWORD);
  });
});
