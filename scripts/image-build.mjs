#!/usr/bin/env node
// Emulates the container image builds on the filesystem (no Docker engine needed), for `npm test`
// (scripts/test/image-build.test.mjs) and by hand:
//   node scripts/image-build.mjs                 every image (the six services and the migration image)
//   node scripts/image-build.mjs api-gateway     one or more images by name (`migrate` for the migration image)
//   node scripts/image-build.mjs --keep          leave the temporary directory behind (its path is printed)
//   node scripts/image-build.mjs --json          print the report as JSON (one object) on the last line
//
// For each image it runs the stages of infra/docker/Dockerfile (or infra/docker/migrate.Dockerfile) in a temporary
// directory:
//   context  the repository's files as `docker build .` would send them (git's tracked and untracked-not-ignored
//            files, less what .dockerignore excludes);
//   pruner   `turbo prune @vellum/<APP> --docker` in that context;
//   builder  the builder stage's own COPY and RUN instructions, read from the Dockerfile (ARG values substituted,
//            `--mount` flags dropped, the pnpm store of this machine used as the cache mount, so installs are
//            offline): install from the pruned lockfile, turbo build, `pnpm deploy` into out/deploy;
//   runner   checks what the runtime stage copies exists, that the CMD's entry file exists, that every production
//            dependency resolves from the deployed directory, that dist/app.module.js loads (every module the app
//            imports), a query through the deployed Prisma client (when Postgres answers on 127.0.0.1), and that no
//            Prisma CLI is there (service images);
//            reports the deployed node_modules size in bytes.
// It fails (exit 1) when a stage would fail in `docker build`. What it cannot show: the base image, apt packages
// of the runtime stage, and file ownership (see infra/README.md). Builds share one fresh Turborepo cache, so a
// workspace package compiled for one image is restored for the next (its inputs are the same files).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, bold, green, red, step, tcpReachable } from './lib.mjs';

/** The images: name → Dockerfile (relative to ROOT) and build args. */
export const IMAGES = {
  'api-gateway': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'api-gateway' } },
  'iiif-delivery': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'iiif-delivery' } },
  'auth-service': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'auth-service' } },
  'ingest-orchestrator': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'ingest-orchestrator' } },
  'image-processor': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'image-processor' } },
  'av-transcoder': { dockerfile: 'infra/docker/Dockerfile', args: { APP: 'av-transcoder' } },
  migrate: { dockerfile: 'infra/docker/migrate.Dockerfile', args: {}, keepsPrisma: true },
};

/** The gateway's deployed node_modules must stay under this many bytes (issue 12). */
export const GATEWAY_NODE_MODULES_LIMIT = 150 * 1024 * 1024;

/**
 * Parses a Dockerfile into stages: `[{ name, from, instructions: [{ op, args }] }]` (continuation lines joined,
 * comments dropped; `op` upper-cased). Global `ARG`s before the first FROM are in stage `name: null`.
 */
export function parseDockerfile(text) {
  const lines = [];
  let buf = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!buf && (/^\s*#/.test(line) || !line.trim())) continue;
    if (buf && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' ';
      continue;
    }
    lines.push((buf + line).trim());
    buf = '';
  }
  const stages = [{ name: null, from: null, instructions: [] }];
  for (const line of lines) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const args = m[2];
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ name: f[2] ?? null, from: f[1], instructions: [] });
    } else stages.at(-1).instructions.push({ op, args });
  }
  return stages;
}

/** Substitutes `${NAME}` and `$NAME` from `vars` (unknown names are left as they are). */
function expand(s, vars) {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a, b) => (vars[a ?? b] !== undefined ? vars[a ?? b] : all));
}

/** A matcher for .dockerignore patterns (Go filepath.Match plus `**`, `!` exceptions; last match wins). */
export function dockerignoreMatcher(text) {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          // `**/` is any number of whole directories (none included); a trailing `**` is anything.
          i++;
          if (pattern[i + 1] === '/') {
            re += '(?:.*/)?';
            i++;
          } else re += '.*';
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      // A pattern matching a directory excludes everything below it.
      return { negate, re: new RegExp(`^${re}(/.*)?$`) };
    });
  return (file) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(file)) ignored = !r.negate;
    return ignored;
  };
}

