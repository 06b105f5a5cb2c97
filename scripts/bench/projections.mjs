#!/usr/bin/env node
// Named-query projection benchmark (issue 8 "Done when": a PDF of 100 pages built in < 20 s, a ZIP of 100
// thumbnails in < 5 s). Not a test: it reports figures. Needs the built apps (`pnpm exec turbo run build`), the local
// PostgreSQL and RabbitMQ; it makes its own database (`vellum_test_*`, dropped at the end), its own vhost, and an
// in-process s3rver (or the filesystem store with `--store fs`).
//
//   node scripts/bench/projections.mjs [--pages 100] [--rounds 3] [--store s3|fs] [--source thumbnail|render]
//
// 1. Seeds one customer, one space and N assets `string1=bench` `number1=1..N`, each with an open 1024-px
//    thumbnail made from the fixtures (photo-large.jpg, tiff-lzw.tif, exif-orientation-6.jpg in turn, every copy
//    stored under its own key), or with `--source render` only a pyramidal TIFF (the worker then renders each page
//    at ≤ 1,000 px from the pyramid), and a named query `bench` = `s1=p1&canvas=n1&coverpage=Benchmark`.
// 2. Runs the real image-processor (its Nest app from dist, in this process, consuming from the vhost) and asks for
//    builds as iiif-delivery does (a control record through the shared ledger, then `named-query.projection.build.v1`).
// 3. Times each build from publishing the command to the record being `done` (claim, query, every picture read,
//    the PDF/ZIP streamed to the store, the record written), `--rounds` times per kind (each round a new build),
//    and samples this process's RSS meanwhile. Prints the figures; exits 1 when a median misses its target (judged
//    for the default run only: 100 pages from thumbnails).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const APP = path.join(ROOT, 'apps', 'image-processor');
const require = createRequire(path.join(APP, 'package.json'));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const PAGES = Number(opt('pages', 100));
const ROUNDS = Number(opt('rounds', 3));
const STORE = opt('store', 's3');
const SOURCE = opt('source', 'thumbnail');
const TARGET_S = { pdf: 20, zip: 5 };

