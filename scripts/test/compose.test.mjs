// docker-compose.yml checks (run by `npm test`, offline, no Docker engine): Debian's `docker-compose config`
// (skipped with a message where the binary is missing), the Compose Specification JSON schema vendored in
// infra/schemas/compose-spec.json (see infra/schemas/README.md for its provenance), and the file's own rules:
// pinned images that are still published, supported RabbitMQ and Postgres, only the gateway, delivery and auth
// published (on 127.0.0.1), and each service given only the secrets it uses (issue 12, SPEC.md §9).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, has } from '../lib.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const YAML = require('yaml');
const Ajv2019 = require('ajv/dist/2019').default;

const FILE = path.join(ROOT, 'docker-compose.yml');
const compose = YAML.parse(fs.readFileSync(FILE, 'utf8'), { merge: true });
const APPS = [
  'api-gateway',
  'iiif-delivery',
  'auth-service',
  'ingest-orchestrator',
  'image-processor',
  'av-transcoder',
];
/** Which app may see which secret (the env vars each reads; see each app's .env.example). */
const SECRETS = {
  VELLUM_SECRETS_KEY: ['api-gateway', 'auth-service', 'ingest-orchestrator'],
  VELLUM_AUTH_SIGNING_KEY: ['iiif-delivery', 'auth-service'],
  VELLUM_ADMIN_SECRET: ['api-gateway'],
  S3_SECRET_KEY: ['api-gateway', 'iiif-delivery', 'ingest-orchestrator', 'image-processor', 'av-transcoder'],
};

/** The schema without its draft-04 style `id` strings (Ajv rejects `id`) and `$schema` (an alias Ajv lacks). */
function loadSchema() {
  const strip = (o) => {
    if (Array.isArray(o)) return o.map(strip);
    if (!o || typeof o !== 'object') return o;
    return Object.fromEntries(
      Object.entries(o)
        .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(JSON.parse(fs.readFileSync(path.join(ROOT, 'infra', 'schemas', 'compose-spec.json'), 'utf8')));
}

function validator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(\$\{[^}]+\}|[0-9.:-]|\[[0-9a-f:]+\])+(\/(tcp|udp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('subnet_ip_address', () => true);
  return ajv.compile(loadSchema());
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose config (Debian docker-compose)', (t) => {
    if (!has('docker-compose')) {
      t.skip('docker-compose is not installed (scripts/setup.mjs installs Debian docker-compose): skipped');
      return;
    }
    const r = spawnSync('docker-compose', ['-f', FILE, 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, VELLUM_SECRETS_KEY: 'test-only', VELLUM_AUTH_SIGNING_KEY: 'test-only' },
    });
    assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}${r.stdout}`);
    // Without the required secrets, it must refuse (no default for a secret outside local development).
    const bare = { ...process.env };
    delete bare.VELLUM_SECRETS_KEY;
    delete bare.VELLUM_AUTH_SIGNING_KEY;
    const r2 = spawnSync('docker-compose', ['-f', FILE, 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: bare,
    });
    assert.notEqual(r2.status, 0, 'compose accepted the file with no VELLUM_SECRETS_KEY');
    assert.match(r2.stderr, /VELLUM_SECRETS_KEY|VELLUM_AUTH_SIGNING_KEY/);
  });

  it('matches the Compose Specification schema', () => {
    const validate = validator();
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    // The schema rejects what it should: a misspelt service key.
    const bad = structuredClone(compose);
    bad.services.postgres.helthcheck = { test: ['CMD', 'true'] };
    assert.equal(validate(bad), false);
  });

  it('pins every image to a version and pulls none from a removed repository', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build) continue;
      assert.ok(svc.image, `${name} has neither image nor build`);
      assert.doesNotMatch(svc.image, /:latest$|^[^:]+$/, `${name}: image ${svc.image} is not pinned`);
      assert.doesNotMatch(
        svc.image,
        /^(docker\.io\/)?minio\//,
        `${name}: minio/* left Docker Hub in September 2026`,
      );
    }
    assert.match(compose.services.rabbitmq.image, /^rabbitmq:4\.\d/);
    assert.match(compose.services.postgres.image, /^postgres:17(\.|-|$)/);
  });

  it('builds the six services from the one Dockerfile and migrates before they start', () => {
    for (const app of APPS) {
      const svc = compose.services[app];
      assert.ok(svc, `no service ${app}`);
      assert.equal(svc.build.dockerfile, 'infra/docker/Dockerfile');
      assert.equal(svc.build.args.APP, app);
      assert.equal(svc.depends_on.migrate.condition, 'service_completed_successfully');
      assert.equal(svc.depends_on['minio-buckets'].condition, 'service_completed_successfully');
      assert.ok(svc.init, `${app}: no init (tini) to reap children and forward SIGTERM`);
      assert.ok(svc.stop_grace_period, `${app}: no stop_grace_period`);
    }
    assert.equal(compose.services.migrate.build.dockerfile, 'infra/docker/migrate.Dockerfile');
    for (const infra of ['postgres', 'rabbitmq', 'minio'])
      assert.ok(compose.services[infra].healthcheck, infra);
  });

  it('publishes ports on 127.0.0.1 only, none on the usual Postgres or RabbitMQ ports', () => {
    const published = {};
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const p of svc.ports ?? []) {
        assert.match(String(p), /^127\.0\.0\.1:/, `${name}: ${p} is not bound to 127.0.0.1`);
        const host = /^127\.0\.0\.1:(?:\$\{[A-Z_]+:-)?(\d+)\}?:/.exec(p)?.[1];
        assert.ok(host, `${name}: ${p} has no default host port`);
        assert.ok(
          !['5432', '5672', '15672', '9000', '9001'].includes(host),
          `${name} publishes ${host} (clashes)`,
        );
        published[name] = true;
      }
    }
    assert.deepEqual(Object.keys(published).sort(), [
      'api-gateway',
      'auth-service',
      'iiif-delivery',
      'postgres',
      'rabbitmq',
    ]);
  });

  it('gives each service only the secrets it uses', () => {
    for (const [secret, allowed] of Object.entries(SECRETS)) {
      for (const app of APPS) {
        const has = Object.hasOwn(compose.services[app].environment ?? {}, secret);
        assert.equal(has, allowed.includes(app), `${app} ${has ? 'has' : 'lacks'} ${secret}`);
      }
    }
    for (const app of APPS) assert.ok(compose.services[app].environment.AMQP_URL, `${app}: AMQP_URL`);
  });
});