/** Runs `cmd` with `sh -c` (or, given an array, that program and its arguments without a shell). */
function sh(cmd, { cwd, env, log }) {
  return new Promise((resolve, reject) => {
    const [file, args] = Array.isArray(cmd) ? [cmd[0], cmd.slice(1)] : ['sh', ['-c', cmd]];
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      log.push(`$ ${cmd}\n${out}`);
      if (code === 0) resolve(out);
      else reject(new Error(`\`${cmd}\` exited with ${code} in ${cwd}\n${out.slice(-4000)}`));
    });
  });
}

function du(dir) {
  if (!fs.existsSync(dir)) return 0;
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split(/\s+/)[0]) || 0;
}

/** The build context as `docker build .` sends it, copied into `dest`. Returns the number of files. */
function makeContext(dest) {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const ignored = dockerignoreMatcher(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
  let n = 0;
  for (const file of listed.stdout.split('\0')) {
    if (!file || ignored(file) || !fs.existsSync(path.join(ROOT, file))) continue;
    fs.mkdirSync(path.join(dest, path.dirname(file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dest, file));
    n++;
  }
  return n;
}

/** Maps an absolute path inside the image (`/repo/...`) to the emulated stage directory. */
function stagePath(p, stageRoots, workdir) {
  for (const [prefix, dir] of Object.entries(stageRoots)) {
    if (p === prefix || p.startsWith(prefix + '/')) return path.join(dir, p.slice(prefix.length));
  }
  return path.isAbsolute(p) ? null : path.join(workdir, p);
}

function copyInto(src, dest, destIsDir) {
  if (!fs.existsSync(src)) throw new Error(`COPY source ${src} does not exist`);
  if (fs.statSync(src).isDirectory()) fs.cpSync(src, dest, { recursive: true });
  else fs.cpSync(src, destIsDir ? path.join(dest, path.basename(src)) : dest);
}

/**
 * Emulates one image's build in `tmp/<name>`; resolves to `{ name, ok, nodeModulesBytes, deployBytes, seconds,
 * error? }`. `store` is this machine's pnpm store (the cache mount), `turboCache` a Turborepo cache directory.
 */
export async function emulateImage(name, { tmp, context, store, turboCache }) {
  const spec = IMAGES[name];
  const started = Date.now();
  const log = [];
  const dir = path.join(tmp, name);
  const result = { name, ok: false, nodeModulesBytes: 0, deployBytes: 0, seconds: 0 };
  try {
    const stages = parseDockerfile(fs.readFileSync(path.join(ROOT, spec.dockerfile), 'utf8'));
    const vars = { ...spec.args };
    for (const ins of stages[0].instructions) {
      const m = /^(\w+)=(.*)$/.exec(ins.args);
      if (ins.op === 'ARG' && m) vars[m[1]] ??= m[2];
    }
    const byName = Object.fromEntries(stages.filter((s) => s.name).map((s) => [s.name, s]));
    for (const needed of ['pruner', 'builder', 'runner'])
      if (!byName[needed]) throw new Error(`${spec.dockerfile} has no stage "${needed}"`);
    const env = {
      ...process.env,
      CI: 'true',
      TURBO_CACHE_DIR: turboCache,
      TURBO_TELEMETRY_DISABLED: '1',
      DO_NOT_TRACK: '1',
      COREPACK_ENABLE_STRICT: '0',
      npm_config_manage_package_manager_versions: 'false',
    };
    // A docker build has none of these; `pnpm exec`/`pnpm test` export them (see the Dockerfile's build step).
    delete env.pnpm_config_verify_deps_before_run;
    delete env.npm_config_verify_deps_before_run;
    for (const ins of byName.base?.instructions ?? []) {
      if (ins.op !== 'ENV') continue;
      for (const [, k, v] of ins.args.matchAll(/(\w+)=(\S+)/g))
        if (k === 'CI' || k === 'NODE_ENV') env[k] = v;
    }

    // Pruner: COPY . . then its RUN lines (turbo prune) in a copy of the context.
    const pruneRoot = path.join(dir, 'pruner');
    fs.cpSync(context, pruneRoot, { recursive: true });
    const turbo = path.join(ROOT, 'node_modules', '.bin', 'turbo');
    for (const ins of byName.pruner.instructions) {
      if (ins.op !== 'RUN') continue;
      const cmd = expand(ins.args, vars).replace(/^turbo\b/, JSON.stringify(turbo));
      await sh(cmd, { cwd: pruneRoot, env, log });
    }
    if (!fs.existsSync(path.join(pruneRoot, 'out', 'json')))
      throw new Error('the pruner stage produced no out/json (turbo prune --docker)');

    // Builder: its COPY and RUN lines, in order.
    const buildRoot = path.join(dir, 'builder');
    fs.mkdirSync(buildRoot, { recursive: true });
    const roots = { '/repo': buildRoot };
    const workdir = buildRoot;
    for (const ins of byName.builder.instructions) {
      const args = expand(ins.args, vars);
      if (ins.op === 'ARG' || ins.op === 'ENV') continue;
      if (ins.op === 'WORKDIR') {
        if (args !== '/repo') throw new Error(`builder WORKDIR ${args}: the emulation expects /repo`);
        continue;
      }
      if (ins.op === 'COPY') {
        const parts = args.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const paths = parts.filter((p) => !p.startsWith('--'));
        const destRaw = paths.pop();
        const dest = stagePath(destRaw, roots, workdir);
        const destIsDir = destRaw.endsWith('/') || destRaw === '.' || paths.length > 1;
        if (destIsDir) fs.mkdirSync(dest, { recursive: true });
        for (const src of paths) {
          if (from && from !== 'pruner')
            throw new Error(`COPY --from=${from}: the emulation knows only pruner`);
          const real = from ? stagePath(src, { '/repo': pruneRoot }, pruneRoot) : path.join(context, src);
          if (src.endsWith('/') && fs.statSync(real).isDirectory())
            fs.cpSync(real, dest, { recursive: true });
          else copyInto(real, dest, destIsDir);
        }
        continue;
      }
      if (ins.op === 'RUN') {
        const cmd = args
          .replace(/^turbo\b/, JSON.stringify(turbo))
          .replace(/--mount=\S+\s*/g, '')
          .replace(/--store-dir\s+\S+/g, `--store-dir ${JSON.stringify(store)}`);
        await sh(cmd, { cwd: workdir, env, log });
        continue;
      }
      throw new Error(`builder instruction ${ins.op} is not emulated`);
    }

    // Runner: what it copies from the builder, and the CMD's entry file.
    let deployDir = null;
    for (const ins of byName.runner.instructions) {
      if (ins.op !== 'COPY') continue;
      const parts = expand(ins.args, vars).split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      if (from !== 'builder') continue;
      const src = parts.filter((p) => !p.startsWith('--'))[0];
      deployDir = stagePath(src, roots, workdir);
      if (!fs.existsSync(deployDir)) throw new Error(`runner: COPY --from=builder ${src}: not produced`);
    }
    if (!deployDir) throw new Error('runner copies nothing from the builder stage');
    const cmdIns = byName.runner.instructions.findLast((i) => i.op === 'CMD');
    const cmdArgs = JSON.parse(cmdIns.args);
    const entry = cmdArgs.find((a, i) => i > 0 && /\.(m?js|cjs)$/.test(a));
    if (entry && !fs.existsSync(path.join(deployDir, entry)))
      throw new Error(`runner: CMD entry ${entry} is not in the deployed directory`);
    const pkg = JSON.parse(fs.readFileSync(path.join(deployDir, 'package.json'), 'utf8'));
    const deps = Object.keys(pkg.dependencies ?? {});
    const probe = `for (const d of ${JSON.stringify(deps)}) { try { require.resolve(d + '/package.json'); } catch { require.resolve(d); } }`;
    await sh([process.execPath, '-e', probe], {
      cwd: deployDir,
      env: { ...env, NODE_ENV: 'production' },
      log,
    });
    // Loading the app's root module loads every module it imports (and their peers): what `node dist/main.js` needs
    // before it reads its environment. Nothing starts: no Nest application is created. A module that validates the
    // environment when loaded (av-transcoder's) fails with EnvValidationError after its imports have loaded: that
    // counts as loaded.
    if (fs.existsSync(path.join(deployDir, 'dist', 'app.module.js'))) {
      const load =
        "require('reflect-metadata'); try { require('./dist/app.module.js'); } catch (e) { if (e.name !== 'EnvValidationError') throw e; }";
      await sh([process.execPath, '-e', load], {
        cwd: deployDir,
        env: { ...env, NODE_ENV: 'production' },
        log,
      });
      result.loadedAppModule = true;
    }
    if (deps.includes('@vellum/db') && (await tcpReachable('127.0.0.1', 5432))) {
      // A real query through the deployed Prisma client (its PostgreSQL query compiler) and pg.
      const url = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
      const smoke = `const db = require('@vellum/db'); const c = db.createPrismaClient(process.env.SMOKE_URL); c.$queryRawUnsafe('SELECT 1 AS one').then(async (r) => { await c.$disconnect(); if (r[0].one !== 1) process.exit(2); }, (e) => { console.error(e); process.exit(1); });`;
      await sh([process.execPath, '-e', smoke], {
        cwd: deployDir,
        env: { ...env, NODE_ENV: 'production', SMOKE_URL: url },
        log,
      });
      result.smokeQuery = true;
    }
    const nodeModules = path.join(deployDir, 'node_modules');
    const hasPrismaCli =
      fs.existsSync(path.join(nodeModules, 'prisma')) ||
      (fs.existsSync(path.join(nodeModules, '.pnpm')) &&
        fs.readdirSync(path.join(nodeModules, '.pnpm')).some((d) => d.startsWith('prisma@')));
    if (hasPrismaCli && !spec.keepsPrisma)
      throw new Error(
        'the deployed node_modules holds the Prisma CLI (prisma): only the migration image may',
      );
    if (!hasPrismaCli && spec.keepsPrisma) throw new Error('the migration image has no Prisma CLI');
    result.nodeModulesBytes = du(nodeModules);
    result.deployBytes = du(deployDir);
    result.ok = true;
  } catch (err) {
    result.error = err.message;
    result.log = log.join('\n').slice(-8000);
  }
  result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  return result;
}

const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** Emulates `names` (default: every image) in a fresh temporary directory; resolves to the list of results. */
export async function emulateImages(names = Object.keys(IMAGES), { keep = false, quiet = false } = {}) {
  for (const n of names)
    if (!IMAGES[n]) throw new Error(`unknown image "${n}" (known: ${Object.keys(IMAGES)})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-image-build-'));
  const results = [];
  try {
    const store = spawnSync('pnpm', ['store', 'path'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    if (!store) throw new Error('`pnpm store path` printed nothing');
    const context = path.join(tmp, 'context');
    const files = makeContext(context);
    if (!quiet) step(`Build context: ${files} files (after .dockerignore), pnpm store ${store}`);
    const turboCache = path.join(tmp, 'turbo-cache');
    for (const name of names) {
      if (!quiet) step(`Emulating image ${bold(name)}`);
      const r = await emulateImage(name, { tmp, context, store, turboCache });
      results.push(r);
      if (!quiet)
        console.log(
          r.ok
            ? green(
                `  ✓ ${name}: node_modules ${mb(r.nodeModulesBytes)}, /app ${mb(r.deployBytes)} (${r.seconds} s)`,
              )
            : red(`  ✗ ${name}: ${r.error}`),
        );
      if (!keep) fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
    }
  } finally {
    if (keep) console.log(`Kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const names = argv.filter((a) => !a.startsWith('--'));
  const results = await emulateImages(names.length ? names : undefined, { keep: argv.includes('--keep') });
  const gateway = results.find((r) => r.name === 'api-gateway');
  let failed = results.some((r) => !r.ok);
  for (const r of results) if (!r.ok && r.log) console.error(r.log);
  if (gateway?.ok && gateway.nodeModulesBytes >= GATEWAY_NODE_MODULES_LIMIT) {
    console.error(red(`✗ api-gateway node_modules is ${mb(gateway.nodeModulesBytes)} (limit 150 MB)`));
    failed = true;
  }
  if (argv.includes('--json')) console.log(JSON.stringify(results.map(({ log, ...r }) => r)));
  process.exit(failed ? 1 : 0);
}
