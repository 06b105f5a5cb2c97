#!/usr/bin/env node
// `npm test`: set up (if needed), check PostgreSQL and RabbitMQ, then run lint, typecheck and every
// package's tests (unit, integration against real Postgres/RabbitMQ/S3 server, and the end-to-end suite)
// through Turborepo, after the node:test suites of the scripts themselves (`scripts/test/*.test.mjs`, e.g. the
// supervisor of `npm start`). Ends with one summary line, `Tests: N passed, N failed`, summed over every run.
// Extra arguments go to turbo (e.g. `npm test -- --filter @vellum/iiif`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setup } from './setup.mjs';
import { ROOT, DEFAULTS, checkInfrastructure, bold, green, red, run } from './lib.mjs';

/** The sources Prettier keeps formatted (also what `pnpm format` writes). */
const FORMATTED = [
  'apps/*/{src,test,scripts}/**/*.{ts,js,mjs}',
  'packages/*/{src,test,scripts,bin}/**/*.{ts,js,mjs}',
  'scripts/**/*.mjs',
  '*.mjs',
];

const started = Date.now();
await setup({ quiet: true });
await checkInfrastructure({
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? DEFAULTS.DATABASE_URL,
  AMQP_URL: process.env.TEST_AMQP_URL ?? DEFAULTS.AMQP_URL,
});
console.log(bold('Checking formatting (prettier --check)'));
try {
  await run('pnpm', ['exec', 'prettier', '--check', '--log-level=warn', ...FORMATTED]);
} catch {
  console.error(red('✗ Some files are not formatted: run `pnpm format` and commit the result.'));
  process.exit(1);
}
const totals = { passed: 0, failed: 0, skipped: 0 };

console.log(bold('Testing the scripts (node --test scripts/test/)'));
// The spec reporter ends with e.g. "ℹ pass 6", "ℹ fail 0", "ℹ skipped 0".
const NODE_TEST_SUMMARY = /^(?:ℹ|#)\s*(pass|fail|skipped)\s+(\d+)\s*$/;
const scriptTests = fs
  .readdirSync(path.join(ROOT, 'scripts', 'test'))
  .filter((f) => f.endsWith('.test.mjs'))
  .map((f) => path.join('scripts', 'test', f));
const scriptsCode = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...scriptTests], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    out += d.toString();
  });
  child.on('exit', (c) => {
    for (const line of out.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
      const m = NODE_TEST_SUMMARY.exec(line.trim());
      if (m) totals[{ pass: 'passed', fail: 'failed', skipped: 'skipped' }[m[1]]] += Number(m[2]);
    }
    resolve(c ?? 1);
  });
});

console.log(bold('Running lint, typecheck and every test (unit, integration, end-to-end)'));

// Jest's summary line, e.g. "Tests:       1 failed, 2 skipped, 40 passed, 43 total".
const JEST_SUMMARY = /Tests:\s+(.*\d+ total)/;
let pending = '';
function scan(chunk) {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const m = JEST_SUMMARY.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!m) continue;
    for (const [, n, kind] of m[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[kind] += Number(n);
  }
}

const turboCode = await new Promise((resolve) => {
  const child = spawn(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'lint',
      'typecheck',
      'test',
      '--concurrency=2',
      '--log-order=grouped',
      ...process.argv.slice(2),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    scan(d.toString());
  });
  child.on('exit', (c) => resolve(c ?? 1));
});
scan('\n');
const code = turboCode !== 0 ? turboCode : scriptsCode;

const secs = ((Date.now() - started) / 1000).toFixed(1);
const summary = `Tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`;
if (code !== 0) {
  console.error(red(`✗ Lint, typecheck or tests failed after ${secs} s (see above)`));
  console.log(summary);
  process.exit(code);
}
console.log(green(`✓ Lint, typecheck and all tests passed in ${secs} s`));
console.log(summary);
