#!/usr/bin/env node
// Named-query manifest benchmark (issue 8 "Done when": manifest p50 < 50 ms warm on a named query of 1,000 assets;
// a script, not a test). Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/manifests.mjs [--assets 1000] [--others 9000] [--requests 200] [--cold 50] [--concurrency 8]
//   node scripts/bench/manifests.mjs --delivery http://127.0.0.1:3001 --database-url postgresql://...  # a running platform
//
// By default it is self-contained: a fresh migrated database and RabbitMQ vhost (from @vellum/testing, dropped at the
// end) and the built iiif-delivery (`apps/iiif-delivery/dist/main.js`, under `nice`) on a free port. Either way it
// inserts rows straight into the database (as the other seeders do): a customer `manifest-bench` with `--assets`
// finished image assets of one book (`string1` = `bench-book`, `number1` = page, iiif-img + thumbs, four open
// thumbnail sizes) among `--others` assets of other books, and the named query `bench`
// (`manifest=s1&canvas=n1&s1=p1`). Then it reports, for `/iiif-resource/{c}/bench/bench-book`:
//   - warm: the same URL again and again (served from delivery's projection cache): p50/p99;
//   - cold: every request a cache miss (an extra, ignored argument makes a new key each time: the named query runs,
//     the manifest is built and serialised): p50/p99;
//   - warm under `--concurrency` clients for 5 s: requests/s;
// and the same for `/raw-resource`, plus the single-asset manifest, with the manifest's size.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const { values } = parseArgs({
  options: {
    assets: { type: 'string', default: '1000' },
    others: { type: 'string', default: '9000' },
    requests: { type: 'string', default: '200' },
    cold: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    delivery: { type: 'string' },
    'database-url': { type: 'string' },
  },
});
const ASSETS = Number(values.assets);
const OTHERS = Number(values.others);
const REQUESTS = Number(values.requests);
const COLD = Number(values.cold);
const CONCURRENCY = Number(values.concurrency);

const require = createRequire(path.join(ROOT, 'apps', 'iiif-delivery', 'package.json'));
const { createPrismaClient } = require('@vellum/db');
const testing = require('@vellum/testing');

