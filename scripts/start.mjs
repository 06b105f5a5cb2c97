#!/usr/bin/env node
// `npm start`: set up (if needed), migrate, run all six Vellum services on this machine, create the admin
// customer on first start, register a demo batch of real images through the queue as the pages of a book
// (string1 = the book id, number1 = the page order), create the named query that projects a book as a IIIF
// manifest, and print the manifest URL, a Mirador link that opens it, and the URLs.
// The services run under scripts/supervisor.mjs: one that exits unexpectedly is restarted with backoff (1 s
// doubling to 30 s) while the others keep running; one that cannot start at all stops `npm start` with its
// last log lines. Ctrl-C stops everything.
//
// Flags / env:
//   --no-demo | VELLUM_NO_DEMO=1   skip the demo batch
//   --logs    | VELLUM_LOGS=1      stream every service's logs to the terminal (always written to .vellum/logs)
//   DATABASE_URL, AMQP_URL         default postgresql://postgres@127.0.0.1:5432/vellum, amqp://guest:guest@127.0.0.1:5672
//   S3_ENDPOINT (+ S3_ACCESS_KEY, S3_SECRET_KEY)  use MinIO/S3; otherwise the filesystem store in .vellum/storage
//   VELLUM_ADMIN_KEY, VELLUM_ADMIN_SECRET         the admin's API key; otherwise a pair is generated once
//   VELLUM_API_PORT (3000), VELLUM_DELIVERY_PORT (3001), VELLUM_AUTH_PORT (3002), VELLUM_ORCHESTRATOR_PORT (3003),
//   VELLUM_IMAGE_PROCESSOR_PORT (3004), VELLUM_AV_TRANSCODER_PORT (3005)
//   VELLUM_HOST                    interface the services bind (their HOST); default 127.0.0.1 (local only)
//   VELLUM_AUTH_URL                public base of auth-service's IIIF Auth 2.0 services, given to every service;
//                                  default http://127.0.0.1:{VELLUM_AUTH_PORT}
//   VELLUM_AUTH_SIGNING_KEY (+ VELLUM_AUTH_SIGNING_PREVIOUS_KEYS)  the key auth-service signs session cookies and
//                                  access tokens with and iiif-delivery verifies them with; unset in development
//                                  both use the same built-in development key (required when NODE_ENV=production)
//   VELLUM_API_WORKERS             api-gateway worker processes; default 0 = one per CPU
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { setup } from './setup.mjs';
import { Supervisor } from './supervisor.mjs';
import {
  ROOT,
  STATE_DIR,
  DEFAULTS,
  bold,
  checkInfrastructure,
  cyan,
  dim,
  green,
  red,
  step,
  yellow,
} from './lib.mjs';

const args = new Set(process.argv.slice(2));
const demo = !args.has('--no-demo') && !['1', 'true'].includes(process.env.VELLUM_NO_DEMO ?? '');
const streamLogs = args.has('--logs') || ['1', 'true'].includes(process.env.VELLUM_LOGS ?? '');

const SERVICES = [
  { name: 'api-gateway', portVar: 'VELLUM_API_PORT', port: 3000 },
  { name: 'iiif-delivery', portVar: 'VELLUM_DELIVERY_PORT', port: 3001 },
  { name: 'auth-service', portVar: 'VELLUM_AUTH_PORT', port: 3002 },
  { name: 'ingest-orchestrator', portVar: 'VELLUM_ORCHESTRATOR_PORT', port: 3003 },
  { name: 'image-processor', portVar: 'VELLUM_IMAGE_PROCESSOR_PORT', port: 3004 },
  { name: 'av-transcoder', portVar: 'VELLUM_AV_TRANSCODER_PORT', port: 3005 },
].map((s) => ({ ...s, port: Number(process.env[s.portVar] ?? s.port) }));

/**
 * Interface every service binds (their `HOST`): loopback in local mode, so nothing is reachable from the network;
 * `VELLUM_HOST=0.0.0.0` exposes them. Readiness is probed on loopback unless a specific address is named.
 */
const HOST = process.env.VELLUM_HOST || '127.0.0.1';
const PROBE_HOST = ['0.0.0.0', '::'].includes(HOST) ? '127.0.0.1' : HOST.includes(':') ? `[${HOST}]` : HOST;

