#!/usr/bin/env node
// Management API benchmark against a running platform (`npm start` in another terminal). Not a test: it reports
// the figures of issue 6 and SPEC.md §10 "API", on a warm database holding 10,000 assets in one space:
//   - GET of an asset and of a batch: p50 < 10 ms (sequential requests);
//   - a page of 100 from an asset list: p50 < 30 ms;
//   - a 500-member batch accepted in < 1 s;
//   - bulk PATCH of 500 members (PATCH C/allImages) < 1 s; POST C/deleteImages of 500 < 2 s;
//   - 64 concurrent clients GETting assets: ≥ 1,000 requests/s with p99 < 150 ms.
// Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/api.mjs [--assets 10000] [--gets 500] [--seconds 10] [--concurrency 64]
//
// The assets point at an origin on 127.0.0.1 that answers 404 at once, so their ingest ends fast (in error) and
// leaves no derivatives; the 10,000 are kept between runs (space "api-bench"), so later runs start warm.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const ASSETS = opt('assets', 10_000);
const GETS = opt('gets', 500);
const SECONDS = opt('seconds', 10);
const CONCURRENCY = opt('concurrency', 64);
const apiUrl = process.env.VELLUM_API_URL ?? 'http://127.0.0.1:3000';
const creds = process.env.VELLUM_ADMIN_KEY
  ? { key: process.env.VELLUM_ADMIN_KEY, secret: process.env.VELLUM_ADMIN_SECRET }
  : JSON.parse(fs.readFileSync(path.join(ROOT, '.vellum', 'admin-credentials.json'), 'utf8'));
const headers = {
  authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString('base64')}`,
  'content-type': 'application/json',
};
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 4 });

/** One request over a keep-alive agent; resolves `{ status, body, ms }`. */
function api(method, p, body) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${apiUrl}${p}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, body: json, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const must = (r, status, what) => {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)?.slice(0, 400)}`);
  return r.body;
};
const pct = (xs, p) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const results = [];
function report(label, value, unit, target, ok) {
  results.push({ label, value, unit, target, ok });
  console.log(`  ${ok ? '✓' : '✗'} ${label}: ${value} ${unit} (target ${target})`);
}

async function sequential(label, p, target) {
  for (let i = 0; i < 20; i++) await api('GET', p);
  const ms = [];
  for (let i = 0; i < GETS; i++) {
    const r = await api('GET', p);
    must(r, 200, p);
    ms.push(r.ms);
  }
  const p50 = pct(ms, 50);
  report(
    `${label} p50 (p99 ${pct(ms, 99).toFixed(1)} ms)`,
    p50.toFixed(2),
    'ms',
    `< ${target} ms`,
    p50 < target,
  );
}

