#!/usr/bin/env node
// Batch ingest benchmark at scale against a running platform (`npm start` in another terminal). Not a test: it
// reports the figures of SPEC.md §10 "Ingest" with ✓/✗ against their targets. Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/batches.mjs [--images 1000] [--concurrency N] [--bare before|after|skip] [--bare-images N]
//                                  [--put-every 5] [--timeout-min M] [--stall-s 300] [--keep]
//
// 1. Sources: 24-megapixel (6000×4000) JPEGs made once with sharp from the repository's fixtures (crops, flips,
//    upscales, with a fixed film grain so they compress like camera files) into .vellum/bench/, reused later.
//    A loopback origin (node:http, 127.0.0.1, random port) serves them: every member has its own URL
//    `/img/<n>.jpg`, mapped to one of the sources.
// 2. The bare pipeline (`--bare before`, the default; `after`; `skip`): scripts/bench/image-pipeline.mjs runs the
//    image-processor's ImagePipelineService from apps/image-processor/dist on the same sources, `--concurrency`
//    jobs at once (default: what the running processor is configured with, read as its consumer prefetch from
//    `rabbitmqctl list_consumers` in AMQP_URL's vhost; else IMAGE_PROCESSOR_CONCURRENCY, else 2), no broker,
//    database or object store: images/s and CPU per image.
// 3. Two customers, `bench-a` and `bench-b` (found or created, each with a space `batches`), each POST one batch
//    of half the images (`--images 1000` = two batches of 500, the API's maximum) at the same moment. While they
//    run the script
//      - reads both batches every second and checks "batch status exact at every read": completed + errors +
//        cancelled never exceeds count, no counter ever decreases, `finished` is set exactly when they add up;
//        every 10 s it also lists the members between two batch reads and checks the counters bracket the
//        members' own outcomes (batch read 1 ≤ finished members ≤ batch read 2), and every 5 s the same with
//        the customer's queue counters (`GET C/queue` imagesWaiting between the members left at two reads);
//      - every `--put-every` seconds (0 = never) PUTs a new 24 MP asset (immediate registration, priority lane)
//        and records the time to its 201: target < 3 s.
// 4. Reports images/s end to end (from the two POSTs to the last member's `finished`), per-image latency p50/p99
//    (from the POSTs to each asset's `finished` timestamp), each customer's batch completion time and their ratio
//    (target: within 20 %), the worst PUT time, the bare pipeline's images/s and the ratio end-to-end / bare
//    (target ≥ 80 %). With the image-processor's /metrics reachable (VELLUM_IMAGE_PROCESSOR_PORT, default 3004),
//    also how busy its `--concurrency` slots were (job seconds / window / concurrency). On Linux, also the CPU each
//    service spent per image (the processes listening on the VELLUM_*_PORT ports of scripts/start.mjs, so run it with
//    the same port variables as `npm start`), and the ratio's CPU-bound ceiling: bare CPU / the services' CPU per
//    image, a figure that a busy machine disturbs far less than the wall-clock ratio.
// 5. Deletes the run's assets (`--keep` keeps them).
//
// Credentials: VELLUM_ADMIN_KEY/VELLUM_ADMIN_SECRET, else .vellum/admin-credentials.json (written by npm start).
// VELLUM_API_URL (default http://127.0.0.1:3000) must name a loopback host. Exit status: 0 every target met,
// 1 a target missed, 2 the run could not complete (the message says why).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, STATE_DIR } from '../lib.mjs';

// ---------------------------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const has = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const intOpt = (name, dflt, min, max) => {
  const raw = opt(name, undefined);
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    die(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return v;
};

const IMAGES = intOpt('images', 1000, 2, 1000);
if (IMAGES % 2) die(`--images must be even (two customers, one batch of half each), got ${IMAGES}`);
const HALF = IMAGES / 2;
const CONCURRENCY_FROM = { source: '' };
const CONCURRENCY = intOpt('concurrency', processorConcurrency(), 1, 64);
const BARE = opt('bare', 'before');
if (!['before', 'after', 'skip'].includes(BARE)) die(`--bare must be before, after or skip, got ${BARE}`);
const BARE_IMAGES = intOpt('bare-images', IMAGES, 1, 10_000);
const PUT_EVERY_S = intOpt('put-every', 5, 0, 3600);
// Generous: ~3 s per image on one core, never under 10 minutes.
const TIMEOUT_MIN = intOpt('timeout-min', Math.max(10, Math.ceil((IMAGES * 3) / 60)), 1, 24 * 60);
const STALL_S = intOpt('stall-s', 300, 10, 24 * 3600);
const KEEP = has('keep');

const apiUrl = process.env.VELLUM_API_URL ?? 'http://127.0.0.1:3000';
const processorMetricsUrl = `http://127.0.0.1:${process.env.VELLUM_IMAGE_PROCESSOR_PORT ?? 3004}/metrics`;
{
  const host = new URL(apiUrl).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host))
    die(`VELLUM_API_URL must point at this machine (127.0.0.1 or localhost), got ${apiUrl}`);
}

