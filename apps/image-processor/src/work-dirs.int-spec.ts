/**
 * A job killed mid-way (SIGKILL of the real process, `dist/main.js`, over real RabbitMQ and s3rver) leaves its
 * instance directory behind; the next image-processor to start on the host removes it (SPEC.md §4.3).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { validateEnv, VellumCommonModule } from '@vellum/common';
import { ImageDerivativesCreateV1 } from '@vellum/contracts';
import { MessagePublisher, MessagingModule } from '@vellum/messaging';
import {
  createObjectStore,
  originKey,
  pyramidKey,
  storageConfigFromEnv,
  thumbnailKeyPrefix,
} from '@vellum/storage';
import {
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  waitFor,
  type S3TestServer,
  type TestVhost,
} from '@vellum/testing';
import { AppModule } from './app.module';
import { ImageProcessorEnv } from './image-processor.env';
import { OWNER_FILE, WORK_DIR_PREFIX } from './work-dirs';

const MAIN = path.resolve(__dirname, '../dist/main.js');

describe('work directories of a killed image-processor', () => {
  let vhost: TestVhost;
  let s3: S3TestServer;
  let tmp: string;
  let publisherApp: INestApplication | undefined;
  let worker: ChildProcess | undefined;
  let survivor: INestApplication | undefined;
  let output = '';

  beforeAll(async () => {
    [vhost, s3] = await Promise.all([createTestVhost(), startS3Server()]);
    tmp = await mkdtemp(path.join(tmpdir(), 'vellum-ip-kill-'));
  }, 60_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await survivor?.close();
    await publisherApp?.close();
    await s3?.stop();
    await vhost?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a job killed mid-way leaves nothing after the next start-up', async () => {
    const store = createObjectStore(storageConfigFromEnv(s3.env));
    for (const b of ['kill-origins', 'kill-derivatives', 'kill-thumbs']) await store.ensureBucket(b);

    // 1. A real image-processor process, one job at a time.
    const port = await freePort();
    worker = spawn(process.execPath, [MAIN], {
      env: {
        ...s3.env,
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        AMQP_URL: vhost.url,
        DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
        AMQP_EXCHANGE: vhost.exchange,
        VELLUM_TMP_DIR: tmp,
        SERVICE_INSTANCE: 'doomed',
        IMAGE_PROCESSOR_CONCURRENCY: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      async () => {
        if (worker!.exitCode !== null) throw new Error(`image-processor exited:\n${output}`);
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
      },
      { timeoutMs: 30_000, description: 'the image-processor to be ready' },
    );

    // 2. Queue a few large images, so a job is always in flight.
    @Module({
      imports: [
        VellumCommonModule.forRoot({ serviceName: `kill-test-${vhost.id}`, logLevel: 'warn' }),
        MessagingModule.forRoot({
          serviceName: `kill-test-${vhost.id}`,
          amqpUrl: vhost.url,
          exchange: vhost.exchange,
        }),
      ],
    })
    class PublisherRoot {}
    publisherApp = await NestFactory.create(PublisherRoot, { logger: false });
    await publisherApp.init();
    for (let i = 0; i < 3; i++) {
      const ref = { customerId: 9, spaceId: 1, assetId: `killed-${i}` };
      const source = { bucket: 'kill-origins', key: originKey(ref) };
      await store.putFile(source.bucket, source.key, fixturePath('photo-large.jpg'));
      const cmd = Object.assign(new ImageDerivativesCreateV1(), {
        ...ref,
        attempt: 1,
        mediaType: 'image/jpeg',
        source,
        pyramid: { location: { bucket: 'kill-derivatives', key: pyramidKey(ref) }, tileSize: 512 },
        thumbnails: { sizes: ['!400,400'], bucket: 'kill-thumbs', keyPrefix: thumbnailKeyPrefix(ref) },
      });
      await publisherApp.get(MessagePublisher).publish(cmd);
    }

    // 3. SIGKILL it as soon as a job has its source on disk.
    const instanceDir = path.join(tmp, `${WORK_DIR_PREFIX}doomed`);
    await waitFor(
      async () => {
        for (const job of await readdir(instanceDir).catch(() => [] as string[])) {
          if (!job.startsWith('job-')) continue;
          const st = await stat(path.join(instanceDir, job, 'source')).catch(() => undefined);
          if (st && st.size > 0) return true;
        }
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 10, description: `a job directory in ${instanceDir}` },
    );
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGKILL');
    await exited;
    const left = await readdir(instanceDir);
    expect(left).toContain(OWNER_FILE);
    expect(left.filter((f) => f.startsWith('job-')).length).toBeGreaterThan(0);

    // 4. The next instance on this host (another SERVICE_INSTANCE) removes it at start-up.
    const env = validateEnv(ImageProcessorEnv, {
      AMQP_URL: vhost.url,
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_TMP_DIR: tmp,
      SERVICE_INSTANCE: 'survivor',
      LOG_LEVEL: 'warn',
      ...s3.env,
    });
    @Module({ imports: [AppModule.forRoot({ env, store })] })
    class SurvivorRoot {}
    survivor = await NestFactory.create(SurvivorRoot, { logger: false });
    await survivor.init();
    expect(existsSync(instanceDir)).toBe(false);
    expect(await readdir(tmp)).toEqual([`${WORK_DIR_PREFIX}survivor`]);
    expect(await readdir(path.join(tmp, `${WORK_DIR_PREFIX}survivor`))).toEqual([OWNER_FILE]);

    // 5. And its own directory goes on a clean shutdown.
    await survivor.close();
    survivor = undefined;
    expect(await readdir(tmp)).toEqual([]);
  });
});