function dist(file) {
  const p = path.join(APP, 'dist', file);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: build first (pnpm exec turbo run build)`);
  return require(p);
}

require('reflect-metadata');
const { AppModule, SERVICE_NAME } = dist('app.module.js');
const { ImageProcessorEnv } = dist('image-processor.env.js');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { validateEnv } = require('@vellum/common');
const { NamedQueryProjectionBuildV1 } = require('@vellum/contracts');
const db = require('@vellum/db');
const { createTransport, MessagePublisher } = require('@vellum/messaging');
const storage = require('@vellum/storage');
const testing = require('@vellum/testing');
const sharp = require('sharp');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b) => (b / 1024 / 1024).toFixed(0);

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-bench-projections-'));
  const cleanups = [async () => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    const [testDb, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
    cleanups.push(
      () => testDb.drop(),
      () => vhost.drop(),
    );
    let storeEnv;
    if (STORE === 'fs') storeEnv = { VELLUM_STORAGE_ROOT: path.join(tmp, 'storage') };
    else {
      const s3 = await testing.startS3Server();
      cleanups.push(() => s3.stop());
      storeEnv = s3.env;
    }
    const store = storage.createObjectStore(storage.storageConfigFromEnv(storeEnv));
    const B = { thumbs: 'bench-thumbs', derivatives: 'bench-derivatives', outputs: 'bench-outputs' };
    for (const b of Object.values(B)) await store.ensureBucket(b);
    const prisma = db.createPrismaClient(testDb.url, { max: 4 });
    cleanups.push(() => prisma.$disconnect());

    // 1. Seed.
    const t0 = performance.now();
    const customerId = (await prisma.customer.create({ data: { name: 'bench', displayName: 'Bench' } })).id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'bench' } });
    const pictures = [];
    for (const f of ['photo-large.jpg', 'tiff-lzw.tif', 'exif-orientation-6.jpg']) {
      const img = sharp(testing.fixturePath(f)).rotate().toColourspace('srgb');
      const meta = await img.clone().metadata();
      const w = meta.autoOrient?.width ?? meta.width;
      const h = meta.autoOrient?.height ?? meta.height;
      if (SOURCE === 'render') {
        const file = path.join(tmp, `${f}.tif`);
        await img
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
        pictures.push({ file, width: w, height: h });
      } else {
        const { data, info } = await img
          .clone()
          .resize(1024, 1024, { fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality: 85, progressive: false })
          .toBuffer({ resolveWithObject: true });
        pictures.push({ data, width: w, height: h, tw: info.width, th: info.height });
      }
    }
    const rows = [];
    let sourceBytes = 0;
    for (let i = 0; i < PAGES; i++) {
      const p = pictures[i % pictures.length];
      const ref = { customerId, spaceId: 1, assetId: `page-${String(i + 1).padStart(4, '0')}` };
      let derivatives;
      if (SOURCE === 'render') {
        const key = storage.pyramidKey(ref);
        const { size } = await store.putFile(B.derivatives, key, p.file);
        sourceBytes += size;
        derivatives = { pyramid: { bucket: B.derivatives, key, size, tileSize: 512 } };
      } else {
        const key = storage.thumbnailKey(ref, p.tw, p.th);
        await store.put(B.thumbs, key, p.data, { contentType: 'image/jpeg' });
        sourceBytes += p.data.length;
        derivatives = {
          thumbnails: {
            bucket: B.thumbs,
            open: [[p.tw, p.th]],
            auth: [],
            keys: { [`${p.tw},${p.th}`]: key },
          },
        };
      }
      rows.push({
        customerId,
        spaceId: 1,
        id: ref.assetId,
        mediaType: 'image/jpeg',
        width: p.width,
        height: p.height,
        string1: 'bench',
        number1: i + 1,
        finished: new Date(),
        derivatives,
      });
    }
    await prisma.asset.createMany({ data: rows });
    await prisma.namedQuery.create({
      data: { customerId, name: 'bench', template: 's1=p1&canvas=n1&coverpage=Benchmark' },
    });
    console.log(
      `seeded ${PAGES} assets (${SOURCE === 'render' ? 'pyramids' : '1024-px thumbnails'}, ${mib(sourceBytes)} MiB in the ${STORE} store) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // 2. The worker.
    const env = validateEnv(ImageProcessorEnv, {
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      DATABASE_URL: testDb.url,
      VELLUM_TMP_DIR: tmp,
      SERVICE_INSTANCE: `bench-projections-${process.pid}`,
      LOG_LEVEL: 'warn',
      ...storeEnv,
    });
    class Root {}
    Module({ imports: [AppModule.forRoot({ env, store })] })(Root);
    const app = await NestFactory.create(Root, { logger: false, abortOnError: false });
    app.connectMicroservice({
      strategy: createTransport({ serviceName: SERVICE_NAME, amqpUrl: vhost.url, exchange: vhost.exchange }),
    });
    await app.startAllMicroservices();
    await app.init();
    cleanups.unshift(() => app.close());
    const publisher = app.get(MessagePublisher);
    const timing = { buildTimeoutMs: 3_600_000, failedRetryMs: 0 };

    // 3. Builds.
    let failed = false;
    for (const kind of ['pdf', 'zip']) {
      const times = [];
      let last;
      let peakRss = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        const ref = { customerId, queryName: 'bench', kind, args: ['bench'] };
        const r = await db.requestProjectionBuild(prisma, ref, `round-${round}`, timing);
        if (!r.requested) throw new Error(`round ${round}: no build was asked for`);
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
        const started = performance.now();
        await publisher.publish(
          Object.assign(new NamedQueryProjectionBuildV1(), {
            projectionId: r.row.id,
            customerId,
            queryName: 'bench',
            kind,
            args: ['bench'],
            build: r.row.build,
            output: {
              bucket: B.outputs,
              key: db.projectionObjectKey(customerId, r.row.id, r.row.build, kind),
            },
          }),
        );
        last = await testing.waitFor(
          async () => {
            const row = await db.findProjection(prisma, ref);
            return row && row.build === r.row.build && row.status !== 'in_process' ? row : null;
          },
          { timeoutMs: 300_000, intervalMs: 20, description: `${kind} build ${r.row.build}` },
        );
        const seconds = (performance.now() - started) / 1000;
        clearInterval(sampler);
        if (last.status !== 'done') throw new Error(`${kind} build failed: ${last.error}`);
        times.push(seconds);
        console.log(
          `  ${kind} round ${round}: ${seconds.toFixed(2)} s, ${last.itemCount} ${kind === 'pdf' ? 'pages' : 'entries'}, ${mib(Number(last.sizeBytes))} MiB`,
        );
      }
      const m = median(times);
      // The targets are for 100 pages from thumbnails; other runs only report.
      const judged = PAGES === 100 && SOURCE === 'thumbnail';
      const ok = m < TARGET_S[kind];
      if (judged) failed ||= !ok;
      console.log(
        `${kind.toUpperCase()} of ${PAGES} ${SOURCE === 'render' ? 'renders' : 'thumbnails'}: median ${m.toFixed(2)} s (best ${Math.min(...times).toFixed(2)} s) over ${ROUNDS} builds, ${last.itemCount} ${kind === 'pdf' ? 'pages' : 'entries'}, ${mib(Number(last.sizeBytes))} MiB; peak RSS of this process ${mib(peakRss)} MiB; ${judged ? `target < ${TARGET_S[kind]} s: ${ok ? 'met' : 'MISSED'}` : 'no target for this run'}`,
      );
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