const TARGETS = { putMs: 3000, fairness: 1.2, ratio: 0.8 };
const WIDTH = 6000;
const HEIGHT = 4000;
const REQUEST_TIMEOUT_MS = 30_000;
const PUT_TIMEOUT_MS = 60_000;

/**
 * What the running image-processor is configured for: `--concurrency`, else the prefetch of its consumers of
 * `image.derivatives.create.v1` as `rabbitmqctl list_consumers` reports them in AMQP_URL's vhost (the sum over
 * replicas: IMAGE_PROCESSOR_CONCURRENCY is the prefetch), else IMAGE_PROCESSOR_CONCURRENCY, else 2 (its default).
 */
function processorConcurrency() {
  if (argv.includes('--concurrency')) return undefined; // intOpt reads the flag
  let vhost = '/';
  try {
    const u = new URL(process.env.AMQP_URL ?? 'amqp://127.0.0.1');
    if (u.pathname.length > 1) vhost = decodeURIComponent(u.pathname.slice(1));
  } catch {
    /* default vhost */
  }
  const r = spawnSync(
    'rabbitmqctl',
    ['list_consumers', '-q', '-p', vhost, '--no-table-headers', 'queue_name', 'prefetch_count'],
    { encoding: 'utf8', timeout: 15_000 },
  );
  if (r.status === 0) {
    const prefetch = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([q]) => q === 'image-processor.image.derivatives.create.v1')
      .reduce((t, [, n]) => t + Number(n), 0);
    if (prefetch > 0) {
      CONCURRENCY_FROM.source = `the processor's consumer prefetch in vhost ${vhost}`;
      return prefetch;
    }
  }
  CONCURRENCY_FROM.source = process.env.IMAGE_PROCESSOR_CONCURRENCY
    ? 'IMAGE_PROCESSOR_CONCURRENCY'
    : "the processor's default (rabbitmqctl could not tell; pass --concurrency)";
  return Number(process.env.IMAGE_PROCESSOR_CONCURRENCY ?? 2);
}

function die(msg, code = 2) {
  console.error(`✗ ${msg}`);
  process.exit(code);
}

// ---------------------------------------------------------------------------------------------------------------
// The management API

