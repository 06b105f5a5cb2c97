#!/usr/bin/env node
// Vellum's iiif-delivery against IIPImage, side by side on the same pyramid (issue 11, SPEC.md §10 "Tile serving";
// a script, not a test). Run as root (it apt-get installs what is missing). Traffic goes only to 127.0.0.1.
//
//   node scripts/bench/delivery-compare.mjs [--seconds 10] [--warmup 2] [--ids 24] [--servers vellum,iipimage]
//        [--workloads tiles8,tiles32,regions,info,thumbs] [--workers N] [--hot-path 1|0] [--idle 0.15]
//        [--idle-wait 120] [--iip-procs 2] [--node-args='--cpu-prof --cpu-prof-dir=/tmp/prof']
//
// Needs `node scripts/setup.mjs` (or `pnpm --filter @vellum/iiif-delivery build`: apps/iiif-delivery/dist/main.js),
// the local Postgres and RabbitMQ. In one go it:
//   1. installs Debian `iipimage-server`, `lighttpd` and `wrk` with apt-get when missing (only when run);
//   2. makes ONE pyramidal TIFF (fixtures/photo-large.jpg resized to 6000×4000, 512-px JPEG q85 tiles, as the
//      image-processor writes) and the open thumbnails (`!1024,1024`, `!400,400`, `!200,200`, `!100,100`), and
//      stores them for `--ids` finished assets of one customer in a fresh database (@vellum/testing) and an fs store;
//   3. starts the built iiif-delivery (NODE_ENV=production, LOG_LEVEL=warn, `--workers` → VELLUM_DELIVERY_WORKERS,
//      default one per core; `--hot-path` → VELLUM_DELIVERY_HOT_PATH) and lighttpd with `--iip-procs` iipsrv FastCGI
//      processes over a directory holding the SAME TIFF once per identifier (hard links), tile cache off;
//   4. for each workload (canonical tiles of the grid Vellum's info.json advertises, 129 per identifier, at c=8 and
//      c=32; 20 arbitrary rendered regions per identifier; info.json; thumbnails `!200,200` and `400,`) and each
//      server: waits for an idle machine, runs wrk (a Lua script picking the URLs at random from a list) for
//      `--warmup` seconds (discarded) then `--seconds`; records req/s, p50/p99, non-2xx responses, the servers'
//      CPU (utime+stime of every server process from /proc/<pid>/stat, before/after) per request, their peak RSS
//      (VmHWM summed, reset before each run) and the CPU the rest of the machine used meanwhile (disturbance);
//   5. prints a table and the Vellum/IIPImage ratios against the issue's targets.
// Everything it made (processes by pid, temp dir, database, vhost) is removed at the end or on failure.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    ids: { type: 'string', default: '24' },
    servers: { type: 'string', default: 'vellum,iipimage' },
    workloads: { type: 'string', default: 'tiles8,tiles32,regions,info,thumbs' },
    workers: { type: 'string' },
    'hot-path': { type: 'string', default: '1' },
    idle: { type: 'string', default: '0.15' },
    'idle-wait': { type: 'string', default: '120' },
    'iip-procs': { type: 'string', default: '2' },
    'node-args': { type: 'string' },
  },
});
const SECONDS = Number(opt.seconds);
const WARMUP = Number(opt.warmup);
const IDS = Number(opt.ids);
const SERVERS = opt.servers.split(',');
const WORKLOADS = opt.workloads.split(',');
const W = 6000;
const H = 4000;
const TILE = 512;
const KEY = 'f'.repeat(64);
const IIPSRV = '/usr/lib/iipimage-server/iipsrv.fcgi';
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const NCPU = os.availableParallelism();

const log = (msg) => process.stderr.write(`[delivery-compare] ${msg}\n`);
const cleanups = [];

