// Guard (run by `npm test`): configuration is read only through the validated env classes (SPEC.md §9). No source
// file of an app or package reads `process.env` except the few listed below, each for a stated reason; a new
// variable goes into the app's env class (a `BaseEnv`/`StorageEnv` subclass) and is passed down typed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../lib.mjs';

/** Files allowed to read process.env, relative to the repository root, and why. */
const ALLOWED = new Map([
  [
    'packages/common/src/env.ts',
    'validateEnv(cls, env = process.env): the one reader, behind every env class',
  ],
  ['packages/db/src/migrate.ts', 'hands the environment on to the Prisma CLI child process it spawns'],
]);
/** Whole directories of test harness code (never part of a running service). */
const ALLOWED_DIRS = ['packages/testing/src/', 'packages/e2e/src/'];
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;
const READS_ENV = /\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/;

function* sourceFiles(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'generated')
        yield* sourceFiles(p);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !TEST_FILE.test(entry.name)) {
      yield p;
    }
  }
}

/** `{ file, line, text }` of every code line (comments skipped) reading process.env under apps/ and packages/. */
export function envReads(root = ROOT) {
  const hits = [];
  for (const group of ['apps', 'packages']) {
    const base = path.join(root, group);
    if (!fs.existsSync(base)) continue;
    for (const pkg of fs.readdirSync(base)) {
      for (const file of sourceFiles(path.join(base, pkg, 'src'))) {
        const rel = path.relative(root, file).split(path.sep).join('/');
        fs.readFileSync(file, 'utf8')
          .split('\n')
          .forEach((text, i) => {
            const code = text.trim();
            if (code.startsWith('*') || code.startsWith('/*') || code.startsWith('//')) return;
            if (READS_ENV.test(code.replace(/\/\/.*$/, '')))
              hits.push({ file: rel, line: i + 1, text: code });
          });
      }
    }
  }
  return hits;
}

describe('configuration goes through the env classes', () => {
  it('no app or package source reads process.env outside the allowed files', () => {
    const offending = envReads().filter(
      (h) => !ALLOWED.has(h.file) && !ALLOWED_DIRS.some((d) => h.file.startsWith(d)),
    );
    assert.deepEqual(
      offending.map((h) => `${h.file}:${h.line}: ${h.text}`),
      [],
      'declare the variable in the app env class (validated at boot) and pass the typed value down',
    );
  });

  it('the guard sees the reads it is meant to catch', () => {
    const hits = envReads();
    assert.ok(
      hits.some((h) => h.file === 'packages/common/src/env.ts'),
      'finds validateEnv itself',
    );
    for (const code of [
      'const x = process.env.FOO;',
      "const y = process['env'];",
      'const { env } = process;',
      'const { env: e } = process;',
    ])
      assert.match(code, READS_ENV);
    assert.doesNotMatch('const env = validateEnv(AppEnv);', READS_ENV);
  });
});