async function waitBatches(customer, ids, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (const id of ids) {
    for (;;) {
      const b = must(await api('GET', `/customers/${customer}/queue/batches/${id}`), 200, 'batch');
      if (b.finished) break;
      if (Date.now() > deadline) throw new Error(`batch ${id} not finished within ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const origin404 = http.createServer((_req, res) => res.writeHead(404).end());
await new Promise((r) => origin404.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${origin404.address().port}/missing.jpg`;

async function findOrCreate(listPath, createPath, name, body) {
  const list = must(await api('GET', `${listPath}?pageSize=500`), 200, listPath);
  const found = list.member.find((m) => m.name === name);
  if (found) return found.id;
  return must(await api('POST', createPath, body), 201, createPath).id;
}

async function submit(customer, space, ids) {
  const member = ids.map((id, i) => ({
    id,
    space,
    origin,
    mediaType: 'image/jpeg',
    number1: i,
    string1: 'bench',
  }));
  const r = await api('POST', `/customers/${customer}/queue`, { '@type': 'Collection', member });
  return { batch: must(r, 201, 'queue'), ms: r.ms };
}

const customer = await findOrCreate('/customers', '/customers', 'bench', {
  name: 'bench',
  displayName: 'Benchmarks',
});
const space = await findOrCreate(
  `/customers/${customer}/spaces`,
  `/customers/${customer}/spaces`,
  'api-bench',
  {
    name: 'api-bench',
  },
);

// 1. The warm database: top the space up to ASSETS assets, 500 per batch.
const have = must(
  await api('GET', `/customers/${customer}/spaces/${space}/images?pageSize=1`),
  200,
  'list',
).totalItems;
console.log(`Space ${space} holds ${have} assets; target ${ASSETS}.`);
const accept = [];
const seeded = [];
for (let n = have; n < ASSETS; n += 500) {
  const ids = Array.from({ length: Math.min(500, ASSETS - n) }, (_, i) => `bench-${n + i}`);
  const { batch, ms } = await submit(customer, space, ids);
  accept.push(ms);
  seeded.push(batch.id);
}
if (seeded.length) {
  console.log(`Waiting for ${seeded.length} batches to finish...`);
  await waitBatches(customer, seeded, 30 * 60_000);
}

console.log('Writes:');
{
  const { batch, ms } = await submit(
    customer,
    space,
    Array.from({ length: 500 }, (_, i) => `bench-${i}`),
  );
  accept.push(ms);
  await waitBatches(customer, [batch.id], 10 * 60_000);
  const median = pct(accept, 50);
  report(
    `500-member batch accepted (median of ${accept.length})`,
    median.toFixed(0),
    'ms',
    '< 1000 ms',
    median < 1000,
  );
}
{
  const member = Array.from({ length: 500 }, (_, i) => ({ id: `${customer}/${space}/bench-${i}` }));
  const times = [];
  for (let round = 0; round < 3; round++) {
    const r = await api('PATCH', `/customers/${customer}/allImages`, {
      field: 'tags',
      operation: round === 1 ? 'remove' : 'add',
      value: ['bench-tag'],
      member,
    });
    must(r, 200, 'PATCH allImages');
    times.push(r.ms);
  }
  const median = pct(times, 50);
  report('bulk PATCH of 500 members (median of 3)', median.toFixed(0), 'ms', '< 1000 ms', median < 1000);
}
{
  const del = await findOrCreate(
    `/customers/${customer}/spaces`,
    `/customers/${customer}/spaces`,
    'api-bench-delete',
    {
      name: 'api-bench-delete',
    },
  );
  const times = [];
  for (let round = 0; round < 2; round++) {
    const ids = Array.from({ length: 500 }, (_, i) => `del-${round}-${i}`);
    const { batch } = await submit(customer, del, ids);
    await waitBatches(customer, [batch.id], 10 * 60_000);
    const r = await api('POST', `/customers/${customer}/deleteImages`, {
      '@type': 'Collection',
      member: ids.map((id) => ({ id: `${customer}/${del}/${id}` })),
    });
    must(r, 200, 'deleteImages');
    times.push(r.ms);
  }
  const worst = Math.max(...times);
  report('deleteImages of 500 (worst of 2)', worst.toFixed(0), 'ms', '< 2000 ms', worst < 2000);
}

console.log('Reads (warm):');
const assetPath = `/customers/${customer}/spaces/${space}/images/bench-1234`;
await sequential('GET asset', assetPath, 10);
const batches = must(await api('GET', `/customers/${customer}/queue/batches?pageSize=1`), 200, 'batches');
await sequential('GET batch', new URL(batches.member[0]['@id']).pathname, 10);
{
  const ms = [];
  const pages = Math.ceil(ASSETS / 100);
  for (let i = 0; i < 200; i++) {
    const page = 1 + (i % pages);
    const r = await api('GET', `/customers/${customer}/spaces/${space}/images?pageSize=100&page=${page}`);
    must(r, 200, 'list page');
    ms.push(r.ms);
  }
  const p50 = pct(ms, 50);
  report(
    `a page of 100 from an asset list p50 (p99 ${pct(ms, 99).toFixed(1)} ms)`,
    p50.toFixed(2),
    'ms',
    '< 30 ms',
    p50 < 30,
  );
}

console.log(`Concurrency: ${CONCURRENCY} clients for ${SECONDS} s, GET of 1,000 different assets:`);
{
  const lat = [];
  let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const r = await api(
          'GET',
          `/customers/${customer}/spaces/${space}/images/bench-${(n++ * 7919) % 1000}`,
        );
        if (r.status !== 200) errors++;
        lat.push(r.ms);
      }
    }),
  );
  const rps = lat.length / ((performance.now() - started) / 1000);
  const p99 = pct(lat, 99);
  report(
    `GET asset throughput (p50 ${pct(lat, 50).toFixed(1)} ms, ${errors} non-200)`,
    rps.toFixed(0),
    'requests/s',
    '≥ 1000',
    rps >= 1000 && errors === 0,
  );
  report('GET asset p99 under load', p99.toFixed(1), 'ms', '< 150 ms', p99 < 150);
}

origin404.close();
agent.destroy();
const failed = results.filter((r) => !r.ok).length;
console.log(failed ? `${failed} of ${results.length} targets missed.` : `All ${results.length} targets met.`);
