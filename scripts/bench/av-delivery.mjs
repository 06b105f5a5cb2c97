#!/usr/bin/env node
// iiif-av delivery benchmark (issue 9 "Done when": the delivery rate of 1 MiB Range requests at c=8; a script, not
// a test). Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/av-delivery.mjs [--concurrency 8] [--seconds 10] [--range 1048576] [--loops 8] [--store s3|fs]
//
// Self-contained: a fresh migrated database and RabbitMQ vhost (from @vellum/testing, dropped at the end), an
// in-process S3-protocol server (s3rver, as the tests use; or the filesystem store with `--store fs`) and the
// built iiif-delivery (`apps/iiif-delivery/dist/main.js`, under `nice`) on a free port. It makes one MP4 transcode
// with the real ffmpeg (the `video.mp4` fixture looped `--loops` times, H.264 + AAC, `+faststart`, so the object is
// several MiB), stores it in the derivatives bucket and inserts a finished asset row naming it (as the orchestrator
// would). Then `--concurrency` keep-alive clients GET `/iiif-av/{c}/1/bench/full/full/max/max/0/default.mp4` with
// `Range: bytes=a-(a+range-1)` at random offsets for `--seconds`, each response checked (206, exactly `range` bytes,
// the right `Content-Range`), and it reports MiB/s, requests/s and the latency p50/p99. The client runs in this
// process (it shares the 2 cores with delivery and the store), so the figure is a floor, not a ceiling.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    range: { type: 'string', default: String(1024 * 1024) },
    loops: { type: 'string', default: '8' },
    store: { type: 'string', default: 's3' },
  },
});
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const RANGE = Number(values.range);
const LOOPS = Number(values.loops);
const STORE = values.store;

const require = createRequire(path.join(ROOT, 'apps', 'iiif-delivery', 'package.json'));
const { createPrismaClient } = require('@vellum/db');
const storage = require('@vellum/storage');
const testing = require('@vellum/testing');

const cleanups = [];
const pct = (xs, p) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-av-bench-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const [db, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
  cleanups.unshift(
    () => db.drop(),
    () => vhost.drop(),
  );
  let storeEnv;
  if (STORE === 'fs') storeEnv = { VELLUM_STORAGE_ROOT: path.join(tmp, 'storage') };
  else {
    const s3 = await testing.startS3Server();
    cleanups.unshift(() => s3.stop());
    storeEnv = s3.env;
  }

  // 1. The transcode, by the real ffmpeg.
  const file = path.join(tmp, 'bench.mp4');
  const t0 = performance.now();
  execFileSync(
    'nice',
    [
      ...['-n', '19', 'ffmpeg', '-y', '-v', 'error', '-stream_loop', String(LOOPS - 1)],
      ...[
        '-i',
        testing.fixturePath('video.mp4'),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
      ],
      ...['-b:v', '6M', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', file],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const size = fs.statSync(file).size;
  console.log(
    `transcode: ${(size / 2 ** 20).toFixed(1)} MiB MP4 (video.mp4 ×${LOOPS}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (size < RANGE * 2)
    throw new Error(`the transcode (${size} bytes) is too small for ${RANGE}-byte ranges`);

  // 2. Store it and the asset row.
  const store = storage.createObjectStore(storage.storageConfigFromEnv(storeEnv));
  const bucket = storage.bucketsFromEnv(storeEnv).derivatives;
  await store.ensureBucket(bucket);
  const prisma = createPrismaClient(db.url);
  cleanups.unshift(() => prisma.$disconnect());
  const c = (await prisma.customer.create({ data: { name: 'av-bench', displayName: 'AV benchmark' } })).id;
  await prisma.space.create({ data: { customerId: c, id: 1, name: 'av-bench' } });
  const key = `${c}/1/bench/video-mp4-720p/default.mp4`;
  await store.put(bucket, key, fs.createReadStream(file));
  await prisma.asset.create({
    data: {
      customerId: c,
      spaceId: 1,
      id: 'bench',
      mediaType: 'video/mp4',
      family: 'T',
      width: 960,
      height: 540,
      duration: 5055 * LOOPS,
      finished: new Date(),
      deliveryChannels: [{ channel: 'iiif-av', policy: 'default-video' }],
      derivatives: { transcodes: [{ preset: 'video-mp4-720p', bucket, key, mediaType: 'video/mp4', size }] },
    },
  });

  // 3. iiif-delivery.
  const port = await testing.freePort();
  const child = spawn(
    'nice',
    ['-n', '19', process.execPath, path.join(ROOT, 'apps/iiif-delivery/dist/main.js')],
    {
      env: {
        ...process.env,
        ...storeEnv,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        AMQP_EXCHANGE: vhost.exchange,
        VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'cache'),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  cleanups.unshift(
    () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  );
  const base = `http://127.0.0.1:${port}`;
  await testing.waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, {
    timeoutMs: 60_000,
    description: 'iiif-delivery ready',
  });

  // 4. Ranged GETs at c = CONCURRENCY.
  const url = `${base}/iiif-av/${c}/1/bench/full/full/max/max/0/default.mp4`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 });
  cleanups.unshift(async () => agent.destroy());
  const rangeGet = (start) =>
    new Promise((resolve, reject) => {
      const end = start + RANGE - 1;
      const started = performance.now();
      http
        .get(url, { agent, headers: { Range: `bytes=${start}-${end}` } }, (res) => {
          let bytes = 0;
          res.on('data', (ch) => (bytes += ch.length));
          res.on('end', () => {
            if (
              res.statusCode !== 206 ||
              bytes !== RANGE ||
              res.headers['content-range'] !== `bytes ${start}-${end}/${size}`
            )
              reject(
                new Error(
                  `bytes=${start}-${end}: ${res.statusCode}, ${bytes} bytes, ${res.headers['content-range']}`,
                ),
              );
            else resolve(performance.now() - started);
          });
        })
        .on('error', reject);
    });
  // Warm-up: the asset lookup and connections.
  await Promise.all(Array.from({ length: CONCURRENCY }, () => rangeGet(0)));
  const lat = [];
  const began = performance.now();
  const until = began + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) lat.push(await rangeGet(Math.floor(Math.random() * (size - RANGE))));
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  const mib = (lat.length * RANGE) / 2 ** 20;
  console.log(
    `iiif-av ${RANGE}-byte Range GETs, c=${CONCURRENCY}, ${elapsed.toFixed(1)} s, store ${STORE}: ` +
      `${(mib / elapsed).toFixed(1)} MiB/s, ${(lat.length / elapsed).toFixed(1)} requests/s, ` +
      `p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms (${lat.length} requests, all 206 with exact bytes)`,
  );
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
}
process.exit(failed ? 1 : 0);
