#!/usr/bin/env node
// Authentication benchmark (SPEC.md §10 Security; issue 5): the timing oracle and scrypt amplification. Not a
// test. It starts its own api-gateway on 127.0.0.1 (built dist/main.js) against a fresh database and RabbitMQ
// vhost from @vellum/testing, with the verified-key cache off, and reports:
//   1. p50/p90 of 401 answers for an unknown key vs a known key with a wrong secret (sequential requests);
//   2. the latency of valid uncached requests while 100 concurrent wrong-secret requests are in flight.
//
//   node scripts/bench/auth.mjs [--gateway apps/api-gateway/dist/main.js] [--samples 40]
//
// `--gateway` lets the same script measure another build (e.g. an older checkout) for before/after figures.
// Traffic goes only to 127.0.0.1.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const gatewayMain = path.resolve(opt('gateway', path.join(ROOT, 'apps/api-gateway/dist/main.js')));
const samples = Number(opt('samples', 40));
const testing = await import(path.join(ROOT, 'packages/testing/dist/index.js'));

const [db, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
let base;
let child;
/** Starts the gateway (cache off) with extra env; stops the previous one. */
async function startGateway(extra) {
  if (child) await stopGateway();
  const port = await testing.freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [gatewayMain], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_API_URL: base,
      VELLUM_AUTH_CACHE_TTL_MS: '0',
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await testing.waitFor(async () => (await fetch(`${base}/health/live`).catch(() => undefined))?.ok, {
    timeoutMs: 60_000,
    description: 'gateway up',
  });
}
async function stopGateway() {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  child = undefined;
}
const basic = (pair) => `Basic ${Buffer.from(pair).toString('base64')}`;
/**
 * One request to the gateway on 127.0.0.1; `from` picks the loopback source address (127.0.0.2 plays another
 * client, so the per-address limiter sees two clients; the destination is always 127.0.0.1).
 */
const call = (method, p, pair, from = '127.0.0.1') =>
  new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request(
      `${base}${p}`,
      { method, localAddress: from, agent: false, headers: pair ? { authorization: basic(pair) } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
const pct = (xs, p) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms`;
const counts = (rs) => {
  const by = new Map();
  for (const r of rs) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  return [...by].map(([s, n]) => `${n}×${s}`).join(', ');
};

try {
  // 1. Timing oracle, with the failure limiter off (it would answer 429 after 10 failures from this address).
  await startGateway({ VELLUM_AUTH_FAILURES_PER_ADDRESS: '0', VELLUM_AUTH_FAILURES_PER_KEY: '0' });
  const setup = JSON.parse((await call('POST', '/setup')).body);
  const admin = `${setup.key}:${setup.secret}`;
  console.log(`Timing oracle: ${samples} sequential 401s of each kind, alternating (cache and limiter off)`);
  const times = { unknown: [], wrong: [] };
  for (let i = 0; i < samples; i++) {
    times.unknown.push((await call('GET', '/customers', `no-such-key-${i}:wrong-secret`)).ms);
    times.wrong.push((await call('GET', '/customers', `${setup.key}:wrong-secret-${i}`)).ms);
  }
  console.log(`  unknown key          : ${fmt(times.unknown)}`);
  console.log(`  known key, bad secret: ${fmt(times.wrong)}`);

  // 2. Amplification: a valid uncached request while 100 concurrent wrong secrets are in flight, with the
  // gateway's default limits (per-address limiter and hash gate).
  await startGateway({});
  console.log(
    'Valid uncached key (from 127.0.0.1) while 100 concurrent wrong-secret requests (from 127.0.0.2) are in flight (default limits)',
  );
  const valid = [];
  for (let i = 0; i < 5; i++) {
    const flood = Array.from({ length: 100 }, (_, j) =>
      call('GET', '/customers', `${setup.key}:bad-${i}-${j}`, '127.0.0.2'),
    );
    const v = await call('GET', '/customers', admin);
    const results = await Promise.all(flood);
    valid.push(v.ms);
    console.log(
      `  round ${i + 1}: valid key → ${v.status} in ${v.ms.toFixed(0)} ms; flood ${counts(results)}`,
    );
  }
  console.log(`  valid key: ${fmt(valid)}`);
} finally {
  if (child) await stopGateway();
  await Promise.all([db.drop(), vhost.drop()]);
}
