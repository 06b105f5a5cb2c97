#!/usr/bin/env node
// Management API benchmark against a running platform (`npm start` in another terminal). Not a test: it
// reports figures for SPEC.md §10 "API": GET of an asset or a batch under 10 ms p50 on a warm database, and a
// 500-member batch accepted in under 1 s. Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/api.mjs [--gets 500] [--batches 3]
//
// The queued members point at an origin on 127.0.0.1 that answers 404 at once, so the batches finish fast with
// errors and leave no derivatives behind.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const gets = opt('gets', 500);
const batches = opt('batches', 3);
const apiUrl = process.env.VELLUM_API_URL ?? 'http://127.0.0.1:3000';
const creds = process.env.VELLUM_ADMIN_KEY
  ? { key: process.env.VELLUM_ADMIN_KEY, secret: process.env.VELLUM_ADMIN_SECRET }
  : JSON.parse(fs.readFileSync(path.join(ROOT, '.vellum', 'admin-credentials.json'), 'utf8'));
const headers = {
  authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString('base64')}`,
  'content-type': 'application/json',
};
const api = async (method, p, body) => {
  const res = await fetch(`${apiUrl}${p}`, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
};
const pct = (xs, p) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function timeGets(label, p) {
  for (let i = 0; i < 20; i++) await api('GET', p); // warm up
  const ms = [];
  for (let i = 0; i < gets; i++) {
    const t = performance.now();
    const r = await api('GET', p);
    ms.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`${p} answered ${r.status}`);
  }
  console.log(
    `  GET ${label}: p50 ${pct(ms, 50).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms (${gets} sequential requests)`,
  );
}

const origin404 = http.createServer((_req, res) => res.writeHead(404).end());
await new Promise((r) => origin404.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${origin404.address().port}/missing.jpg`;

let c = await api('POST', '/customers', { name: 'bench', displayName: 'Benchmarks' });
if (c.status === 409)
  c = { body: (await api('GET', '/customers?pageSize=500')).body.member.find((m) => m.name === 'bench') };
const customer = c.body.id;
const space = (await api('POST', `/customers/${customer}/spaces`, { name: `api-bench-${Date.now()}` })).body
  .id;
const run = Date.now().toString(36);

console.log(`Queue: ${batches} × POST of a 500-member batch`);
let lastBatch;
for (let b = 0; b < batches; b++) {
  const member = Array.from({ length: 500 }, (_, i) => ({
    id: `api-${run}-${b}-${i}`,
    space,
    origin,
    mediaType: 'image/jpeg',
    number1: i,
  }));
  const t = performance.now();
  const r = await api('POST', `/customers/${customer}/queue`, { '@type': 'Collection', member });
  const ms = performance.now() - t;
  if (r.status !== 201) throw new Error(`queue answered ${r.status}: ${JSON.stringify(r.body)}`);
  lastBatch = r.body;
  console.log(`  batch ${b + 1}: 201 in ${ms.toFixed(0)} ms`);
}
const batchPath = new URL(lastBatch['@id']).pathname;
const assetPath = `/customers/${customer}/spaces/${space}/images/api-${run}-0-0`;
console.log('Reads (warm):');
await timeGets('asset', assetPath);
await timeGets('batch', batchPath);
origin404.close();
