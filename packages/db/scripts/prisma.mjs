#!/usr/bin/env node
// Runs the package-local Prisma CLI offline (see ../README.md):
//   node scripts/prisma.mjs generate
//   DATABASE_URL=postgresql://... node scripts/prisma.mjs migrate deploy
//   node scripts/prisma.mjs migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script
// Prisma 6.19 would otherwise try to download native engines from the vendor's server (unreachable here). We use
// the JS schema engine (prisma.config.ts) and the client engine, so the native engine paths only need to point at
// an existing executable: `true`. Works from any cwd; the CLI runs with the package directory as cwd.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(pkgDir, 'package.json'));

function trueBinary() {
  for (const candidate of ['/usr/bin/true', '/bin/true']) if (existsSync(candidate)) return candidate;
  return execFileSync('sh', ['-c', 'command -v true'], { encoding: 'utf8' }).trim();
}

const args = process.argv.slice(2);
const env = { ...process.env };
const truePath = trueBinary();
env.PRISMA_SCHEMA_ENGINE_BINARY = truePath;
env.PRISMA_QUERY_ENGINE_LIBRARY = truePath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';
env.PRISMA_DISABLE_WARNINGS ??= '1';
if (!env.DATABASE_URL) {
  if (args[0] === 'migrate' && args[1] === 'diff') {
    // The JS schema engine opens a connection even to diff two files (it reads the server version); it creates
    // nothing. Default to the local development server.
    env.DATABASE_URL = env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  } else if (args[0] !== 'migrate' && args[0] !== 'db') {
    // `generate`, `validate`, `format` never connect, but the schema still validates env("DATABASE_URL").
    env.DATABASE_URL = 'postgresql://offline@127.0.0.1:5432/offline';
  }
}

if (!env.DATABASE_URL) {
  console.error(
    `prisma ${args.join(' ')}: DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/vellum)`,
  );
  process.exit(1);
}

const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, ...args], { cwd: pkgDir, env, stdio: 'inherit' });
if (result.error) {
  console.error(result.error);
  process.exit(1);
}
process.exit(result.status ?? 1);
