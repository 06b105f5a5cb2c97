// Container images (issue 12, SPEC.md §9), checked without a Docker engine: the Dockerfiles' rules, then every
// image's build stages emulated on the filesystem by scripts/image-build.mjs (prune → install from the lockfile →
// build → pnpm deploy --prod → runtime checks), with each image's deployed node_modules size reported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../lib.mjs';
import {
  GATEWAY_NODE_MODULES_LIMIT,
  IMAGES,
  dockerignoreMatcher,
  emulateImages,
  parseDockerfile,
} from '../image-build.mjs';

const read = (p) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const APP_DOCKERFILE = read('infra/docker/Dockerfile');
const MIGRATE_DOCKERFILE = read('infra/docker/migrate.Dockerfile');

describe('Dockerfiles', () => {
  it('are one parameterised Dockerfile and the migration image, nothing else', () => {
    const r = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const dockerfiles = r.stdout
      .split('\n')
      .filter((f) => /(^|\/)([^/]*\.)?Dockerfile$/.test(f))
      .sort();
    assert.deepEqual(dockerfiles, ['infra/docker/Dockerfile', 'infra/docker/migrate.Dockerfile']);
    assert.match(APP_DOCKERFILE, /^ARG APP$/m);
  });

  for (const [name, text] of [
    ['Dockerfile', APP_DOCKERFILE],
    ['migrate.Dockerfile', MIGRATE_DOCKERFILE],
  ]) {
    it(`${name}: Node 24, numeric non-root USER, pnpm cache mounts, the root tsconfig`, () => {
      const stages = parseDockerfile(text);
      assert.match(text, /^ARG NODE_IMAGE=node:24-/m);
      const names = stages.map((s) => s.name).filter(Boolean);
      for (const s of stages.slice(1))
        assert.ok(s.from === '${NODE_IMAGE}' || names.includes(s.from), `stage ${s.name} FROM ${s.from}`);
      const runner = stages.find((s) => s.name === 'runner');
      const user = runner.instructions.findLast((i) => i.op === 'USER');
      assert.match(user?.args ?? '', /^[1-9]\d*(:\d+)?$/, 'USER must be numeric and non-root');
      const builder = stages.find((s) => s.name === 'builder');
      const runs = builder.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
      for (const r of runs.filter((r) => /pnpm (install|.*deploy)/.test(r)))
        assert.match(r, /--mount=type=cache,id=pnpm-store,target=\/pnpm\/store/, `no cache mount: ${r}`);
      assert.ok(runs.some((r) => /pnpm install --frozen-lockfile/.test(r)));
      assert.ok(
        builder.instructions.some((i) => i.op === 'COPY' && /tsconfig\.base\.json/.test(i.args)),
        'turbo prune leaves out tsconfig.base.json: the builder must copy it',
      );
    });
  }

  it('the service images run under tini and deploy production dependencies only', () => {
    assert.match(APP_DOCKERFILE, /ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    assert.match(APP_DOCKERFILE, /deploy --legacy --prod /);
    const migrateDeploy = parseDockerfile(MIGRATE_DOCKERFILE)
      .flatMap((st) => st.instructions)
      .find((i) => i.op === 'RUN' && / deploy /.test(i.args));
    assert.doesNotMatch(
      migrateDeploy.args,
      /--prod/,
      'the migration image needs the Prisma CLI (a devDependency)',
    );
    const db = JSON.parse(read('packages/db/package.json'));
    assert.equal(db.dependencies.prisma, undefined, 'prisma (the CLI) must be a devDependency of @vellum/db');
    assert.ok(db.devDependencies.prisma);
  });

  it('.dockerignore keeps .env files (but not .env.example) and host builds out of the context', () => {
    const ignored = dockerignoreMatcher(read('.dockerignore'));
    for (const f of [
      '.env',
      'apps/api-gateway/.env',
      'apps/x/.env.local',
      'node_modules/x',
      'apps/x/dist/main.js',
    ])
      assert.ok(ignored(f), `${f} is sent to the build`);
    for (const f of [
      'apps/api-gateway/.env.example',
      'apps/auth-service/src/auth-service.env.ts',
      'pnpm-lock.yaml',
    ])
      assert.ok(!ignored(f), `${f} is left out of the build`);
  });
});

describe('image builds, emulated on the filesystem', { timeout: 20 * 60_000 }, () => {
  it('every image builds; the gateway deploys under 150 MB of node_modules', async () => {
    const results = await emulateImages(Object.keys(IMAGES), { quiet: true });
    const mb = (b) => (b / 1024 / 1024).toFixed(1);
    for (const r of results)
      console.log(
        `# ${r.name}: ${r.ok ? `node_modules ${mb(r.nodeModulesBytes)} MB, /app ${mb(r.deployBytes)} MB` : 'FAILED'} (${r.seconds} s)`,
      );
    for (const r of results) assert.ok(r.ok, `${r.name}: ${r.error}\n${r.log ?? ''}`);
    const gateway = results.find((r) => r.name === 'api-gateway');
    assert.ok(
      gateway.nodeModulesBytes < GATEWAY_NODE_MODULES_LIMIT,
      `api-gateway node_modules ${mb(gateway.nodeModulesBytes)} MB >= 150 MB`,
    );
  });
});