function credentials() {
  if (process.env.VELLUM_ADMIN_KEY && process.env.VELLUM_ADMIN_SECRET)
    return { key: process.env.VELLUM_ADMIN_KEY, secret: process.env.VELLUM_ADMIN_SECRET };
  const file = path.join(STATE_DIR, 'admin-credentials.json');
  if (!fs.existsSync(file))
    die(`no credentials: set VELLUM_ADMIN_KEY/VELLUM_ADMIN_SECRET or run "npm start" (it writes ${file})`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
const creds = credentials();
const headers = {
  authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString('base64')}`,
  'content-type': 'application/json',
};

/**
 * One API request with a deadline; resolves `{ status, body, ms }` (body parsed JSON or undefined).
 * @throws Error naming the request when the API cannot be reached or does not answer within `timeoutMs`.
 */
async function api(method, p, body, timeoutMs = REQUEST_TIMEOUT_MS) {
  const started = performance.now();
  let res;
  try {
    res = await fetch(`${apiUrl}${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : `${err.cause?.code ?? err.message} (is the platform running? VELLUM_API_URL=${apiUrl})`;
    throw new Error(`${method} ${p}: ${why}`);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, ms: performance.now() - started };
}
const must = (r, status, what) => {
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)?.slice(0, 400)}`);
  return r.body;
};

/**
 * A GET that must answer 200, tried up to 3 times over a few seconds when the API is unreachable, slow or answers
 * 5xx (a long run should not end on one hiccup); resolves the body.
 * @throws Error naming the request after the last try, or at once for any 4xx.
 */
async function get(p) {
  for (let attempt = 1; ; attempt++) {
    let r;
    try {
      r = await api('GET', p);
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((res) => setTimeout(res, 1000 * attempt));
      continue;
    }
    if (r.status === 200) return r.body;
    if (r.status < 500 || attempt >= 3) return must(r, 200, `GET ${p}`);
    await new Promise((res) => setTimeout(res, 1000 * attempt));
  }
}

async function findOrCreate(listPath, name, body) {
  const list = must(await api('GET', `${listPath}?pageSize=500`), 200, `GET ${listPath}`);
  const found = list.member.find((m) => m.name === name);
  if (found) return found.id;
  return must(await api('POST', listPath, body), 201, `POST ${listPath}`).id;
}

// ---------------------------------------------------------------------------------------------------------------
// Sources: 24 MP JPEGs made once

const CACHE_DIR = path.join(STATE_DIR, 'bench', `batches-${WIDTH}x${HEIGHT}-v1`);
const FIXTURES_DIR = path.join(ROOT, 'fixtures');
/** One source each: a fixture, how to frame it at 6000×4000. Twelve distinct images. */
const RECIPES = [
  { from: 'photo-large.jpg', position: 'left' },
  { from: 'photo-large.jpg', position: 'centre' },
  { from: 'photo-large.jpg', position: 'right' },
  { from: 'photo-large.jpg', position: 'centre', flop: true },
  { from: 'photo-large.jpg', position: 'left', flip: true },
  { from: 'photo-large.jpg', position: 'right', flip: true, flop: true },
  { from: 'exif-orientation-6.jpg', position: 'centre' },
  { from: 'tiff-lzw.tif', position: 'centre' },
  { from: 'cmyk.jpg', position: 'centre' },
  { from: 'grayscale.png', position: 'centre' },
  { from: 'png-alpha.png', position: 'centre' },
  { from: '67352ccc-d1b0-11e1-89ae-279075081939.png', position: 'centre' },
];

/** Returns the absolute paths of the sources, making them (about a minute, once) when the cache is missing. */
async function prepareSources() {
  const manifestFile = path.join(CACHE_DIR, 'manifest.json');
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const files = m.files.map((f) => path.join(CACHE_DIR, f.name));
    if (
      m.files.length === RECIPES.length &&
      m.files.every((f, i) => fs.existsSync(files[i]) && fs.statSync(files[i]).size === f.bytes)
    )
      return files;
  } catch {
    /* absent or stale: make them */
  }
  const require = createRequire(path.join(ROOT, 'apps', 'image-processor', 'package.json'));
  let sharp;
  try {
    sharp = require('sharp');
  } catch (err) {
    die(`cannot load sharp from apps/image-processor (run "pnpm install"): ${err.message}`);
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  console.log(
    `Making ${RECIPES.length} sources of ${WIDTH}×${HEIGHT} in ${path.relative(ROOT, CACHE_DIR)} (once)…`,
  );
  // A fixed grain (seeded by libvips' own noise generator; same for every source), blended soft-light.
  const grain = await sharp({
    create: {
      width: WIDTH,
      height: HEIGHT,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 8 },
    },
  })
    .raw()
    .toBuffer();
  const out = [];
  for (const [i, r] of RECIPES.entries()) {
    const src = path.join(FIXTURES_DIR, r.from);
    if (!fs.existsSync(src)) die(`fixture ${r.from} not found in ${FIXTURES_DIR}`);
    const name = `src-${String(i).padStart(2, '0')}.jpg`;
    const file = path.join(CACHE_DIR, name);
    const framed = await sharp(src)
      .rotate()
      .flip(Boolean(r.flip))
      .flop(Boolean(r.flop))
      .resize(WIDTH, HEIGHT, { fit: 'cover', position: r.position })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (framed.info.channels !== 3) die(`source ${r.from} gave ${framed.info.channels} bands, expected 3`);
    const info = await sharp(framed.data, { raw: framed.info })
      .composite([{ input: grain, raw: { width: WIDTH, height: HEIGHT, channels: 3 }, blend: 'soft-light' }])
      .jpeg({ quality: 90 })
      .toFile(file);
    out.push({ name, from: r.from, bytes: fs.statSync(file).size, width: info.width, height: info.height });
    console.log(`  ${name} ← ${r.from}: ${(out.at(-1).bytes / 1e6).toFixed(1)} MB`);
  }
  fs.writeFileSync(manifestFile, JSON.stringify({ width: WIDTH, height: HEIGHT, files: out }, null, 2));
  return out.map((f) => path.join(CACHE_DIR, f.name));
}

// ---------------------------------------------------------------------------------------------------------------
// The loopback origin

/** Serves `/img/<n>.jpg` (member n: customer A 0..HALF-1, B HALF..) and `/put/<k>.jpg` from memory. */
function startOrigin(sourceFiles) {
  const bodies = sourceFiles.map((f) => fs.readFileSync(f));
  const served = { img: 0, put: 0 };
  const server = http.createServer((req, res) => {
    const m = /^\/(img|put)\/(\d+)\.jpg$/.exec(req.url ?? '');
    if (!m || req.method !== 'GET') {
      res.writeHead(404).end('not found');
      return;
    }
    const n = Number(m[2]);
    // Both customers get the same mix: member i of either batch is source i mod S.
    const body = bodies[(m[1] === 'img' ? n % HALF : n) % bodies.length];
    served[m[1]]++;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, served, base: `http://127.0.0.1:${server.address().port}` }),
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The bare pipeline (a child process, like the processor itself)

