// Shared load client of bench-tiles.mjs and bench-compare.mjs (SPEC.md §10 "Tile serving"; a script, not a test):
// the request-set builders (canonical tile grid, seeded random regions) and the concurrent load loop. Transport is
// left to the caller (`fetchOne`), so each script keeps its own HTTP request function.

/**
 * The canonical tile grid (IIIF Image API 3.0 Implementation Notes §3): for every scale factor, every tile of
 * `tileSize * sf` full-resolution pixels, requested at `ceil(w / sf)` px wide (`{x,y,w,h}/{w},/0/default.jpg`, as
 * OpenSeadragon requests 3.0 tiles; the same path is valid in 2.1). A tile covering the whole image is `full`.
 *
 * @param {object} o
 * @param {number} o.width   image width in px (info.json `width`)
 * @param {number} o.height  image height in px (info.json `height`)
 * @param {number} o.tileSize  tile width in px (info.json `tiles[0].width`)
 * @param {number[]} o.scaleFactors  info.json `tiles[0].scaleFactors`, walked in the given order
 * @param {'all'|'full'|'edge'} [o.only='all']  `full`: only tiles with a tileSize×tileSize output; `edge`: only the
 *   smaller right/bottom ones
 * @returns {string[]} path suffixes starting with `/` (`/{region}/{w},/0/default.jpg`), to append to the image base
 */
export function tileGridPaths({ width, height, tileSize, scaleFactors, only = 'all' }) {
  const out = [];
  for (const sf of scaleFactors) {
    const span = tileSize * sf;
    for (let y = 0; y < height; y += span) {
      for (let x = 0; x < width; x += span) {
        const w = Math.min(span, width - x);
        const h = Math.min(span, height - y);
        const region = x === 0 && y === 0 && w === width && h === height ? 'full' : `${x},${y},${w},${h}`;
        const fullSize = Math.ceil(w / sf) === tileSize && Math.ceil(h / sf) === tileSize;
        if ((only === 'full' && !fullSize) || (only === 'edge' && fullSize)) continue;
        out.push(`/${region}/${Math.ceil(w / sf)},/0/default.jpg`);
      }
    }
  }
  return out;
}

/**
 * Arbitrary regions, reproducible: a linear congruential sequence from `seed`; each region is 200-1199 px per side
 * (clamped to the image) at a random position, requested 256-511 px wide (never wider than the region).
 *
 * @param {object} o
 * @param {number} o.width   image width in px
 * @param {number} o.height  image height in px
 * @param {number} o.count   number of regions
 * @param {number} [o.seed=42]  LCG seed (42 is the sequence both scripts have always used)
 * @returns {string[]} path suffixes starting with `/` (`/{x},{y},{w},{h}/{ow},/0/default.jpg`)
 */
export function randomRegionPaths({ width, height, count, seed = 42 }) {
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out = [];
  for (let i = 0; i < count; i++) {
    const w = Math.min(width, 200 + Math.floor(rnd() * 1000));
    const h = Math.min(height, 200 + Math.floor(rnd() * 1000));
    const x = Math.floor(rnd() * (width - w + 1));
    const y = Math.floor(rnd() * (height - h + 1));
    const ow = Math.min(w, 256 + Math.floor(rnd() * 256));
    out.push(`/${x},${y},${w},${h}/${ow},/0/default.jpg`);
  }
  return out;
}

/**
 * @typedef {object} FetchResult
 * @property {number} status  HTTP status; 0 for a transport error
 * @property {number} ms      latency in ms, request start to end of body
 * @property {number} bytes   body bytes received
 * @property {string} [type]  Content-Type, if the caller reports it
 * @property {Error} [error]  transport error (status 0)
 * @property {Buffer} [body]  response body
 */

/**
 * Cycles `paths` (request i is `paths[i % paths.length]`) with `concurrency` workers, each awaiting one request at
 * a time, until `durationS` seconds have passed or `limit` requests have been started. The first 3 failures are
 * written to stderr.
 *
 * @param {object} o
 * @param {string[]} o.paths  what to request, passed to `fetchOne` as is
 * @param {number} o.concurrency  parallel workers
 * @param {number} o.durationS  wall-clock budget in seconds (no request starts after it)
 * @param {number} o.limit  maximum number of requests (Infinity: time-bound only)
 * @param {(path: string) => Promise<FetchResult>} o.fetchOne  performs one request; must resolve, never reject
 * @param {(result: FetchResult) => boolean} o.ok  whether a result counts as a success
 * @param {(result: FetchResult, path: string) => string} [o.describe]  stderr text of a failure (after two spaces);
 *   default `{status} {path} {error or first 200 body chars}`
 * @returns {Promise<{n: number, elapsed: number, rate: number, p50: number, p90: number, p99: number,
 *   errors: number, bytes: number}>} n requests completed; elapsed in s; rate in requests/s; p50/p90/p99 latency
 *   quantiles in ms (NaN when n is 0); errors = results `ok` rejected; bytes = body bytes of all responses
 */
export async function runLoad({
  paths,
  concurrency,
  durationS,
  limit,
  fetchOne,
  ok,
  describe = defaultDescribe,
}) {
  const lat = [];
  let errors = 0;
  let bytes = 0;
  let next = 0;
  const deadline = Date.now() + durationS * 1000;
  const started = process.hrtime.bigint();
  async function worker() {
    while (Date.now() < deadline && next < limit) {
      const p = paths[next++ % paths.length];
      const r = await fetchOne(p);
      if (!ok(r)) {
        errors++;
        if (errors <= 3) console.error(`  ${describe(r, p)}`);
      }
      bytes += r.bytes;
      lat.push(r.ms);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] : NaN);
  return {
    n: lat.length,
    elapsed,
    rate: lat.length / elapsed,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    errors,
    bytes,
  };
}

function defaultDescribe(r, path) {
  return `${r.status} ${path} ${r.error ?? r.body?.toString().slice(0, 200)}`;
}
