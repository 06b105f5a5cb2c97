#!/usr/bin/env node
// Ingest benchmark against a running platform (`npm start` in another terminal). Not a test: it reports
// figures. Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/ingest.mjs [--puts N] [--batch N] [--file photo-large.jpg]
//
// 1. Immediate registration: N sequential PUTs of the same fixture (distinct ids); prints each PUT → 201 time
//    in milliseconds and the median.
// 2. Queued registration: one batch of N members of the fixture; prints the time from POST to `finished`
//    and images/s.
// Credentials: VELLUM_ADMIN_KEY/VELLUM_ADMIN_SECRET, else .vellum/admin-credentials.json (written by npm start).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const puts = Number(opt('puts', 5));
const batchSize = Number(opt('batch', 20));
const file = opt('file', 'photo-large.jpg');
const apiUrl = process.env.VELLUM_API_URL ?? 'http://127.0.0.1:3000';
const credsFile = path.join(ROOT, '.vellum', 'admin-credentials.json');
const creds = process.env.VELLUM_ADMIN_KEY
  ? { key: process.env.VELLUM_ADMIN_KEY, secret: process.env.VELLUM_ADMIN_SECRET }
  : JSON.parse(fs.readFileSync(credsFile, 'utf8'));
const headers = {
  authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString('base64')}`,
  'content-type': 'application/json',
};
const mediaTypes = { jpg: 'image/jpeg', png: 'image/png', tif: 'image/tiff', jp2: 'image/jp2' };
const mediaType = mediaTypes[file.split('.').pop()];

async function api(method, p, body) {
  const res = await fetch(`${apiUrl}${p}`, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

const fixture = path.join(ROOT, 'fixtures', file);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-length': fs.statSync(fixture).size });
  fs.createReadStream(fixture).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}/${file}`;

let c = await api('POST', '/customers', { name: 'bench', displayName: 'Benchmarks' });
if (c.status === 409)
  c = { body: (await api('GET', '/customers?pageSize=500')).body.member.find((m) => m.name === 'bench') };
const customer = c.body.id;
let s = await api('POST', `/customers/${customer}/spaces`, { name: `bench-${Date.now()}` });
const space = s.body.id;
const run = Date.now().toString(36);

console.log(`Immediate registration: ${puts} × PUT of ${file} (customer ${customer}, space ${space})`);
const times = [];
for (let i = 0; i < puts; i++) {
  const t = performance.now();
  const r = await api('PUT', `/customers/${customer}/spaces/${space}/images/put-${run}-${i}`, {
    origin,
    mediaType,
  });
  const ms = performance.now() - t;
  times.push(ms);
  console.log(
    `  PUT ${i + 1}: ${r.status} in ${ms.toFixed(0)} ms${r.body?.error ? ` (error: ${r.body.error})` : ''}`,
  );
}
times.sort((a, b) => a - b);
console.log(
  `  median PUT → ${201}: ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms`,
);

console.log(`Queued registration: one batch of ${batchSize} × ${file}`);
const t0 = performance.now();
const b = await api('POST', `/customers/${customer}/queue`, {
  '@type': 'Collection',
  member: Array.from({ length: batchSize }, (_, i) => ({
    id: `batch-${run}-${i}`,
    space,
    origin,
    mediaType,
  })),
});
const accepted = performance.now() - t0;
if (b.status !== 201) throw new Error(`queue answered ${b.status}: ${JSON.stringify(b.body)}`);
const batchPath = new URL(b.body['@id']).pathname;
let state = b.body;
while (!state.finished) {
  await new Promise((r) => setTimeout(r, 250));
  state = (await api('GET', batchPath)).body;
}
const total = performance.now() - t0;
console.log(
  `  accepted in ${accepted.toFixed(0)} ms; finished in ${(total / 1000).toFixed(2)} s: ${state.completed} completed, ${state.errors} errors, ${(batchSize / (total / 1000)).toFixed(2)} images/s`,
);
server.close();
