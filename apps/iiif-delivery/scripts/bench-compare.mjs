#!/usr/bin/env node
// Helper of bench-compare.sh (iiif-delivery vs IIPImage, SPEC.md §10 "Tile serving"; a script, not a test).
//
//   node scripts/bench-compare.mjs ports <n>          n free 127.0.0.1 ports, one per line
//   node scripts/bench-compare.mjs setup              a template-cloned test database + a RabbitMQ vhost; prints
//                                                     shell assignments (DB_NAME, DATABASE_URL, VHOST, AMQP_URL, ...)
//   node scripts/bench-compare.mjs info --base <url>  GETs <base>/info.json; prints one summary line
//   node scripts/bench-compare.mjs load --base <url> --mode tiles|regions [--grid <url>] [--concurrency 8]
//                                                     [--seconds 10] [--warmup 1]
//
// `load` shares bench-tiles.mjs's loop and request sets (bench-load.mjs: same canonical grid walk, same seeded
// regions, concurrency workers; keep-alive agent), but <base> may carry a query string (IIPImage:
// `http://127.0.0.1:P/fcgi-bin/iipsrv.fcgi?IIIF=image.tif`), which bench-tiles.mjs drops, so it has its own `get`.
// `--grid <url>` takes the tile grid (tiles[0].width + scaleFactors) from another service's info.json (e.g. Vellum's
// 512 grid requested from IIPImage); width/height always come from <base>.
// Prints one JSON line: { n, elapsed, rate, p50, p90, p99, errors, bytes, clientCpuMs, warmN, distinct, tileWidth }.
// Only 127.0.0.1/localhost URLs are accepted.
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

import { randomRegionPaths, runLoad, tileGridPaths } from './bench-load.mjs';

const require = createRequire(import.meta.url);
const [cmd, ...rest] = process.argv.slice(2);

function localUrl(s) {
  const u = new URL(s);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    console.error(`refusing ${s}: benchmarks only talk to 127.0.0.1/localhost`);
    process.exit(2);
  }
  return u;
}

function get(url, agent) {
  const u = typeof url === 'string' ? new URL(url) : url;
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get(
      { host: u.hostname, port: u.port || 80, path: u.pathname + u.search, agent },
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
            type: res.headers['content-type'],
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

async function infoOf(base) {
  const r = await get(`${base}/info.json`);
  if (r.status !== 200)
    throw new Error(`${base}/info.json answered ${r.status}: ${r.body?.toString().slice(0, 300)}`);
  return JSON.parse(r.body.toString());
}

switch (cmd) {
  case 'ports': {
    const n = Number(rest[0] ?? 1);
    const servers = [];
    for (let i = 0; i < n; i++) {
      const s = http.createServer();
      await new Promise((res) => s.listen(0, '127.0.0.1', res));
      servers.push(s);
    }
    for (const s of servers) console.log(s.address().port);
    await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
    break;
  }
  case 'setup': {
    const { createTestDatabase, createTestVhost } = require('@vellum/testing');
    const db = await createTestDatabase();
    const vh = await createTestVhost();
    const q = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;
    console.log(`DB_NAME=${q(db.name)}`);
    console.log(`DATABASE_URL=${q(db.url)}`);
    console.log(`VHOST=${q(vh.isolated ? vh.vhost : '')}`);
    console.log(`AMQP_URL=${q(vh.url)}`);
    console.log(`AMQP_EXCHANGE=${q(vh.exchange)}`);
    break;
  }
  case 'info': {
    const { values } = parseArgs({ args: rest, options: { base: { type: 'string' } } });
    localUrl(values.base);
    const info = await infoOf(values.base);
    const t = info.tiles?.[0];
    const ctx = [].concat(info['@context'] ?? []).join(' ');
    console.log(
      `${info.width}x${info.height}, IIIF ${/image\/3/.test(ctx) ? '3.0' : /image\/2/.test(ctx) ? '2.x' : '?'}, ` +
        `tiles ${t ? `${t.width}x${t.height ?? t.width} scaleFactors [${t.scaleFactors.join(',')}]` : 'none'}, ` +
        `sizes ${(info.sizes ?? []).length}`,
    );
    break;
  }
  case 'load': {
    const { values } = parseArgs({
      args: rest,
      options: {
        base: { type: 'string' },
        grid: { type: 'string' },
        mode: { type: 'string', default: 'tiles' },
        concurrency: { type: 'string', default: '8' },
        seconds: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '1' },
      },
    });
    const base = values.base.replace(/\/+$/, '');
    localUrl(base);
    const info = await infoOf(base);
    const gridInfo = values.grid ? await infoOf(localUrl(values.grid.replace(/\/+$/, '')).toString()) : info;
    const { width, height } = info;
    const concurrency = Number(values.concurrency);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const target = new URL(base);

    /** The canonical tile grid of `gridInfo` over <base>'s width/height (bench-load.mjs tileGridPaths). */
    function tileGrid() {
      const t = gridInfo.tiles?.[0];
      if (!t) throw new Error('info.json advertises no tiles');
      return tileGridPaths({ width, height, tileSize: t.width, scaleFactors: t.scaleFactors });
    }
    const suffixes =
      values.mode === 'tiles'
        ? tileGrid()
        : values.mode === 'regions'
          ? randomRegionPaths({ width, height, count: 5000, seed: 42 })
          : null;
    if (!suffixes) {
      console.error(`unknown mode ${values.mode}`);
      process.exit(2);
    }
    // The suffix goes after the path, or after the query value when the base carries one (IIIF=<file>).
    const paths = suffixes.map((s) =>
      target.search ? target.pathname + target.search + s : target.pathname + s,
    );

    /** One load pass over `paths` (bench-load.mjs runLoad): success = HTTP 200 with an image/jpeg body. */
    function run(durationS, limit) {
      return runLoad({
        paths,
        concurrency,
        durationS,
        limit,
        fetchOne: (p) => get(new URL(p, target), agent),
        ok: (r) => r.status === 200 && /^image\/jpeg/.test(r.type ?? ''),
        describe: (r, p) => `${r.status} ${r.type} ${p} ${r.error ?? r.body?.toString().slice(0, 200)}`,
      });
    }

    const cpu0 = process.cpuUsage();
    const warm = Number(values.warmup) > 0 ? await run(Number(values.warmup), paths.length) : { n: 0 };
    const r = await run(Number(values.seconds), Infinity);
    const cpu = process.cpuUsage(cpu0);
    agent.destroy();
    // clientCpuMs: this client's own user+system CPU per request (it shares the cores with the server).
    r.clientCpuMs = (cpu.user + cpu.system) / 1000 / (r.n + warm.n);
    // warmN: requests of the warm-up pass (the caller's CPU accounting spans both passes).
    console.log(
      JSON.stringify({ ...r, warmN: warm.n, distinct: paths.length, tileWidth: gridInfo.tiles?.[0]?.width }),
    );
    break;
  }
  default:
    console.error(
      'usage: bench-compare.mjs ports <n> | setup | info --base <url> | load --base <url> --mode tiles|regions',
    );
    process.exit(2);
}