let bareChild;
function runBare(sourceFiles) {
  const timeoutMs = BARE_IMAGES * 30_000 + 60_000;
  return new Promise((resolve, reject) => {
    const args = [
      path.join(ROOT, 'scripts', 'bench', 'image-pipeline.mjs'),
      '--json',
      '--concurrency',
      String(CONCURRENCY),
      '--images',
      String(BARE_IMAGES),
      ...sourceFiles,
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    bareChild = child;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`the bare pipeline did not finish ${BARE_IMAGES} images within ${timeoutMs / 1000} s`),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      bareChild = undefined;
      const line = out.trim().split('\n').at(-1);
      let summary;
      try {
        summary = JSON.parse(line);
      } catch {
        /* reported below */
      }
      if (summary && !summary.errors.length) resolve(summary);
      else
        reject(
          new Error(
            `the bare pipeline failed (exit ${code ?? signal}): ${summary?.errors.join('; ') || err.trim().slice(-800) || out.slice(-400)}`,
          ),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Processor metrics (optional): job seconds, to tell how busy the processor was

async function processorJobSeconds() {
  try {
    const res = await fetch(processorMetricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    let sum = 0;
    let count = 0;
    for (const line of text.split('\n')) {
      const m = /^vellum_image_derivatives_duration_seconds_(sum|count)\{[^}]*\} ([\d.eE+-]+)$/.exec(line);
      if (m && m[1] === 'sum') sum += Number(m[2]);
      if (m && m[1] === 'count') count += Number(m[2]);
    }
    return { sum, count };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CPU per service (Linux /proc; optional): where the cores went during the run

const SERVICE_PORTS = [
  ['api-gateway', 'VELLUM_API_PORT', Number(new URL(apiUrl).port || 80)],
  ['iiif-delivery', 'VELLUM_DELIVERY_PORT', 3001],
  ['auth-service', 'VELLUM_AUTH_PORT', 3002],
  ['ingest-orchestrator', 'VELLUM_ORCHESTRATOR_PORT', 3003],
  ['image-processor', 'VELLUM_IMAGE_PROCESSOR_PORT', 3004],
  ['av-transcoder', 'VELLUM_AV_TRANSCODER_PORT', 3005],
].map(([name, v, port]) => ({ name, port: Number(process.env[v] ?? port) }));
const CLK_TCK = 100; // USER_HZ: the unit of /proc/<pid>/stat times on Linux.

/** The pids of the processes listening on the services' ports (by socket inode); {} where /proc is unreadable. */
function servicePids() {
  try {
    const inodes = new Map();
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!fs.existsSync(f)) continue;
      for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10 || cols[3] !== '0A') continue; // LISTEN
        const port = parseInt(cols[1].split(':').pop(), 16);
        const svc = SERVICE_PORTS.find((s) => s.port === port);
        if (svc) inodes.set(cols[9], svc.name);
      }
    }
    const pids = {};
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let fds;
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link;
        try {
          link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) pids[inodes.get(m[1])] = Number(pid);
      }
    }
    return pids;
  } catch {
    return {};
  }
}

/** CPU seconds (user + system) of a pid so far, or undefined. */
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds per service, plus per-pid CPU of every postgres and RabbitMQ process on the machine (shared with
 * others' work, and a process that exits in the window is lost: approximate).
 */
function cpuSnapshot(pids) {
  const snap = {};
  for (const [name, pid] of Object.entries(pids)) snap[name] = cpuOf(pid);
  const groups = { postgres: 'postgres (machine)', 'beam.smp': 'rabbitmq (machine)' };
  for (const label of Object.values(groups)) snap[label] = {};
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const label = groups[fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()];
      if (label) snap[label][pid] = cpuOf(pid) ?? 0;
    } catch {
      /* gone */
    }
  }
  return snap;
}