// ---- 1. tools --------------------------------------------------------------------------------------------------
function which(cmd) {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`])
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}
function ensureTools() {
  if (which('lighttpd') && which('wrk') && fs.existsSync(IIPSRV)) return;
  if (process.getuid?.() !== 0)
    throw new Error('iipimage-server, lighttpd or wrk missing: run as root to install');
  log('installing iipimage-server, lighttpd, wrk (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'iipimage-server', 'lighttpd', 'wrk'],
      { env, stdio: 'inherit' },
    );
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
    execFileSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'iipimage-server', 'lighttpd', 'wrk'],
      { env, stdio: 'inherit' },
    );
  }
}

// ---- /proc ------------------------------------------------------------------------------------------------------
const children = (pid) => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
      .toString()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
const cpuTicks = (pids) =>
  pids.reduce((t, pid) => {
    try {
      const f = fs
        .readFileSync(`/proc/${pid}/stat`, 'utf8')
        .slice(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2)
        .split(' ');
      return t + Number(f[11]) + Number(f[12]);
    } catch {
      return t;
    }
  }, 0);
const hwmKiB = (pids) =>
  pids.reduce((t, pid) => {
    try {
      return t + Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {
      return t;
    }
  }, 0);
const resetHwm = (pids) => {
  for (const pid of pids) {
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // not ours or gone
    }
  }
};
/** Machine-wide busy and total jiffies (all cores) from /proc/stat. */
const machineTicks = () => {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (up to --idle-wait s) until the machine is idle: busy below `--idle` of all cores over a 1 s sample (the
 * 1-minute load average lags a minute behind, so it is printed, not waited on). Says how long it waited.
 */
async function waitIdle(label) {
  const limit = Number(opt.idle);
  const deadline = Date.now() + Number(opt['idle-wait']) * 1000;
  let busy = 1;
  for (;;) {
    const a = machineTicks();
    await sleep(1000);
    const b = machineTicks();
    busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < limit) return { waitedBusy: busy, load: os.loadavg()[0] };
    if (Date.now() > deadline) {
      log(
        `${label}: machine still busy (${(busy * 100).toFixed(0)} % of ${NCPU} cores) after ${opt['idle-wait']} s; measuring anyway`,
      );
      return { waitedBusy: busy, load: os.loadavg()[0], notIdle: true };
    }
  }
}

// ---- wrk -------------------------------------------------------------------------------------------------------
function wrkScript(dir, name, paths) {
  const list = path.join(dir, `${name}.txt`);
  fs.writeFileSync(list, paths.join('\n') + '\n');
  const lua = path.join(dir, `${name}.lua`);
  fs.writeFileSync(
    lua,
    `local paths = {}
for line in io.lines("${list}") do paths[#paths + 1] = line end
local n = #paths
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(n)]) end
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  return lua;
}