/**
 * The demo book: its pages carry string1 = DEMO_BOOK and number1 = their page number (1-based, the order of
 * DEMO_IMAGES), as a digitisation workflow registers a book (SPEC.md §1 metadata fields); the named query
 * DEMO_QUERY selects a book by string1 and orders it by number1 (SPEC.md §7), so
 * /iiif-resource/{customer}/book/vellum-demo is the book's manifest.
 */
const DEMO_BOOK = 'vellum-demo';
const DEMO_QUERY = { name: 'book', template: 'manifest=s1&canvas=n1&s1=p1' };

const DEMO_IMAGES = [
  {
    id: 'photo-large',
    file: 'photo-large.jpg',
    mediaType: 'image/jpeg',
    label: 'Dandelion field (5312×2988 JPEG)',
  },
  {
    id: 'exif-orientation-6',
    file: 'exif-orientation-6.jpg',
    mediaType: 'image/jpeg',
    label: 'EXIF-rotated JPEG',
  },
  { id: 'png-alpha', file: 'png-alpha.png', mediaType: 'image/png', label: 'Daffodil (PNG with alpha)' },
  {
    id: 'tiff-lzw',
    file: 'tiff-lzw.tif',
    mediaType: 'image/tiff',
    label: 'Bruegel, The Harvesters (LZW TIFF)',
  },
  { id: 'scan', file: 'scan.jp2', mediaType: 'image/jp2', label: '1786 balloon print (JPEG 2000 scan)' },
  {
    id: '67352ccc-d1b0-11e1-89ae-279075081939',
    file: '67352ccc-d1b0-11e1-89ae-279075081939.png',
    mediaType: 'image/png',
    label: 'IIIF validator test image',
  },
];

/** Runs the six services: a crashed one is restarted with backoff while the others keep running. */
const supervisor = new Supervisor({
  report: (level, text) =>
    level === 'info' ? console.log(green(text)) : console.error(level === 'error' ? red(text) : yellow(text)),
});
let shuttingDown = false;

function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(dim('\nStopping Vellum…'));
  supervisor.stop().then(() => process.exit(code));
}

function adminCredentials() {
  if (process.env.VELLUM_ADMIN_KEY && process.env.VELLUM_ADMIN_SECRET) {
    return { key: process.env.VELLUM_ADMIN_KEY, secret: process.env.VELLUM_ADMIN_SECRET, source: 'env' };
  }
  const file = path.join(STATE_DIR, 'admin-credentials.json');
  if (fs.existsSync(file)) return { ...JSON.parse(fs.readFileSync(file, 'utf8')), source: 'file', file };
  const creds = {
    key: `admin-${randomBytes(6).toString('hex')}`,
    secret: randomBytes(24).toString('base64url'),
  };
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return { ...creds, source: 'generated', file };
}

function serviceEnv(base) {
  const byName = Object.fromEntries(SERVICES.map((s) => [s.name, s.port]));
  return {
    ...base,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    // Public URLs are not pinned: each service answers with the host its client used (SPEC.md §5), so
    // http://127.0.0.1:… and http://localhost:… both work; VELLUM_API_URL etc. set in the environment still win.
    VELLUM_DELIVERY_PORT: String(byName['iiif-delivery']),
    // IIIF Auth 2.0 (SPEC.md §6): delivery's info.json and probe, and the gateway's access services, name the
    // auth-service's access, token and logout services under this base. Cookies ignore ports, so the session
    // cookie auth-service sets on 127.0.0.1 reaches delivery's tiles on 127.0.0.1 too (not on "localhost").
    VELLUM_AUTH_URL: process.env.VELLUM_AUTH_URL ?? `http://127.0.0.1:${byName['auth-service']}`,
    // Local mode: the demo's origins are served from this machine, so loopback origins are allowed here.
    VELLUM_ORIGIN_ALLOWLIST: process.env.VELLUM_ORIGIN_ALLOWLIST ?? '127.0.0.1/32,::1/128,localhost',
    // One machine runs everything: the api-gateway uses every core (one worker per CPU, node:cluster).
    VELLUM_API_WORKERS: process.env.VELLUM_API_WORKERS ?? '0',
  };
}

/**
 * Polls the service's /health/ready until it answers 200 (resolves) or `signal` aborts (the child exited).
 * @param {AbortSignal} signal
 */
