// Every variable an app's env class declares is listed in that app's `.env.example`, and nothing else is (run by
// `npm test` after the build: it reads the class-validator metadata of the built env classes in apps/*/dist).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../lib.mjs';

/** app → the built module and class of its env (what `main.ts` validates). */
const ENV_CLASSES = {
  'api-gateway': ['dist/config/gateway-env.js', 'GatewayEnv'],
  'auth-service': ['dist/auth-service.env.js', 'AuthServiceEnv'],
  'av-transcoder': ['dist/av-transcoder.env.js', 'AvTranscoderEnv'],
  'iiif-delivery': ['dist/env.js', 'DeliveryEnv'],
  'image-processor': ['dist/image-processor.env.js', 'ImageProcessorEnv'],
  'ingest-orchestrator': ['dist/orchestrator.env.js', 'OrchestratorEnv'],
};

/** Names of the properties of `cls` (inherited ones included) that carry class-validator decorators. */
function declaredVariables(app, file, className) {
  const require = createRequire(path.join(ROOT, 'apps', app, 'package.json'));
  const cls = require(path.join(ROOT, 'apps', app, file))[className];
  assert.equal(typeof cls, 'function', `${app}: ${className} not exported by ${file} (built?)`);
  const { getMetadataStorage } = require('class-validator');
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', false, false);
  return new Set(metas.map((m) => m.propertyName));
}

/** `NAME` of every `NAME=value` or `# NAME=value` line. */
function exampleVariables(app) {
  const text = fs.readFileSync(path.join(ROOT, 'apps', app, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
}

describe('.env.example lists the env class', () => {
  for (const [app, [file, className]] of Object.entries(ENV_CLASSES)) {
    it(`${app}: every variable of ${className}, and only those`, () => {
      const declared = declaredVariables(app, file, className);
      const listed = exampleVariables(app);
      assert.ok(declared.has('PORT') && declared.has('HOST'), 'reads the metadata');
      assert.deepEqual([...declared].filter((v) => !listed.has(v)).sort(), [], 'missing from .env.example');
      assert.deepEqual([...listed].filter((v) => !declared.has(v)).sort(), [], 'listed but not declared');
    });
  }
});
