import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createObjectStore,
  storageConfigFromEnv,
  type ObjectStore,
  type S3StorageConfig,
} from '@vellum/storage';
import { fixturePath, freePort, startS3Server, type S3TestServer } from '@vellum/testing';
import { OriginTooLargeError, PermanentOriginError, RetryableOriginError } from './origin-errors';
import { OriginStager } from './origin-stager';
import { S3OriginFetcher } from './s3-origin.fetcher';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const AMBIENT = { strategy: 's3-ambient', optimised: false, ruleId: 'rule-1' } as const;

/**
 * The S3 origin fetcher against a real S3-protocol server (s3rver on 127.0.0.1), staging through the real
 * {@link OriginStager} into the same store; and against node:http servers that answer as a failing S3 endpoint
 * would (503, a hang, a refused port) for the retryable cases.
 */
describe('S3OriginFetcher (real S3-protocol server on 127.0.0.1)', () => {
  const big = readFileSync(fixturePath('photo-large.jpg'));
  let s3: S3TestServer;
  let store: ObjectStore;
  let config: S3StorageConfig;
  let fetcher: S3OriginFetcher;
  const servers: Server[] = [];

  /** A fake endpoint answering every request with `handler`. */
  async function endpoint(handler: (res: ServerResponse) => void): Promise<S3StorageConfig> {
    const server = createServer((_req, res) => handler(res));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { ...config, port: (server.address() as AddressInfo).port };
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    const cfg = storageConfigFromEnv(s3.env);
    if (cfg.driver !== 's3') throw new Error('expected the s3 driver');
    config = cfg;
    store = createObjectStore(config);
    for (const b of ['vellum-origins', 'masters']) await store.ensureBucket(b);
    await store.put('masters', 'photos/large photo.jpg', big, { contentType: 'image/jpeg' });
    fetcher = new S3OriginFetcher({ config, ownBuckets: ['vellum-origins'], timeoutMs: 3000 });
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await s3?.stop();
  });

  it('stages an s3:// origin byte for byte, streaming, with its declared length', async () => {
    const stager = new OriginStager([fetcher], store, { maxBytes: 10 * 1024 * 1024 });
    const staged = await stager.stage(
      's3://masters/photos/large%20photo.jpg',
      'vellum-origins',
      '1/1/a/origin',
      'image/jpeg',
    );
    expect(staged).toMatchObject({
      bucket: 'vellum-origins',
      key: '1/1/a/origin',
      size: big.length,
      originContentType: 'image/jpeg',
      finalUrl: 's3://masters/photos/large photo.jpg',
    });
    expect(staged.inPlace).toBeUndefined();
    expect(sha(await store.getBuffer('vellum-origins', '1/1/a/origin'))).toBe(sha(big));
  });

  it('locates an optimised origin in place, copying nothing', async () => {
    const stager = new OriginStager([fetcher], store, { maxBytes: 10 * 1024 * 1024 });
    const staged = await stager.stage(
      `${s3.endpoint}/masters/photos/large%20photo.jpg`,
      'vellum-origins',
      '1/1/b/origin',
      'image/jpeg',
      {
        access: { ...AMBIENT, optimised: true },
      },
    );
    expect(staged).toEqual({
      bucket: 'masters',
      key: 'photos/large photo.jpg',
      size: big.length,
      originContentType: 'image/jpeg',
      finalUrl: 's3://masters/photos/large photo.jpg',
      inPlace: true,
    });
    expect(await store.stat('vellum-origins', '1/1/b/origin')).toBeNull();
  });

  it('refuses an object above the size limit before reading it', async () => {
    await expect(
      fetcher.fetch(new URL('s3://masters/photos/large%20photo.jpg'), { maxBytes: 1000 }),
    ).rejects.toBeInstanceOf(OriginTooLargeError);
  });

  it.each([
    ['s3://masters/nope.jpg', 'Origin not found (s3://masters/nope.jpg)'],
    ['s3://missing-bucket/k.jpg', 'Origin bucket not found (s3://missing-bucket)'],
  ])('%s → permanent "%s" (fetch and locate alike)', async (origin, message) => {
    for (const call of [
      () => fetcher.fetch(new URL(origin), { maxBytes: 1e9 }),
      () => fetcher.locate(new URL(origin), { maxBytes: 1e9 }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentOriginError);
      expect((err as Error).message).toBe(message);
    }
  });

  it('without a platform S3 store, says so (permanent)', async () => {
    const none = new S3OriginFetcher({ config: null, ownBuckets: [], timeoutMs: 1000 });
    const err = await none.fetch(new URL('s3://masters/k'), { maxBytes: 1e9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toContain('S3_ENDPOINT is not set');
  });

  it('credentials the S3 server refuses → permanent, naming neither key nor secret', async () => {
    const wrong = new S3OriginFetcher({
      config: { ...config, accessKey: 'NOT-THE-KEY', secretKey: 'not-the-secret-123' },
      ownBuckets: [],
      timeoutMs: 3000,
    });
    const err = await wrong
      .fetch(new URL('s3://masters/photos/large%20photo.jpg'), { maxBytes: 1e9 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toMatch(
      /^Origin refused the platform's S3 credentials \(\w+\): s3:\/\/masters\//,
    );
    expect((err as Error).message).not.toContain('not-the-secret-123');
    expect((err as Error).message).not.toContain('NOT-THE-KEY');
  });

  it('an endpoint answering 503 → retryable', async () => {
    const cfg = await endpoint((res) => res.writeHead(503).end());
    const f = new S3OriginFetcher({ config: cfg, ownBuckets: [], timeoutMs: 3000 });
    const err = await f.fetch(new URL('s3://masters/k.jpg'), { maxBytes: 1e9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableOriginError);
    expect((err as Error).message).toBe('S3 answered HTTP 503 for s3://masters/k.jpg');
  });

  it("an endpoint answering 500 InternalError → retryable (after minio's own single retry)", async () => {
    const cfg = await endpoint((res) => {
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>',
      );
    });
    const f = new S3OriginFetcher({ config: cfg, ownBuckets: [], timeoutMs: 3000 });
    const err = await f.fetch(new URL('s3://masters/k.jpg'), { maxBytes: 1e9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableOriginError);
    expect((err as Error).message).toBe('S3 answered HTTP 500 for s3://masters/k.jpg');
  });

  it('an endpoint that never answers → retryable timeout', async () => {
    const cfg = await endpoint(() => undefined);
    const f = new S3OriginFetcher({ config: cfg, ownBuckets: [], timeoutMs: 300 });
    const err = await f.locate(new URL('s3://masters/k.jpg'), { maxBytes: 1e9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableOriginError);
    expect((err as Error).message).toBe(
      'Origin timed out: S3 did not answer within 300 ms for s3://masters/k.jpg',
    );
  });

  it('a refused connection → retryable', async () => {
    const f = new S3OriginFetcher({
      config: { ...config, port: await freePort() },
      ownBuckets: [],
      timeoutMs: 3000,
    });
    const err = await f.fetch(new URL('s3://masters/k.jpg'), { maxBytes: 1e9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableOriginError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });
});