const cleanups = [];
let deliveryUrl = values.delivery;
let databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
if (deliveryUrl) {
  if (!['127.0.0.1', 'localhost'].includes(new URL(deliveryUrl).hostname)) {
    console.error('refusing: benchmarks only talk to 127.0.0.1/localhost');
    process.exit(2);
  }
  databaseUrl ??= 'postgresql://postgres@127.0.0.1:5432/vellum';
} else {
  // Self-contained: our own database, vhost and delivery process.
  const [db, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
  cleanups.push(
    () => db.drop(),
    () => vhost.drop(),
  );
  databaseUrl = db.url;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-manifest-bench-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const port = await testing.freePort();
  const child = spawn(
    'nice',
    ['-n', '19', process.execPath, path.join(ROOT, 'apps/iiif-delivery/dist/main.js')],
    {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        AMQP_EXCHANGE: vhost.exchange,
        VELLUM_STORAGE_ROOT: path.join(tmp, 'store'),
        VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'cache'),
        VELLUM_NAMED_QUERY_MAX_ASSETS: String(Math.max(10_000, ASSETS)),
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
  deliveryUrl = `http://127.0.0.1:${port}`;
  await testing.waitFor(async () => (await fetch(`${deliveryUrl}/health/ready`)).status === 200, {
    timeoutMs: 60_000,
    description: 'iiif-delivery ready',
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 4 });
/** One GET over a keep-alive agent; resolves `{ status, bytes, ms }`. */
function get(p) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${deliveryUrl}${p}`, { agent }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
      })
      .on('error', reject);
  });
}
const pct = (xs, p) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const results = [];
function report(label, value, unit, target, ok) {
  results.push({ label, value, unit, target, ok });
  console.log(
    `  ${ok === undefined ? '·' : ok ? '✓' : '✗'} ${label}: ${value} ${unit}${target ? ` (target ${target})` : ''}`,
  );
}

async function main() {
  // 1. Seed.
  const prisma = createPrismaClient(databaseUrl);
  cleanups.unshift(() => prisma.$disconnect());
  const customer = await prisma.customer.upsert({
    where: { name: 'manifest-bench' },
    create: { name: 'manifest-bench', displayName: 'Manifest benchmark' },
    update: {},
  });
  const c = customer.id;
  await prisma.space.upsert({
    where: { customerId_id: { customerId: c, id: 1 } },
    create: { customerId: c, id: 1, name: 'manifest-bench' },
    update: {},
  });
  const have = await prisma.asset.count({ where: { customerId: c, spaceId: 1 } });
  const sizes = [
    [1024, 576],
    [400, 225],
    [200, 113],
    [100, 56],
  ];
  const row = (i, book) => {
    const id = `bench-${String(i).padStart(5, '0')}`;
    const keys = Object.fromEntries(
      sizes.map(([w, h]) => [`${w},${h}`, `${c}/1/${id}/thumbs/${w},${h}.jpg`]),
    );
    return {
      customerId: c,
      spaceId: 1,
      id,
      mediaType: 'image/jpeg',
      width: 5312,
      height: 2988,
      deliveryChannels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ],
      derivatives: {
        pyramid: { bucket: 'vellum-derivatives', key: `${c}/1/${id}/pyramid.tif`, size: 1, tileSize: 512 },
        thumbnails: { bucket: 'vellum-thumbs', open: sizes, auth: [], keys },
      },
      string1: book,
      number1: i,
      finished: new Date(),
    };
  };
  const total = ASSETS + OTHERS;
  if (have < total) {
    console.log(`Seeding ${total - have} assets (${ASSETS} of the book among ${OTHERS} others)...`);
    for (let n = have; n < total; n += 1000) {
      const data = [];
      for (let i = n; i < Math.min(total, n + 1000); i++)
        data.push(row(i, i < ASSETS ? 'bench-book' : `other-${i % 500}`));
      await prisma.asset.createMany({ data, skipDuplicates: true });
    }
    await prisma.$executeRawUnsafe('ANALYZE assets');
  }
  await prisma.namedQuery.upsert({
    where: { customerId_name: { customerId: c, name: 'bench' } },
    create: { customerId: c, name: 'bench', template: 'manifest=s1&canvas=n1&s1=p1' },
    update: { template: 'manifest=s1&canvas=n1&s1=p1' },
  });

  const manifest = `/iiif-resource/${c}/bench/bench-book`;
  const raw = `/raw-resource/${c}/bench/bench-book`;
  const first = await get(manifest);
  if (first.status !== 200) throw new Error(`${manifest}: ${first.status}`);
  const doc = await (await fetch(`${deliveryUrl}${manifest}`)).json();
  if (doc.items.length !== ASSETS) throw new Error(`expected ${ASSETS} canvases, got ${doc.items.length}`);
  console.log(
    `Named query of ${ASSETS} assets (customer ${c}, ${total} assets in all): manifest ${(first.bytes / 1e6).toFixed(2)} MB, ` +
      `${doc.items.length} canvases.`,
  );

  // 2. Measure.
  const sequential = async (label, paths, target) => {
    for (let i = 0; i < 10; i++) await get(paths(-1 - i));
    const ms = [];
    for (let i = 0; i < paths.count; i++) {
      const r = await get(paths(i));
      if (r.status !== 200) throw new Error(`${paths(i)}: ${r.status}`);
      ms.push(r.ms);
    }
    const p50 = pct(ms, 50);
    report(
      `${label} p50 (p99 ${pct(ms, 99).toFixed(1)} ms, n=${ms.length})`,
      p50.toFixed(2),
      'ms',
      target && `< ${target} ms`,
      target ? p50 < target : undefined,
    );
  };
  const same = (p, count) => Object.assign(() => p, { count });
  // A new key every time: the template takes one argument, so a second one is ignored by the query but not by the
  // cache. The warm-up keys (negative i) are distinct from the measured ones.
  const fresh = (p, count) => Object.assign((i) => `${p}/cold-${process.pid}-${i}`, { count });
  console.log('Manifest (/iiif-resource):');
  await sequential('warm', same(manifest, REQUESTS), 50);
  await sequential('cold (query + build + serialise)', fresh(manifest, COLD));
  console.log('Id list (/raw-resource):');
  await sequential('warm', same(raw, REQUESTS));
  await sequential('cold', fresh(raw, COLD));
  console.log('Single-asset manifest (/iiif-manifest):');
  await sequential('warm', same(`/iiif-manifest/${c}/1/bench-00000`, REQUESTS));

  // Throughput, warm, several clients.
  let done = 0;
  const until = performance.now() + 5000;
  const lat = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const r = await get(manifest);
        if (r.status !== 200) throw new Error(`${manifest}: ${r.status}`);
        lat.push(r.ms);
        done++;
      }
    }),
  );
  report(
    `warm manifest under ${CONCURRENCY} clients (p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms)`,
    (done / 5).toFixed(0),
    'requests/s',
  );
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  agent.destroy();
  for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
}
process.exit(failed || results.some((r) => r.ok === false) ? 1 : 0);
