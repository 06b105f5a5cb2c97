import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import sharp from 'sharp';
import { validateEnv, VellumCommonModule } from '@vellum/common';
import {
  ImageDerivativesCreatedV1,
  AvTranscodeCompletedV1,
  ImageDerivativesCreateV1,
  ImageDerivativesFailedV1,
} from '@vellum/contracts';
import { createTransport, MessagePublisher, MessagingModule, type VellumRmqContext } from '@vellum/messaging';
import {
  createObjectStore,
  ObjectStore,
  originKey,
  pyramidKey,
  storageConfigFromEnv,
  thumbnailKeyPrefix,
} from '@vellum/storage';
import {
  createTestVhost,
  fixturePath,
  startS3Server,
  type S3TestServer,
  type TestVhost,
} from '@vellum/testing';
import { AppModule, SERVICE_NAME } from './app.module';
import { ImageProcessorEnv } from './image-processor.env';
import { inspectTiff } from './tiff-inspect';

type Reply =
  { kind: 'created'; msg: ImageDerivativesCreatedV1 } | { kind: 'failed'; msg: ImageDerivativesFailedV1 };
const replies = new Map<string, (r: Reply) => void>();
const waitReply = (assetId: string, timeoutMs = 30_000): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`no reply for ${assetId} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    replies.set(assetId, (r) => {
      clearTimeout(t);
      resolve(r);
    });
  });

/** Stands in for the ingest-orchestrator: hears the replies. */
@Controller()
class FakeOrchestrator {
  @EventPattern(ImageDerivativesCreatedV1.routingKey)
  onCreated(@Payload() msg: ImageDerivativesCreatedV1, @Ctx() _ctx: VellumRmqContext): void {
    replies.get(msg.assetId)?.({ kind: 'created', msg });
  }

  @EventPattern(ImageDerivativesFailedV1.routingKey)
  onFailed(@Payload() msg: ImageDerivativesFailedV1, @Ctx() _ctx: VellumRmqContext): void {
    replies.get(msg.assetId)?.({ kind: 'failed', msg });
  }
}

/** A store whose downloads of keys containing `flaky` fail like a dropped connection (transient). */
function flakyStore(inner: ObjectStore): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'download') {
        return async (bucket: string, key: string, file: string) => {
          if (key.includes('flaky'))
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
          return target.download(bucket, key, file);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('image-processor over real RabbitMQ and s3rver', () => {
  let vhost: TestVhost;
  let s3: S3TestServer;
  let store: ObjectStore;
  let worker: INestApplication;
  let orchestrator: INestApplication;
  let tmp: string;
  const buckets = { origins: 'it-origins', derivatives: 'it-derivatives', thumbs: 'it-thumbs' };

  beforeAll(async () => {
    vhost = await createTestVhost();
    s3 = await startS3Server();
    store = createObjectStore(storageConfigFromEnv(s3.env));
    for (const b of Object.values(buckets)) await store.ensureBucket(b);
    tmp = await mkdtemp(path.join(tmpdir(), 'vellum-ip-int-'));
    const env = validateEnv(ImageProcessorEnv, {
      AMQP_URL: vhost.url,
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_TMP_DIR: tmp,
      IMAGE_PROCESSOR_CONCURRENCY: '2',
      SERVICE_INSTANCE: 'it-worker',
      LOG_LEVEL: 'warn',
      ...s3.env,
    });
    const serviceName = `${SERVICE_NAME}`;

    @Module({ imports: [AppModule.forRoot({ env, store: flakyStore(store) })] })
    class WorkerRoot {}
    worker = await NestFactory.create(WorkerRoot, { logger: false });
    worker.connectMicroservice({
      strategy: createTransport({
        serviceName,
        amqpUrl: vhost.url,
        exchange: vhost.exchange,
        defaultPrefetch: env.IMAGE_PROCESSOR_CONCURRENCY,
        retryDelaysMs: [100, 200],
      }),
    });
    await worker.startAllMicroservices();
    await worker.init();

    @Module({
      imports: [
        VellumCommonModule.forRoot({ serviceName: `fake-orchestrator-${vhost.id}`, logLevel: 'warn' }),
        MessagingModule.forRoot({
          serviceName: `fake-orchestrator-${vhost.id}`,
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
        }),
      ],
      controllers: [FakeOrchestrator],
    })
    class OrchestratorRoot {}
    orchestrator = await NestFactory.create(OrchestratorRoot, { logger: false });
    orchestrator.connectMicroservice({
      strategy: createTransport({
        serviceName: `fake-orchestrator-${vhost.id}`,
        amqpUrl: vhost.url,
        exchange: vhost.exchange,
      }),
    });
    await orchestrator.startAllMicroservices();
    await orchestrator.init();
  }, 60_000);

  afterAll(async () => {
    await orchestrator?.close();
    await worker?.close();
    await s3?.stop();
    await vhost?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 60_000);

  /** `fixture`: a file of fixtures/, an absolute path, or null to stage nothing. */
  async function stageAndSend(
    assetId: string,
    fixture: string | null,
    mediaType = 'image/jpeg',
    opts: { useOriginal?: boolean; avResult?: AvTranscodeCompletedV1 } = {},
  ): Promise<Reply> {
    const ref = { customerId: 7, spaceId: 3, assetId };
    const source = { bucket: buckets.origins, key: originKey(ref) };
    if (fixture)
      await store.putFile(
        source.bucket,
        source.key,
        path.isAbsolute(fixture) ? fixture : fixturePath(fixture),
      );
    const cmd = Object.assign(new ImageDerivativesCreateV1(), {
      ...ref,
      attempt: 1,
      mediaType,
      source,
      pyramid: {
        location: { bucket: buckets.derivatives, key: pyramidKey(ref) },
        tileSize: 512,
        ...(opts.useOriginal ? { useOriginal: true } : {}),
      },
      thumbnails: {
        sizes: ['!1024,1024', '!400,400', '!200,200', '!100,100'],
        bucket: buckets.thumbs,
        keyPrefix: thumbnailKeyPrefix(ref),
        openMax: 400,
      },
      ...(opts.avResult ? { avResult: opts.avResult } : {}),
    });
    const reply = waitReply(assetId);
    await orchestrator.get(MessagePublisher).publish(cmd, { priority: 5 });
    return reply;
  }

  it('Create → Created: pyramid and thumbnails in the store, sizes.json, upright dimensions', async () => {
    const reply = await stageAndSend('exif upright é', 'exif-orientation-6.jpg');
    expect(reply.kind).toBe('created');
    const msg = (reply as { msg: ImageDerivativesCreatedV1 }).msg;
    expect([msg.width, msg.height, msg.attempt]).toEqual([1800, 1200, 1]);
    const ref = { customerId: 7, spaceId: 3, assetId: 'exif upright é' };
    // The master is echoed, so the orchestrator finalises from what was read (an optimised origin in place).
    expect(msg.source).toEqual({ bucket: buckets.origins, key: originKey(ref) });
    expect(msg.pyramid).toEqual({
      bucket: buckets.derivatives,
      key: pyramidKey(ref),
      size: expect.any(Number),
    });
    const info = await store.stat(buckets.derivatives, pyramidKey(ref));
    expect(info!.size).toBe(msg.pyramid!.size);
    const local = path.join(tmp, 'check.tif');
    await store.download(buckets.derivatives, pyramidKey(ref), local);
    expect((await inspectTiff(local)).map((p) => [p.width, p.height, p.tileWidth])).toEqual([
      [1800, 1200, 512],
      [900, 600, 512],
      [450, 300, 512],
    ]);

    expect(msg.openThumbnails.map((t) => [t.width, t.height])).toEqual([
      [400, 267],
      [200, 133],
      [100, 67],
    ]);
    expect(msg.authThumbnails.map((t) => [t.width, t.height])).toEqual([[1024, 683]]);
    for (const t of [...msg.openThumbnails, ...msg.authThumbnails]) {
      expect(t.location.key).toBe(`${thumbnailKeyPrefix(ref)}/full/${t.width},${t.height}/0/default.jpg`);
      const m = await sharp(await store.getBuffer(t.location.bucket, t.location.key)).metadata();
      expect([m.format, m.width, m.height]).toEqual(['jpeg', t.width, t.height]);
      expect(t.location.size).toBeGreaterThan(0);
    }
    const sizes = JSON.parse(
      (await store.getBuffer(buckets.thumbs, `${thumbnailKeyPrefix(ref)}/sizes.json`)).toString(),
    );
    expect(sizes).toEqual({
      open: [
        [400, 267],
        [200, 133],
        [100, 67],
      ],
      auth: [[1024, 683]],
    });
    expect(msg.elapsedMs).toBeGreaterThan(0);
    expect(msg.avResult).toBeUndefined();
  });

  it("a video's poster (a JPEG) → Created with the transcoder's reply echoed as avResult", async () => {
    const avResult = Object.assign(new AvTranscodeCompletedV1(), {
      customerId: 7,
      spaceId: 3,
      assetId: 'clip',
      attempt: 1,
      duration: 5055,
      width: 960,
      height: 540,
      outputs: [
        {
          preset: 'video-mp4-720p',
          location: { bucket: buckets.derivatives, key: '7/3/clip/av/video-mp4-720p.mp4', size: 700 },
          mediaType: 'video/mp4',
          width: 960,
          height: 540,
        },
      ],
      poster: {
        location: { bucket: buckets.derivatives, key: '7/3/clip/av/poster.jpg', size: 60 },
        mediaType: 'image/jpeg',
        width: 960,
        height: 540,
      },
    });
    const reply = await stageAndSend('clip', 'exif-orientation-6.jpg', 'image/jpeg', { avResult });
    expect(reply.kind).toBe('created');
    const msg = reply.msg as ImageDerivativesCreatedV1;
    expect(msg.avResult).toEqual(JSON.parse(JSON.stringify(avResult)));
    expect(msg.pyramid?.key).toBe(pyramidKey({ customerId: 7, spaceId: 3, assetId: 'clip' }));
  });

  it('a PDF → Created from its first page: 1423×2012, pyramid and thumbnails', async () => {
    const reply = await stageAndSend('score.pdf', 'document-multipage.pdf', 'application/pdf');
    expect(reply.kind).toBe('created');
    const msg = reply.msg as ImageDerivativesCreatedV1;
    expect([msg.width, msg.height, msg.useOriginal]).toEqual([1423, 2012, undefined]);
    const ref = { customerId: 7, spaceId: 3, assetId: 'score.pdf' };
    const local = path.join(tmp, 'pdf-check.tif');
    await store.download(buckets.derivatives, pyramidKey(ref), local);
    expect((await inspectTiff(local)).map((p) => [p.width, p.height])).toEqual([
      [1423, 2012],
      [711, 1006],
      [355, 503],
    ]);
    expect([...msg.openThumbnails, ...msg.authThumbnails].map((t) => [t.width, t.height])).toEqual([
      [283, 400],
      [141, 200],
      [71, 100],
      [724, 1024],
    ]);
  });

  it('use-original with a tile-ready pyramid (pyramid-tiled.tif) → Created, the origin kept, nothing at the pyramid key', async () => {
    const reply = await stageAndSend('seurat', 'pyramid-tiled.tif', 'image/tiff', { useOriginal: true });
    expect(reply.kind).toBe('created');
    const msg = reply.msg as ImageDerivativesCreatedV1;
    expect([msg.width, msg.height, msg.pyramid, msg.useOriginal]).toEqual([
      4655,
      3118,
      undefined,
      { tileSize: 256 },
    ]);
    const ref = { customerId: 7, spaceId: 3, assetId: 'seurat' };
    expect(await store.stat(buckets.derivatives, pyramidKey(ref))).toBeNull();
    expect(msg.openThumbnails.length + msg.authThumbnails.length).toBe(4);
  });

  it('use-original with a flat TIFF → Created with a pyramid written instead', async () => {
    const reply = await stageAndSend('flat', 'tiff-lzw.tif', 'image/tiff', { useOriginal: true });
    const msg = reply.msg as ImageDerivativesCreatedV1;
    expect([reply.kind, msg.useOriginal]).toEqual(['created', undefined]);
    const ref = { customerId: 7, spaceId: 3, assetId: 'flat' };
    expect(msg.pyramid).toEqual({
      bucket: buckets.derivatives,
      key: pyramidKey(ref),
      size: expect.any(Number),
    });
  });

  it('a text file declared image/jpeg → Failed, retryable false, naming the detected type', async () => {
    const text = path.join(tmp, 'not-an-image.jpg');
    await writeFile(text, 'This is a letter, not a photograph.\n');
    const reply = await stageAndSend('text-as-jpeg', text, 'image/jpeg');
    expect(reply).toMatchObject({
      kind: 'failed',
      msg: { retryable: false, error: 'Unsupported format: text/plain (permanent, 1 attempt)' },
    });
  });

  it('corrupt input → Failed, retryable false, with a clear message', async () => {
    const reply = await stageAndSend('corrupt', 'corrupt-truncated.jpg');
    expect(reply.kind).toBe('failed');
    expect((reply.msg as ImageDerivativesFailedV1).retryable).toBe(false);
    expect((reply.msg as ImageDerivativesFailedV1).error).toMatch(
      /^Corrupt or truncated image: VipsJpeg: premature end of JPEG/,
    );
  });

  it('an empty (0-byte) staged source → Failed, retryable false, saying it is empty', async () => {
    const empty = path.join(tmp, 'empty.jpg');
    await writeFile(empty, '');
    const reply = await stageAndSend('empty-origin', empty);
    expect(reply).toMatchObject({
      kind: 'failed',
      msg: { retryable: false, error: 'The origin file is empty (0 bytes) (permanent, 1 attempt)' },
    });
  });

  it('a missing staged source → Failed, retryable false', async () => {
    const reply = await stageAndSend('never-staged', null);
    expect(reply).toMatchObject({
      kind: 'failed',
      msg: {
        retryable: false,
        error: expect.stringMatching(/^Staged source not found: it-origins\/.* \(permanent, 1 attempt\)$/),
      },
    });
  });

  it('a store that stays down → retried, then Failed with retryable true (no asset left ingesting)', async () => {
    const reply = await stageAndSend('flaky-store', 'grayscale.png', 'image/png');
    expect(reply).toMatchObject({
      kind: 'failed',
      msg: {
        retryable: true,
        error: expect.stringMatching(
          /^Image processing failed after 3 attempts \(retryable\): connect ECONNREFUSED/,
        ),
      },
    });
  });

  it('works in its own instance directory and leaves no job directory behind, whatever the outcome', async () => {
    // Every test above ran a job: created, corrupt, missing source, store down (thrown, retried).
    const { readdir } = await import('node:fs/promises');
    const instanceDirs = (await readdir(tmp)).filter((f) => f.startsWith('vellum-image-processor-'));
    expect(instanceDirs).toEqual(['vellum-image-processor-it-worker']);
    expect(await readdir(path.join(tmp, instanceDirs[0]))).toEqual(['owner.json']);
  });
});