/** CPU seconds spent between two snapshots, by name (a process born in between counts from its start). */
function cpuDelta(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === 'number') out[k] = v - (a[k] ?? v);
    else if (v) out[k] = Object.entries(v).reduce((t, [pid, s]) => t + s - (a[k]?.[pid] ?? 0), 0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

const pct = (xs, p) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const results = [];
function report(label, value, unit, target, ok) {
  results.push({ label, ok });
  const mark = ok === undefined ? ' ' : ok ? '✓' : '✗';
  console.log(`  ${mark} ${label}: ${value}${unit ? ` ${unit}` : ''}${target ? ` (target ${target})` : ''}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// The run

/** Counters a batch read must keep (SPEC.md §3.3 "Progress must be exact at all times"). */
class BatchWatch {
  constructor(name, customer, space, batch) {
    this.name = name;
    this.customer = customer;
    this.space = space;
    this.path = new URL(batch['@id']).pathname;
    this.count = batch.count;
    this.last = { completed: 0, errors: 0, cancelled: 0 };
    this.reads = 0;
    this.crossChecks = 0;
    this.queueChecks = 0;
    this.queueNotes = new Set();
    this.violations = [];
    this.finished = undefined;
    this.state = batch;
    this.lastChange = Date.now();
  }

  /** Checks one read; returns it. */
  check(b, when) {
    this.reads++;
    const c = { completed: b.completed ?? 0, errors: b.errors ?? 0, cancelled: b.cancelled ?? 0 };
    const sum = c.completed + c.errors + c.cancelled;
    const v = (msg) => this.violations.push(`${this.name} read ${this.reads} (${when}): ${msg}`);
    if (b.count !== this.count) v(`count changed from ${this.count} to ${b.count}`);
    if (sum > this.count)
      v(`completed ${c.completed} + errors ${c.errors} + cancelled ${c.cancelled} > count ${this.count}`);
    for (const k of ['completed', 'errors', 'cancelled'])
      if (c[k] < this.last[k]) v(`${k} decreased from ${this.last[k]} to ${c[k]}`);
    if (b.finished && sum !== this.count)
      v(`finished is set but the counters add up to ${sum} of ${this.count}`);
    if (!b.finished && sum === this.count)
      v(`the counters add up to count ${this.count} but finished is not set`);
    if (this.state.finished && !b.finished) v('finished was set and is gone');
    if (this.state.finished && b.finished && b.finished !== this.state.finished)
      v(`finished changed from ${this.state.finished} to ${b.finished}`);
    if (sum !== this.last.completed + this.last.errors + this.last.cancelled) this.lastChange = Date.now();
    this.last = c;
    this.state = b;
    if (b.finished && !this.finished) this.finished = b.finished;
    return b;
  }

  async read(when) {
    return this.check(await get(this.path), when);
  }

  /** The current members (≤ 500: one page). */
  async members() {
    const page = await get(`${this.path}/images?pageSize=500`);
    if (page.totalItems !== this.count)
      this.violations.push(
        `${this.name}: the batch lists ${page.totalItems} members, count is ${this.count}`,
      );
    return page.member;
  }

  /**
   * Batch read, `GET C/queue`, batch read: with this batch the customer's only unfinished one, `imagesWaiting`
   * must lie between the members left at the two reads, and be 0 with `batchesWaiting` 0 once it has finished.
   */
  async queueCheck() {
    const before = await this.read('before queue read');
    const q = await get(`/customers/${this.customer}/queue`);
    const after = await this.read('after queue read');
    const left = (b) => this.count - b.completed - b.errors - (b.cancelled ?? 0);
    const v = (msg) => this.violations.push(`${this.name} queue check ${this.queueChecks}: ${msg}`);
    this.queueChecks++;
    // Was this batch among the unfinished at the queue read? Yes before its finish, no after; in between unknown.
    if (!before.finished && after.finished) return;
    const others = q.batchesWaiting - (after.finished ? 0 : 1);
    if (others !== 0) {
      this.queueNotes.add(
        `${this.name} has ${others} other unfinished batches: its queue counters are not checked`,
      );
      return;
    }
    if (!(left(before) >= q.imagesWaiting && q.imagesWaiting >= left(after)))
      v(
        `imagesWaiting ${q.imagesWaiting}, but the batch had ${left(before)} then ${left(after)} members left`,
      );
    if (q.size !== q.imagesWaiting) v(`size ${q.size} differs from imagesWaiting ${q.imagesWaiting}`);
  }

  /** Batch read, member list, batch read: the counters must bracket the members' own outcomes. */
  async crossCheck() {
    const before = await this.read('before member list');
    const members = await this.members();
    const after = await this.read('after member list');
    this.crossChecks++;
    const ok = members.filter((m) => !m.ingesting && m.finished && !m.error).length;
    const failed = members.filter((m) => !m.ingesting && m.error).length;
    if (!(before.completed <= ok && ok <= after.completed))
      this.violations.push(
        `${this.name} cross-check ${this.crossChecks}: ${ok} members succeeded, batch said completed ${before.completed} then ${after.completed}`,
      );
    if (!(
      before.errors + (before.cancelled ?? 0) <= failed && failed <= after.errors + (after.cancelled ?? 0)
    ))
      this.violations.push(
        `${this.name} cross-check ${this.crossChecks}: ${failed} members failed, batch said errors ${before.errors} then ${after.errors}`,
      );
    return members;
  }
}

let origin;
let aborting = false;
async function cleanup() {
  if (bareChild) bareChild.kill('SIGKILL');
  if (origin) {
    origin.server.closeAllConnections?.();
    await new Promise((r) => origin.server.close(() => r()));
    origin = undefined;
  }
}
process.on('SIGINT', () => {
  if (aborting) process.exit(130);
  aborting = true;
  console.error('\nInterrupted: stopping (the batches keep running on the platform).');
  cleanup().finally(() => process.exit(130));
});

/** Warns when other work is running: every figure here is a share of the same 2 cores. */
function warnIfBusy(when, which = 'below') {
  const [load1] = os.loadavg();
  const cores = os.cpus().length;
  if (load1 > cores * 0.5)
    console.log(
      `  ! load average ${load1.toFixed(1)} on ${cores} cores ${when}: the machine is not quiet, so the figures ${which} are not a measurement`,
    );
}

async function bare(sourceFiles) {
  console.log(
    `Bare pipeline: ${BARE_IMAGES} images at concurrency ${CONCURRENCY} (apps/image-processor/dist, no broker/db/store)…`,
  );
  const s = await runBare(sourceFiles);
  console.log(
    `  ${s.imagesPerSecond.toFixed(2)} images/s in ${(s.wallMs / 1000).toFixed(1)} s; per image mean ${s.msMean} ms, p50 ${s.msP50} ms, p99 ${s.msP99} ms`,
  );
  return s;
}

async function main() {
  const deadline = Date.now() + TIMEOUT_MIN * 60_000;
  console.log(
    `Batch benchmark: ${IMAGES} images of ${WIDTH}×${HEIGHT} (${HALF} per customer), processor concurrency ${CONCURRENCY} (${CONCURRENCY_FROM.source || '--concurrency'}), API ${apiUrl}`,
  );
  warnIfBusy('before the run');
  const entry = await api('GET', '/');
  if (entry.status !== 200) throw new Error(`GET / answered ${entry.status}: is ${apiUrl} a Vellum API?`);
  // Fail on bad credentials now, not after the bare pipeline has run for minutes.
  const auth = await api('GET', '/customers?pageSize=1');
  if (auth.status === 401 || auth.status === 403)
    throw new Error(
      `the API refused the admin key (${auth.status}): check VELLUM_ADMIN_KEY/SECRET or .vellum/admin-credentials.json of the running platform`,
    );
  must(auth, 200, 'GET /customers');
  const sourceFiles = await prepareSources();
  origin = await startOrigin(sourceFiles);

  let bareResult;
  if (BARE === 'before') bareResult = await bare(sourceFiles);

  // Customers and spaces
  const customers = [];
  for (const [name, display] of [
    ['bench-a', 'Batch benchmark A'],
    ['bench-b', 'Batch benchmark B'],
  ]) {
    const id = await findOrCreate('/customers', name, { name, displayName: display });
    const space = await findOrCreate(`/customers/${id}/spaces`, 'batches', { name: 'batches' });
    customers.push({ name, id, space });
  }
  const run = Date.now().toString(36);
  const jobs0 = await processorJobSeconds();
  const pids = servicePids();
  const cpu0 = Object.keys(pids).length ? cpuSnapshot(pids) : undefined;

  // Both batches at the same moment
  console.log(
    `Submitting two batches of ${HALF} at once (customers ${customers.map((c) => `${c.name}=${c.id}`).join(', ')}, run ${run})…`,
  );
  const t0 = Date.now();
  const submitted = await Promise.all(
    customers.map((c, ci) =>
      api('POST', `/customers/${c.id}/queue`, {
        '@type': 'Collection',
        member: Array.from({ length: HALF }, (_, i) => ({
          id: `${run}-${i}`,
          space: c.space,
          origin: `${origin.base}/img/${ci * HALF + i}.jpg`,
          mediaType: 'image/jpeg',
          string1: 'batch-bench',
        })),
      }),
    ),
  );
  const watches = submitted.map((r, i) => {
    const b = must(r, 201, `POST /customers/${customers[i].id}/queue`);
    console.log(`  ${customers[i].name}: batch ${b.id} accepted in ${r.ms.toFixed(0)} ms`);
    return new BatchWatch(customers[i].name, customers[i].id, customers[i].space, b);
  });
  const allFinished = () => watches.every((w) => w.finished);

  // Priority-lane PUTs every PUT_EVERY_S seconds while the batches run
  const puts = [];
  const putLoop = (async () => {
    if (!PUT_EVERY_S) return;
    for (let k = 0; ; k++) {
      const due = t0 + (k + 1) * PUT_EVERY_S * 1000;
      while (Date.now() < due && !allFinished() && !aborting) await sleep(Math.min(250, due - Date.now()));
      if (allFinished() || aborting || Date.now() > deadline) return;
      const c = customers[k % 2];
      const id = `${run}-put-${k}`;
      const p = `/customers/${c.id}/spaces/${c.space}/images/${id}`;
      let r;
      try {
        r = await api(
          'PUT',
          p,
          { origin: `${origin.base}/put/${k}.jpg`, mediaType: 'image/jpeg' },
          PUT_TIMEOUT_MS,
        );
      } catch (err) {
        r = { status: 0, ms: PUT_TIMEOUT_MS, body: { error: err.message } };
      }
      puts.push({
        customer: c,
        id,
        status: r.status,
        ms: r.ms,
        ingesting: r.body?.ingesting,
        error: r.body?.error,
      });
    }
  })();

  // Watch both batches
  let lastLine = 0;
  let lastCross = Date.now();
  while (!allFinished()) {
    if (Date.now() > deadline)
      throw new Error(
        `the batches did not finish within --timeout-min ${TIMEOUT_MIN}: ${watches.map((w) => `${w.name} ${w.last.completed}+${w.last.errors} of ${w.count}`).join(', ')}`,
      );
    for (const w of watches) {
      if (w.finished) continue;
      // Member lists are the heavy read (up to 500 assets rendered): every 10 s, so the watching costs little.
      if (Date.now() - lastCross >= 10_000) await w.crossCheck();
      else await w.read('poll');
      if (Date.now() - w.lastChange > STALL_S * 1000)
        throw new Error(
          `${w.name}'s batch (${w.path}) made no progress for ${STALL_S} s at ${w.last.completed}+${w.last.errors} of ${w.count}: see .vellum/logs of the platform`,
        );
    }
    if (Date.now() - lastCross >= 10_000) lastCross = Date.now();
    if (Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      for (const w of watches) if (!w.finished) await w.queueCheck();
      const worst = puts.length ? Math.max(...puts.map((p) => p.ms)) : undefined;
      console.log(
        `  ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s  ` +
          watches
            .map(
              (w) =>
                `${w.name} ${w.last.completed}/${w.count}${w.last.errors ? ` (${w.last.errors} errors)` : ''}`,
            )
            .join('  ') +
          (PUT_EVERY_S
            ? `  PUTs ${puts.length}${worst !== undefined ? ` (worst ${worst.toFixed(0)} ms)` : ''}`
            : ''),
      );
    }
    if (!allFinished()) await sleep(1000);
  }
  await putLoop;
  // One last cross-check each: every member is done, and the counters say so.
  const members = [];
  for (const w of watches) {
    members.push(...(await w.crossCheck()).map((m) => ({ ...m, watch: w })));
    await w.queueCheck();
  }
  const jobs1 = await processorJobSeconds();
  const cpu1 = cpu0 ? cpuSnapshot(pids) : undefined;
  if (BARE === 'after') bareResult = await bare(sourceFiles);

  // Figures
  console.log('Results:');
  const violations = watches.flatMap((w) => w.violations);
  const reads = watches.reduce((n, w) => n + w.reads, 0);
  const checks = watches.reduce((n, w) => n + w.crossChecks, 0);
  const queueChecks = watches.reduce((n, w) => n + w.queueChecks, 0);
  report(
    `batch status exact at every read (${reads} batch reads, ${checks} member and ${queueChecks} queue cross-checks)`,
    violations.length ? `${violations.length} violations` : 'no violation',
    '',
    'none',
    violations.length === 0,
  );
  for (const v of violations.slice(0, 20)) console.log(`      ${v}`);
  for (const n of watches.flatMap((w) => [...w.queueNotes])) console.log(`      (${n})`);
  for (const w of watches)
    report(
      `${w.name}: completed ${w.last.completed} of ${w.count}, ${w.last.errors} errors`,
      w.last.completed === w.count && w.last.errors === 0 ? 'all completed' : 'incomplete',
      '',
      'completed == count, 0 errors',
      w.last.completed === w.count && w.last.errors === 0,
    );
  const failedMembers = members.filter((m) => m.error);
  for (const m of failedMembers.slice(0, 10)) console.log(`      ✗ ${m.watch.name}/${m.id}: ${m.error}`);

  const finishedAt = members.map((m) => Date.parse(m.finished)).filter(Number.isFinite);
  const lastFinished = Math.max(...finishedAt);
  const windowS = (lastFinished - t0) / 1000;
  const e2e = members.length / windowS;
  const latencies = finishedAt.map((f) => (f - t0) / 1000);
  const okPuts = puts.filter((p) => p.status === 201);
  // The middle 80 % of finishes: the rate without the ramp-up (first staging) and the tail (last images alone).
  const sortedFinishes = finishedAt.slice().sort((a, b) => a - b);
  const i10 = Math.floor(sortedFinishes.length * 0.1);
  const i90 = Math.floor(sortedFinishes.length * 0.9);
  const steady =
    sortedFinishes[i90] > sortedFinishes[i10]
      ? (i90 - i10) / ((sortedFinishes[i90] - sortedFinishes[i10]) / 1000)
      : undefined;
  report(
    `end to end: ${members.length} images in ${windowS.toFixed(1)} s`,
    e2e.toFixed(2),
    'images/s',
    undefined,
    undefined,
  );
  if (okPuts.length)
    console.log(
      `      (the ${okPuts.length} PUTs were processed in the same window; counting them: ${((members.length + okPuts.length) / windowS).toFixed(2)} images/s)`,
    );
  if (steady !== undefined)
    console.log(
      `      (steady state, between the 10th and 90th percentile finishes: ${steady.toFixed(2)} images/s)`,
    );
  report(
    'per-image latency, batch submit → asset finished',
    `p50 ${pct(latencies, 50).toFixed(1)} s, p99 ${pct(latencies, 99).toFixed(1)} s`,
    '',
    undefined,
    undefined,
  );
  const completion = watches.map((w) => (Date.parse(w.finished) - t0) / 1000);
  const fairness = Math.max(...completion) / Math.min(...completion);
  report(
    `batch completion ${watches.map((w, i) => `${w.name} ${completion[i].toFixed(1)} s`).join(', ')}; slower / faster`,
    fairness.toFixed(2),
    '',
    `≤ ${TARGETS.fairness} (within 20 %)`,
    fairness <= TARGETS.fairness,
  );
  if (PUT_EVERY_S) {
    if (!puts.length)
      report('PUTs during the batches', 'none made (the batches ended first)', '', undefined, undefined);
    else {
      const worst = Math.max(...puts.map((p) => p.ms));
      const bad = puts.filter((p) => p.status !== 201);
      report(
        `worst PUT → 201 of ${puts.length} (p50 ${pct(
          puts.map((p) => p.ms),
          50,
        ).toFixed(0)} ms${bad.length ? `, ${bad.length} not 201` : ''})`,
        worst.toFixed(0),
        'ms',
        `< ${TARGETS.putMs} ms`,
        worst < TARGETS.putMs && !bad.length,
      );
      for (const p of bad.slice(0, 5))
        console.log(
          `      ✗ PUT ${p.id}: ${p.status} ${p.ingesting ? '(still ingesting)' : ''}${p.error ?? ''}`,
        );
    }
  }
  if (jobs0 && jobs1 && jobs1.count > jobs0.count) {
    const jobs = jobs1.count - jobs0.count;
    const busy = (jobs1.sum - jobs0.sum) / (windowS * CONCURRENCY);
    report(
      `image-processor: ${jobs} jobs, mean ${((jobs1.sum - jobs0.sum) / jobs).toFixed(2)} s each (download + pipeline + upload); slots busy`,
      `${(busy * 100).toFixed(0)} %`,
      '',
      undefined,
      undefined,
    );
    if (busy > 1.05)
      console.log(
        `      (over 100 %: the processor runs more than --concurrency ${CONCURRENCY} jobs at once, so the bare pipeline is not like for like)`,
      );
  }
  let cpuPerImage;
  if (cpu0 && cpu1) {
    // Every image the platform processed in the window: the batches' and the PUTs'.
    const n = members.length + okPuts.length;
    const parts = Object.entries(cpuDelta(cpu0, cpu1))
      .map(([k, s]) => ({ k, s }))
      .filter((p) => p.s > 0)
      .sort((a, b) => b.s - a.s);
    cpuPerImage = {
      services: parts.filter((p) => !p.k.includes('(machine)')).reduce((t, p) => t + p.s / n, 0),
      all: parts.reduce((t, p) => t + p.s / n, 0),
    };
    report(
      `CPU per image during the run (${n} images incl. PUTs; the machine-wide ones include others' work)`,
      parts.map((p) => `${p.k} ${((p.s / n) * 1000).toFixed(0)} ms`).join(', '),
      '',
      undefined,
      undefined,
    );
  }
  if (bareResult) {
    report(
      `bare pipeline (${bareResult.images} images, concurrency ${bareResult.concurrency}, mean ${bareResult.msMean} ms and ${bareResult.cpuMsPerImage} ms CPU each)`,
      bareResult.imagesPerSecond.toFixed(2),
      'images/s',
      undefined,
      undefined,
    );
    const ratio = e2e / bareResult.imagesPerSecond;
    report(
      'end to end / bare pipeline',
      `${(ratio * 100).toFixed(0)} %`,
      '',
      `≥ ${TARGETS.ratio * 100} %`,
      ratio >= TARGETS.ratio,
    );
    if (cpuPerImage)
      console.log(
        `      (CPU-bound ceiling of that ratio, bare CPU / platform CPU per image: ${((bareResult.cpuMsPerImage / 1000 / cpuPerImage.services) * 100).toFixed(0)} % counting the six services, ${((bareResult.cpuMsPerImage / 1000 / cpuPerImage.all) * 100).toFixed(0)} % with postgres and RabbitMQ)`,
      );
  }

  warnIfBusy('after the run', 'above');

  // Clean up the run's assets
  if (!KEEP) {
    for (const c of customers) {
      const ids = [
        ...Array.from({ length: HALF }, (_, i) => `${run}-${i}`),
        ...puts.filter((p) => p.customer === c).map((p) => p.id),
      ];
      for (let i = 0; i < ids.length; i += 500) {
        const r = await api('POST', `/customers/${c.id}/deleteImages`, {
          '@type': 'Collection',
          member: ids.slice(i, i + 500).map((id) => ({ id: `${c.id}/${c.space}/${id}` })),
        }).catch((err) => ({ status: 0, body: { detail: err.message } }));
        if (r.status !== 200)
          console.log(
            `  (could not delete ${c.name}'s assets of run ${run}: ${r.status} ${r.body?.detail ?? ''})`,
          );
      }
    }
    console.log(`Deleted the run's assets (--keep keeps them).`);
  }
  const missed = results.filter((r) => r.ok === false).length;
  const judged = results.filter((r) => r.ok !== undefined).length;
  console.log(missed ? `${missed} of ${judged} targets missed.` : `All ${judged} targets met.`);
  return missed ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    await cleanup();
    die(err.message);
  });
