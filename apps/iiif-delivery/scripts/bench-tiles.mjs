#!/usr/bin/env node
// Tile-serving benchmark for iiif-delivery (SPEC.md §10 "Tile serving"; a script, not a test).
//
//   node scripts/bench-tiles.mjs --service http://127.0.0.1:3001/iiif-img/1/1/bench-1 \
//     [--mode tiles|regions|thumbs|info] [--concurrency 8] [--seconds 20] [--count N] [--warmup 1] [--tiles all|full|edge]
//
// tiles   : the whole canonical tile grid that info.json advertises (every scale factor, `{x,y,w,h}/{w},/0/default.jpg`
//           as OpenSeadragon requests 3.0 tiles), cycled; every request in one pass is distinct. `--tiles full` keeps
//           only full-size (tileSize×tileSize output) tiles, `--tiles edge` only the smaller right/bottom ones.
// regions : arbitrary regions (random position, 200-1200 px, output 256-512 px wide), reproducible (seeded).
// thumbs  : full/{w,h}/0/default.jpg of the info.json `sizes` (pre-made thumbnails).
// info    : info.json itself.
// Request sets and the load loop are bench-load.mjs's (shared with bench-compare.mjs).
// Prints requests/s, p50/p90/p99 latency (ms), errors, bytes. Only 127.0.0.1/localhost URLs are accepted.
import http from 'node:http';
import { parseArgs } from 'node:util';

import { randomRegionPaths, runLoad, tileGridPaths } from './bench-load.mjs';

const { values } = parseArgs({
  options: {
    service: { type: 'string' },
    mode: { type: 'string', default: 'tiles' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    count: { type: 'string' },
    warmup: { type: 'string', default: '1' },
    tiles: { type: 'string', default: 'all' },
  },
});
if (!values.service) {
  console.error(
    'usage: bench-tiles.mjs --service http://127.0.0.1:3001/iiif-img/{c}/{s}/{id} [--mode tiles|regions|thumbs|info]',
  );
  process.exit(2);
}
const service = new URL(values.service.replace(/\/+$/, ''));
if (!['127.0.0.1', 'localhost', '[::1]'].includes(service.hostname)) {
  console.error('refusing: benchmarks only talk to 127.0.0.1/localhost');
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const maxCount = values.count ? Number(values.count) : Infinity;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function request(pathname) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get(
      { host: service.hostname, port: service.port || 80, path: pathname, agent },
      (res) => {
        let bytes = 0;
        const chunks = [];
        res.on('data', (c) => {
          bytes += c.length;
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            bytes,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', (err) =>
      resolve({ status: 0, bytes: 0, ms: Number(process.hrtime.bigint() - started) / 1e6, error: err }),
    );
  });
}

const base = service.pathname;
const infoRes = await request(`${base}/info.json`);
if (infoRes.status !== 200) {
  console.error(`info.json answered ${infoRes.status}: ${infoRes.body?.toString().slice(0, 300)}`);
  process.exit(1);
}
const info = JSON.parse(infoRes.body.toString());
const width = info.width;
const height = info.height;
const v2 = info['@context']?.includes('/image/2/');

/** The canonical tile grid (IIIF Image API 3.0 Implementation Notes §3), under `base`. */
function tileGrid() {
  const t = info.tiles?.[0];
  if (!t) throw new Error('info.json advertises no tiles');
  return tileGridPaths({
    width,
    height,
    tileSize: t.width,
    scaleFactors: t.scaleFactors,
    only: values.tiles,
  }).map((s) => base + s);
}

let paths;
switch (values.mode) {
  case 'tiles':
    paths = tileGrid();
    break;
  case 'regions':
    paths = randomRegionPaths({ width, height, count: 5000, seed: 42 }).map((s) => base + s);
    break;
  case 'thumbs':
    paths = (info.sizes ?? []).map((s) => `${base}/full/${s.width},${s.height}/0/default.jpg`);
    break;
  case 'info':
    paths = [`${base}/info.json`];
    break;
  default:
    console.error(`unknown mode ${values.mode}`);
    process.exit(2);
}
if (paths.length === 0) throw new Error('nothing to request');

/** One load pass over `paths` (bench-load.mjs runLoad): success = HTTP 200. */
function run(durationS, limit) {
  return runLoad({
    paths,
    concurrency,
    durationS,
    limit,
    fetchOne: request,
    ok: (r) => r.status === 200,
  });
}

console.log(
  `${values.mode}: ${paths.length} distinct requests on ${width}x${height} (${v2 ? '2.1' : '3.0'}), concurrency ${concurrency}`,
);
if (Number(values.warmup) > 0) {
  const w = await run(Number(values.warmup), Math.min(paths.length, maxCount));
  console.log(`warm-up: ${w.n} requests in ${w.elapsed.toFixed(1)} s`);
}
const r = await run(seconds, maxCount);
console.log(
  `${r.n} requests in ${r.elapsed.toFixed(2)} s: ${r.rate.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, ` +
    `p99 ${r.p99.toFixed(1)} ms, errors ${r.errors}, ${(r.bytes / r.n / 1024).toFixed(1)} KiB/response`,
);
agent.destroy();