async function waitReady(svc, signal) {
  const url = `http://${PROBE_HOST}:${svc.port}/health/ready`;
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${svc.name} exited`);
}

function tail(file, lines = 25) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Registers a service with the supervisor: one log file across restarts, output streamed with --logs. */
function addService(svc, env) {
  const logDir = path.join(STATE_DIR, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  svc.logFile = path.join(logDir, `${svc.name}.log`);
  const log = fs.createWriteStream(svc.logFile, { flags: 'a' });
  const prefix = `${svc.name.padEnd(19)}│ `;
  supervisor.add({
    name: svc.name,
    logFile: path.relative(ROOT, svc.logFile),
    spawn: () => {
      const child = spawn(process.execPath, [path.join(ROOT, 'apps', svc.name, 'dist', 'main.js')], {
        cwd: ROOT,
        env: { ...env, PORT: String(svc.port), HOST },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const stream of [child.stdout, child.stderr]) {
        stream.pipe(log, { end: false });
        if (streamLogs)
          stream.on('data', (d) => process.stdout.write(d.toString().replace(/^(?=.)/gm, dim(prefix))));
      }
      return child;
    },
    waitReady: (_child, signal) => waitReady(svc, signal),
  });
}

/**
 * Resolves when every service is ready; rejects as soon as one is given up on (the supervisor has printed why),
 * or after `timeoutMs` milliseconds naming those not ready.
 */
async function allReady(timeoutMs = 120_000) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const late = SERVICES.filter((s) => !supervisor.status(s.name).ready).map((s) => s.name);
      reject(new Error(`${late.join(', ')} not ready at /health/ready after ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    await Promise.race([Promise.all(SERVICES.map((s) => supervisor.whenReady(s.name))), deadline]);
  } catch (err) {
    const gaveUp = SERVICES.filter((s) => supervisor.status(s.name).gaveUp).map((s) => s.name);
    if (gaveUp.length) throw new Error(`${gaveUp.join(', ')} could not start (see above); stopping Vellum`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function migrate(env) {
  step('Preparing the database (create if missing, apply migrations)');
  const require = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
  const db = require(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
  await db.ensureDatabase(env.DATABASE_URL);
  await db.migrate(env.DATABASE_URL);
}

/** Serves the repository's fixtures on 127.0.0.1 as the demo's http origin. */
function startFixtureServer() {
  const dir = path.join(ROOT, 'fixtures');
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    const file = path.join(dir, path.basename(name));
    if (!name || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function api(apiUrl, creds, method, urlPath, body) {
  const res = await fetch(`${apiUrl}${urlPath}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString('base64')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, body: json };
}

function progressBar(done, errors, total, elapsedMs) {
  const width = 30;
  const filled = total ? Math.round(((done + errors) / total) * width) : width;
  const bar = green('█'.repeat(Math.max(0, filled - 0))) + dim('░'.repeat(Math.max(0, width - filled)));
  return `  [${bar}] ${done + errors}/${total}  ${green(`${done} completed`)}  ${errors ? red(`${errors} errors`) : dim('0 errors')}  ${dim(`${(elapsedMs / 1000).toFixed(1)} s`)}`;
}

/**
 * Creates the demo customer's named query DEMO_QUERY (or brings its template up to date on a later start) and
 * returns the path of the demo book's manifest, `/iiif-resource/{c}/{query}/{book}`.
 */
async function ensureDemoQuery(apiUrl, creds, c) {
  const created = await api(apiUrl, creds, 'POST', `/customers/${c}/namedQueries`, DEMO_QUERY);
  if (created.status === 409) {
    const list = await api(apiUrl, creds, 'GET', `/customers/${c}/namedQueries?name=${DEMO_QUERY.name}`);
    const mine = list.body?.member?.find((q) => q.name === DEMO_QUERY.name && !q.global);
    if (mine && mine.template !== DEMO_QUERY.template) {
      const put = await api(apiUrl, creds, 'PUT', new URL(mine['@id']).pathname, DEMO_QUERY);
      if (put.status >= 300)
        throw new Error(`could not update the demo named query: ${JSON.stringify(put.body)}`);
    }
  } else if (created.status !== 201) {
    throw new Error(`could not create the demo named query: ${JSON.stringify(created.body)}`);
  }
  return `/iiif-resource/${c}/${DEMO_QUERY.name}/${DEMO_BOOK}`;
}

async function runDemo(apiUrl, deliveryUrl, creds) {
  const fixtures = await startFixtureServer();
  const origin = `http://127.0.0.1:${fixtures.address().port}`;
  step('Registering the demo images through the queue');
  let customer = await api(apiUrl, creds, 'POST', '/customers', { name: 'demo', displayName: 'Vellum demo' });
  if (customer.status === 409) {
    const list = await api(apiUrl, creds, 'GET', '/customers?pageSize=500');
    customer = { status: 200, body: list.body.member.find((m) => m.name === 'demo') };
  }
  if (customer.status >= 300 || !customer.body)
    throw new Error(`could not create the demo customer: ${JSON.stringify(customer.body)}`);
  const c = customer.body.id ?? Number(String(customer.body['@id']).split('/').pop());
  let space = await api(apiUrl, creds, 'POST', `/customers/${c}/spaces`, { name: 'demo' });
  if (space.status === 409) {
    const list = await api(apiUrl, creds, 'GET', `/customers/${c}/spaces?pageSize=500`);
    space = { status: 200, body: list.body.member.find((m) => m.name === 'demo') };
  }
  if (space.status >= 300 || !space.body)
    throw new Error(`could not create the demo space: ${JSON.stringify(space.body)}`);
  const s = space.body.id ?? Number(String(space.body['@id']).split('/').pop());
  const started = Date.now();
  const batch = await api(apiUrl, creds, 'POST', `/customers/${c}/queue`, {
    '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
    '@type': 'Collection',
    member: DEMO_IMAGES.map((img, i) => ({
      id: img.id,
      space: s,
      origin: `${origin}/${img.file}`,
      mediaType: img.mediaType,
      string1: DEMO_BOOK,
      number1: i + 1,
    })),
  });
  if (batch.status !== 201)
    throw new Error(`queue POST answered ${batch.status}: ${JSON.stringify(batch.body)}`);
  const batchPath = new URL(batch.body['@id']).pathname;
  let state = batch.body;
  let last = '';
  while (!state.finished) {
    await new Promise((r) => setTimeout(r, 300));
    state = (await api(apiUrl, creds, 'GET', batchPath)).body;
    const line = progressBar(state.completed, state.errors, state.count, Date.now() - started);
    if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
    else if (line.replace(/\d+\.\d s/, '') !== last.replace(/\d+\.\d s/, '')) console.log(line);
    last = line;
    if (Date.now() - started > 10 * 60_000)
      throw new Error('the demo batch did not finish within 10 minutes');
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${green('✓')} Demo batch ${batchPath.split('/').pop()} finished in ${secs} s: ${state.completed} completed, ${state.errors} errors`,
  );
  if (state.errors) {
    const errs = await api(apiUrl, creds, 'GET', `${batchPath}/errors`);
    for (const m of errs.body?.member ?? []) console.log(red(`  ✗ ${m.id}: ${m.error}`));
  }
  const manifestPath = await ensureDemoQuery(apiUrl, creds, c);
  console.log(
    `\n${bold('Demo book')} "${DEMO_BOOK}": the ${DEMO_IMAGES.length} images below as its pages (string1 = "${DEMO_BOOK}", number1 = page number)`,
  );
  console.log(
    `  IIIF manifest (Presentation 3, named query "${DEMO_QUERY.name}"): ${cyan(`${deliveryUrl}${manifestPath}`)}`,
  );
  console.log(`  Open it in Mirador:  ${cyan(`${deliveryUrl}/viewer/mirador?manifest=${manifestPath}`)}`);
  console.log(dim('  (or give the manifest URL to the Universal Viewer or any IIIF Presentation viewer)'));
  console.log(`\n${bold('Demo images')} (customer ${c} "demo", space ${s}):`);
  for (const img of DEMO_IMAGES) {
    const svc = `${deliveryUrl}/iiif-img/${c}/${s}/${img.id}`;
    console.log(`  ${img.label}`);
    console.log(`    Viewer:        ${cyan(`${deliveryUrl}/viewer/${c}/${s}/${img.id}`)}`);
    console.log(
      `    Image service (for OpenSeadragon or any IIIF Image API client): ${cyan(`${svc}/info.json`)}`,
    );
    console.log(`    Image API 2.1: ${dim(`${deliveryUrl}/iiif-img/v2/${c}/${s}/${img.id}/info.json`)}`);
    console.log(
      `    Thumbnail:     ${dim(`${deliveryUrl}/thumbs/${c}/${s}/${img.id}/full/!400,400/0/default.jpg`)}`,
    );
  }
  return fixtures;
}

async function main() {
  const t0 = Date.now();
  console.log(bold('Vellum: starting the IIIF asset platform on this machine'));
  await setup({ quiet: true });
  const env = {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL ?? DEFAULTS.DATABASE_URL,
    AMQP_URL: process.env.AMQP_URL ?? DEFAULTS.AMQP_URL,
  };
  await checkInfrastructure(env);
  if (!env.S3_ENDPOINT) env.VELLUM_STORAGE_ROOT = env.VELLUM_STORAGE_ROOT ?? path.join(STATE_DIR, 'storage');
  await migrate(env);
  const creds = adminCredentials();
  env.VELLUM_ADMIN_KEY = creds.key;
  env.VELLUM_ADMIN_SECRET = creds.secret;
  const svcEnv = serviceEnv(env);
  step(
    `Starting six services (${env.S3_ENDPOINT ? `S3 at ${env.S3_ENDPOINT}` : `filesystem store in ${path.relative(ROOT, env.VELLUM_STORAGE_ROOT)}`}; logs in .vellum/logs)`,
  );
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  for (const svc of SERVICES) addService(svc, svcEnv);
  supervisor.start();
  try {
    await allReady();
  } catch (err) {
    if (shuttingDown) return;
    console.error(red(`✗ ${err.message}`));
    for (const svc of SERVICES) {
      if (!supervisor.status(svc.name).ready && !supervisor.status(svc.name).gaveUp)
        console.error(dim(`--- ${svc.name} (${svc.logFile}) ---\n${tail(svc.logFile, 10)}`));
    }
    shutdown(1);
    return;
  }
  for (const svc of SERVICES)
    console.log(`  ${green('●')} ${svc.name.padEnd(20)} http://localhost:${svc.port}`);
  const portOf = (name) => SERVICES.find((s) => s.name === name).port;
  const apiUrl = svcEnv.VELLUM_API_URL || `http://localhost:${portOf('api-gateway')}`;
  const deliveryUrl = svcEnv.VELLUM_DELIVERY_URL || `http://localhost:${portOf('iiif-delivery')}`;
  console.log(`${green('✓')} Vellum is up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(
    `  IIIF Auth 2.0 services (auth-service): ${cyan(svcEnv.VELLUM_AUTH_URL)}/auth/v2/…` +
      dim(
        `\n  (restricted images: open them on the same host, e.g. http://127.0.0.1:${portOf('iiif-delivery')}, so the session cookie reaches the tiles;` +
          `\n   ${env.VELLUM_AUTH_SIGNING_KEY ? 'signing key from VELLUM_AUTH_SIGNING_KEY' : 'development signing key: set VELLUM_AUTH_SIGNING_KEY for anything real'}; see docs/access-control.md)`,
      ),
  );
  if (creds.source === 'generated') {
    console.log(`\n${bold('Admin API key')} (shown once; also saved to ${path.relative(ROOT, creds.file)}):`);
    console.log(`  key:    ${yellow(creds.key)}\n  secret: ${yellow(creds.secret)}`);
  } else {
    console.log(
      `\nAdmin API key: ${yellow(creds.key)} ${dim(`(from ${creds.source === 'env' ? 'VELLUM_ADMIN_KEY/SECRET' : path.relative(ROOT, creds.file)})`)}`,
    );
  }
  if (demo) {
    try {
      await runDemo(apiUrl, deliveryUrl, creds);
    } catch (err) {
      console.error(red(`✗ Demo failed: ${err.message}`));
    }
  }
  console.log(`\n${bold('URLs')}`);
  console.log(`  Management API:  ${cyan(apiUrl + '/')}   (OpenAPI page: ${apiUrl}/docs)`);
  console.log(`  Portal (web UI): ${cyan(apiUrl + '/portal/')}   (sign in with an API key and secret)`);
  console.log(`  IIIF delivery:   ${cyan(deliveryUrl)}/iiif-img/{customer}/{space}/{id}/info.json`);
  console.log(`  Image viewer:    ${cyan(deliveryUrl)}/viewer/{customer}/{space}/{id}`);
  console.log(
    `  Manifests:       ${cyan(deliveryUrl)}/iiif-resource/{customer}/{query}/{args}, /iiif-manifest/{customer}/{space}/{id}`,
  );
  console.log(`  Mirador:         ${cyan(deliveryUrl)}/viewer/mirador?manifest={manifest URL or path}`);
  console.log(`  Try:  curl -u ${creds.key}:<secret> ${apiUrl}/customers`);
  console.log(dim('\nA service that exits unexpectedly is restarted. Press Ctrl-C to stop.'));
}

main().catch((err) => {
  console.error(red(`✗ ${err.stack ?? err.message}`));
  shutdown(1);
});
