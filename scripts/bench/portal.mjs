#!/usr/bin/env node
// Portal benchmark (issue 13: "time to first render of the asset grid for a space of 10,000 assets, target < 1 s
// warm"; a script, not a test). Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/portal.mjs [--assets 10000] [--runs 5] [--port 41650]
//
// Self-contained: a fresh migrated database and RabbitMQ vhost (from @vellum/testing, dropped at the end), the
// built api-gateway (`apps/api-gateway/dist/main.js`, serving the built portal at /portal/) on `--port`, and the
// `--assets` rows inserted directly in the database (finished images of one space, with string1/number1 set),
// rather than ingesting that many images. Headless Chromium (Debian's, driven by playwright-core) then opens
// `/portal/spaces/1` signed in (the session put in sessionStorage first) and measures, from navigation start, the
// time until the grid shows its first page (50 tiles, with ids). Run 1 is cold (a new browser context: nothing
// cached, the gateway's first query of the space); runs 2.. are warm (the same context: the hashed JS/CSS cached,
// index.html revalidated). Thumbnails are not part of the figure (they come from iiif-delivery, not started here).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const { values } = parseArgs({
  options: {
    assets: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    port: { type: 'string', default: '41650' },
  },
});
const ASSETS = Number(values.assets);
const RUNS = Number(values.runs);
const PORT = Number(values.port);
const TARGET_MS = 1000;
const ADMIN = { key: 'portal-bench', secret: 'portal-bench-secret-0123456789' };

const requireGw = createRequire(path.join(ROOT, 'apps', 'api-gateway', 'package.json'));
const requireE2e = createRequire(path.join(ROOT, 'packages', 'e2e', 'package.json'));
const { createPrismaClient } = requireGw('@vellum/db');
const testing = requireGw('@vellum/testing');
const { chromium } = requireE2e('playwright-core');

async function main() {
  const cleanups = [];
  try {
    const [db, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
    cleanups.unshift(
      () => db.drop(),
      () => vhost.drop(),
    );
    const prisma = createPrismaClient(db.url);
    cleanups.unshift(() => prisma.$disconnect());

    const gw = spawn(process.execPath, [path.join(ROOT, 'apps', 'api-gateway', 'dist', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: String(PORT),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        VELLUM_API_WORKERS: '1',
        VELLUM_ADMIN_KEY: ADMIN.key,
        VELLUM_ADMIN_SECRET: ADMIN.secret,
        VELLUM_STORAGE_ROOT: path.join(ROOT, '.vellum', 'bench-portal-storage'),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    cleanups.unshift(
      () =>
        new Promise((r) => {
          gw.once('exit', r);
          gw.kill('SIGTERM');
        }),
    );
    const api = `http://127.0.0.1:${PORT}`;
    await testing.waitFor(async () => (await fetch(`${api}/health/ready`)).ok, {
      timeoutMs: 60_000,
      description: 'api-gateway ready',
    });

    // The space and its rows.
    const t0 = performance.now();
    const customer = await prisma.customer.create({
      data: { name: 'portal-bench', displayName: 'Portal bench' },
    });
    await prisma.space.create({ data: { customerId: customer.id, id: 1, name: 'ten-thousand' } });
    const finished = new Date();
    for (let i = 0; i < ASSETS; i += 1000) {
      await prisma.asset.createMany({
        data: Array.from({ length: Math.min(1000, ASSETS - i) }, (_, j) => ({
          customerId: customer.id,
          spaceId: 1,
          id: `page-${String(i + j + 1).padStart(5, '0')}`,
          mediaType: 'image/jpeg',
          origin: `https://example.org/page-${i + j + 1}.jpg`,
          width: 2000,
          height: 3000,
          string1: `b${Math.floor((i + j) / 100)}`,
          number1: (i + j) % 100,
          finished,
          deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
        })),
      });
    }
    console.log(`${ASSETS} assets inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    cleanups.unshift(() => browser.close());
    const session = { key: ADMIN.key, secret: ADMIN.secret, customer: String(customer.id), admin: true };
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(
      (s) => sessionStorage.setItem('vellum.portal.session', s),
      JSON.stringify(session),
    );
    const page = await context.newPage();
    const times = [];
    for (let run = 1; run <= RUNS; run++) {
      await page.goto('about:blank');
      await page.goto(`${api}/portal/spaces/1`);
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="asset-grid"] li .cap').length >= 50,
        undefined,
        { timeout: 30_000 },
      );
      const ms = await page.evaluate(() => performance.now());
      const total = await page.locator('#assets-heading').innerText();
      times.push(ms);
      console.log(
        `run ${run} (${run === 1 ? 'cold' : 'warm'}): grid of the first 50 shown after ${ms.toFixed(0)} ms  [${total}]`,
      );
    }
    const warm = times.slice(1).sort((a, b) => a - b);
    const median = warm.length ? warm[Math.floor(warm.length / 2)] : times[0];
    console.log(
      `\nTime to first render of the asset grid, ${ASSETS} assets: cold ${times[0].toFixed(0)} ms, warm median ${median.toFixed(0)} ms (target < ${TARGET_MS} ms warm): ${median < TARGET_MS ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    for (const c of cleanups) await c().catch((e) => console.error(`cleanup: ${e.message}`));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