function wrk(base, lua, concurrency, seconds) {
  const threads = Math.min(2, concurrency);
  const out = execFileSync(
    'wrk',
    [
      '-t',
      String(threads),
      '-c',
      String(concurrency),
      '-d',
      `${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      lua,
      base,
    ],
    { maxBuffer: 1 << 20 },
  ).toString();
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  return JSON.parse(line);
}

// ---- main ------------------------------------------------------------------------------------------------------
async function main() {
  ensureTools();
  const main = path.join(ROOT, 'apps/iiif-delivery/dist/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} missing: node scripts/setup.mjs first`);
  const require = createRequire(path.join(ROOT, 'apps', 'iiif-delivery', 'package.json'));
  const { createPrismaClient } = require('@vellum/db');
  const storage = require('@vellum/storage');
  const testing = require('@vellum/testing');
  const { DEFAULT_THUMBNAIL_SIZES } = require('@vellum/contracts');
  const { thumbnailSizesFor, scaleFactorsFor } = require('@vellum/iiif');
  const sharp = require('sharp');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-delivery-compare-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const [db, vhost] = await Promise.all([testing.createTestDatabase(), testing.createTestVhost()]);
  cleanups.unshift(
    () => db.drop(),
    () => vhost.drop(),
  );
  const storeEnv = { VELLUM_STORAGE_ROOT: path.join(tmp, 'storage') };

  // 2. The pyramid and thumbnails, once; stored for every identifier.
  const t0 = performance.now();
  const master = await sharp(testing.fixturePath('photo-large.jpg')).resize(W, H, { fit: 'fill' }).toBuffer();
  const tiff = await sharp(master)
    .tiff({ tile: true, pyramid: true, tileWidth: TILE, tileHeight: TILE, compression: 'jpeg', quality: 85 })
    .toBuffer();
  const sizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, W, H);
  const thumbBytes = await Promise.all(
    sizes.map((s) =>
      sharp(master).resize(s.width, s.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer(),
    ),
  );
  log(
    `pyramid ${W}×${H}: ${(tiff.length / 2 ** 20).toFixed(1)} MiB, thumbnails ${sizes.map((s) => `${s.width}×${s.height}`).join(' ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const iipDir = path.join(tmp, 'iip');
  fs.mkdirSync(iipDir);
  fs.writeFileSync(path.join(iipDir, 'img-00.tif'), tiff);

  const store = storage.createObjectStore(storage.storageConfigFromEnv(storeEnv));
  const buckets = storage.bucketsFromEnv(storeEnv);
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  const prisma = createPrismaClient(db.url);
  cleanups.unshift(() => prisma.$disconnect());
  const c = (await prisma.customer.create({ data: { name: 'bench', displayName: 'Delivery benchmark' } })).id;
  await prisma.space.create({ data: { customerId: c, id: 1, name: 'bench' } });
  const ids = Array.from({ length: IDS }, (_, i) => `img-${String(i).padStart(2, '0')}`);
  for (const id of ids) {
    if (id !== 'img-00') fs.linkSync(path.join(iipDir, 'img-00.tif'), path.join(iipDir, `${id}.tif`));
    const ref = { customerId: c, spaceId: 1, assetId: id };
    const key = storage.pyramidKey(ref);
    await store.put(buckets.derivatives, key, tiff);
    const keys = {};
    for (let i = 0; i < sizes.length; i++) {
      keys[`${sizes[i].width},${sizes[i].height}`] = storage.thumbnailKey(
        ref,
        sizes[i].width,
        sizes[i].height,
      );
      await store.put(buckets.thumbnails, keys[`${sizes[i].width},${sizes[i].height}`], thumbBytes[i]);
    }
    await prisma.asset.create({
      data: {
        customerId: c,
        spaceId: 1,
        id,
        mediaType: 'image/tiff',
        width: W,
        height: H,
        finished: new Date(),
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
        ],
        derivatives: {
          pyramid: { bucket: buckets.derivatives, key, size: tiff.length, tileSize: TILE },
          thumbnails: {
            bucket: buckets.thumbnails,
            open: sizes.map((s) => [s.width, s.height]),
            auth: [],
            keys,
            size: 1,
          },
        },
      },
    });
  }

  // 3. The servers.
  const stopPid = (child) => () =>
    new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
      child.kill('SIGTERM');
    });
  const servers = {};
  if (SERVERS.includes('vellum')) {
    const port = await testing.freePort();
    const env = {
      PATH: process.env.PATH,
      ...storeEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_AUTH_SIGNING_KEY: KEY,
      VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'cache'),
      VELLUM_DELIVERY_HOT_PATH: opt['hot-path'],
      ...(opt.workers !== undefined ? { VELLUM_DELIVERY_WORKERS: opt.workers } : {}),
    };
    // --node-args, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: every delivery process (cluster workers inherit
    // them) writes its profile when it exits.
    const nodeArgs = opt['node-args']?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, main], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanups.unshift(stopPid(child));
    const base = `http://127.0.0.1:${port}`;
    await testing.waitFor(
      async () => (await fetch(`${base}/health/ready`).catch(() => ({ status: 0 }))).status === 200,
      {
        timeoutMs: 60_000,
        description: 'iiif-delivery ready',
      },
    );
    servers.vellum = {
      base,
      pids: () => [child.pid, ...children(child.pid)],
      img: (id) => `/iiif-img/${c}/1/${id}`,
      thumb: (id) => `/thumbs/${c}/1/${id}`,
    };
  }
  if (SERVERS.includes('iipimage')) {
    const port = await testing.freePort();
    fs.mkdirSync(path.join(tmp, 'www'));
    const conf = path.join(tmp, 'lighttpd.conf');
    fs.writeFileSync(
      conf,
      `server.modules = ( "mod_fastcgi" )
server.document-root = "${tmp}/www"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${tmp}/lighttpd-error.log"
fastcgi.server = ( "/fcgi-bin/iipsrv.fcgi" => ((
  "socket" => "${tmp}/iipsrv.sock",
  "bin-path" => "${IIPSRV}",
  "max-procs" => ${Number(opt['iip-procs'])},
  "check-local" => "disable",
  "bin-environment" => (
    "FILESYSTEM_PREFIX" => "${iipDir}/",
    "MAX_IMAGE_CACHE_SIZE" => "0",
    "VERBOSITY" => "0",
    "JPEG_QUALITY" => "85",
    "LOGFILE" => "${tmp}/iipsrv.log"
  )
)))
`,
    );
    const child = spawn(which('lighttpd'), ['-D', '-f', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
    cleanups.unshift(stopPid(child));
    const base = `http://127.0.0.1:${port}`;
    const probe = `${base}/fcgi-bin/iipsrv.fcgi?IIIF=img-00.tif/info.json`;
    await testing.waitFor(async () => (await fetch(probe).catch(() => ({ status: 0 }))).status === 200, {
      timeoutMs: 30_000,
      description: 'lighttpd + iipsrv ready',
    });
    servers.iipimage = {
      base,
      pids: () => [child.pid, ...children(child.pid)],
      img: (id) => `/fcgi-bin/iipsrv.fcgi?IIIF=${id}.tif`,
      thumb: (id) => `/fcgi-bin/iipsrv.fcgi?IIIF=${id}.tif`,
    };
  }

  // 4. The URL sets: Vellum's advertised grid (both servers get the same requests).
  const tiles = [];
  for (const sf of scaleFactorsFor(W, H, TILE)) {
    const step = TILE * sf;
    for (let y = 0; y < H; y += step)
      for (let x = 0; x < W; x += step) {
        const w = Math.min(step, W - x);
        const h = Math.min(step, H - y);
        tiles.push(`${x},${y},${w},${h}/${Math.ceil(w / sf)},/0/default.jpg`);
      }
  }
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const regions = Array.from({ length: 20 }, () => {
    const w = 256 + Math.floor(rnd() * 768);
    const h = 256 + Math.floor(rnd() * 768);
    const x = Math.floor(rnd() * (W - w));
    const y = Math.floor(rnd() * (H - h));
    return `${x},${y},${w},${h}/256,/0/default.jpg`;
  });
  log(
    `${tiles.length} canonical tiles × ${ids.length} identifiers; ${regions.length} regions per identifier`,
  );
  const sets = {
    tiles: (s) => ids.flatMap((id) => tiles.map((t) => `${s.img(id)}/${t}`)),
    regions: (s) => ids.flatMap((id) => regions.map((r) => `${s.img(id)}/${r}`)),
    info: (s) => ids.map((id) => `${s.img(id)}/info.json`),
    thumbs: (s) =>
      ids.flatMap((id) => [
        `${s.thumb(id)}/full/!200,200/0/default.jpg`,
        `${s.thumb(id)}/full/400,/0/default.jpg`,
      ]),
  };
  const workloads = {
    tiles8: ['tiles', 8],
    tiles32: ['tiles', 32],
    regions: ['regions', 8],
    info: ['info', 8],
    thumbs: ['thumbs', 8],
  };

  // Every URL once per server (downloads, lookups, first renders), each answered 2xx.
  for (const [name, s] of Object.entries(servers)) {
    const all = [...new Set(WORKLOADS.flatMap((w) => sets[workloads[w][0]](s)))];
    let bad = 0;
    for (let i = 0; i < all.length; i += 16)
      await Promise.all(
        all.slice(i, i + 16).map(async (u) => {
          const r = await fetch(`${s.base}${u}`);
          await r.arrayBuffer();
          if (r.status !== 200 && bad++ < 3) log(`${name}: ${r.status} for ${u}`);
        }),
      );
    log(`${name}: ${all.length} URLs fetched once${bad ? `, ${bad} not 200` : ''}`);
  }

  // 5. Runs: per workload, each server in turn.
  const rows = [];
  for (const w of WORKLOADS) {
    const [set, concurrency] = workloads[w];
    for (const [name, s] of Object.entries(servers)) {
      const label = `${name} ${w}`;
      const lua = wrkScript(tmp, `${name}-${set}`, sets[set](s));
      const idle = await waitIdle(label);
      if (WARMUP > 0) wrk(s.base, lua, concurrency, WARMUP);
      const pids = s.pids();
      resetHwm(pids);
      const c0 = cpuTicks(pids);
      const m0 = machineTicks();
      const r = wrk(s.base, lua, concurrency, SECONDS);
      const m1 = machineTicks();
      const c1 = cpuTicks(pids);
      const secs = r.duration_us / 1e6;
      const serverCores = (c1 - c0) / TICK / secs;
      // wrk's own CPU is not known per run; what is busy beyond server + an estimate of wrk is shown as "other".
      const machineCores = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * NCPU;
      const row = {
        label,
        server: name,
        workload: w,
        rps: r.requests / secs,
        p50: r.p50_us / 1000,
        p99: r.p99_us / 1000,
        errors: r.non2xx + r.socket_errors,
        cpuMs: ((c1 - c0) * 1000) / TICK / r.requests,
        serverCores,
        machineCores,
        rssMiB: hwmKiB(pids) / 1024,
        kib: r.bytes / r.requests / 1024,
        idleBefore: idle,
      };
      rows.push(row);
      log(
        `${label}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, ${row.cpuMs.toFixed(3)} ms CPU/req` +
          `, server ${serverCores.toFixed(2)} cores of ${machineCores.toFixed(2)} busy${idle.notIdle ? ' (NOT IDLE before)' : ''}`,
      );
    }
  }

  // 6. Report.
  const pad = (x, n) => String(x).padEnd(n);
  const padl = (x, n) => String(x).padStart(n);
  console.log(
    `\niiif-delivery (${opt.workers ?? 'default'} workers, hot path ${opt['hot-path']}) vs IIPImage (${opt['iip-procs']} iipsrv behind lighttpd); ${NCPU} cores, ` +
      `${SECONDS} s per run after ${WARMUP} s warm-up; load average at the end ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `${pad('run', 22)}${padl('req/s', 9)}${padl('p50 ms', 8)}${padl('p99 ms', 8)}${padl('errors', 7)}${padl('CPU ms/req', 11)}${padl('srv cores', 10)}${padl('busy cores', 11)}${padl('KiB/resp', 9)}${padl('RSS MiB', 9)}  idle before`,
  );
  for (const r of rows)
    console.log(
      `${pad(r.label, 22)}${padl(r.rps.toFixed(0), 9)}${padl(r.p50.toFixed(1), 8)}${padl(r.p99.toFixed(1), 8)}${padl(r.errors, 7)}` +
        `${padl(r.cpuMs.toFixed(3), 11)}${padl(r.serverCores.toFixed(2), 10)}${padl(r.machineCores.toFixed(2), 11)}${padl(r.kib.toFixed(1), 9)}${padl(r.rssMiB.toFixed(0), 9)}  ` +
        `${r.idleBefore.notIdle ? 'NO' : 'yes'} (${(r.idleBefore.waitedBusy * 100).toFixed(0)} % busy)`,
    );
  const targets = { tiles8: 3, tiles32: 3, regions: 1, info: 1.5, thumbs: 20 };
  console.log('\nratios Vellum / IIPImage (req/s) against the issue 11 targets:');
  for (const w of WORKLOADS) {
    const v = rows.find((r) => r.server === 'vellum' && r.workload === w);
    const i = rows.find((r) => r.server === 'iipimage' && r.workload === w);
    if (!v || !i) continue;
    const ratio = v.rps / i.rps;
    console.log(
      `  ${pad(w, 8)} ${ratio.toFixed(2)}× (target ≥ ${targets[w]}×: ${ratio >= targets[w] ? 'met' : 'NOT met'}); p99 ${v.p99.toFixed(1)} vs ${i.p99.toFixed(1)} ms; CPU/req ${v.cpuMs.toFixed(3)} vs ${i.cpuMs.toFixed(3)} ms`,
    );
  }
  const t8 = rows.find((r) => r.server === 'vellum' && r.workload === 'tiles8');
  if (t8) {
    console.log(
      `  tiles c=8 p99 ${t8.p99.toFixed(1)} ms (target < 50 ms: ${t8.p99 < 50 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  server CPU per canonical tile ${t8.cpuMs.toFixed(3)} ms (target ≤ 0.3 ms: ${t8.cpuMs <= 0.3 ? 'met' : 'NOT met'})`,
    );
  }
  const rss = Math.max(
    0,
    ...rows.filter((r) => r.server === 'vellum' && r.workload.startsWith('tiles')).map((r) => r.rssMiB),
  );
  if (rss)
    console.log(
      `  peak RSS of delivery under the tile load ${rss.toFixed(0)} MiB, all processes (target < 512: ${rss < 512 ? 'met' : 'NOT met'})`,
    );
}

async function cleanup() {
  for (const fn of cleanups.splice(0))
    await Promise.resolve()
      .then(fn)
      .catch((e) => log(`cleanup: ${e.message}`));
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
main()
  .then(cleanup)
  .catch(async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  });
