/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document and bodies are untyped JSON */
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { startTestGateway, type TestGateway } from './harness';

/**
 * The wire contract as a client meets it (SPEC.md §3.1):
 * - the OpenAPI document is valid OpenAPI 3 (checked by `@apidevtools/swagger-parser`), and every operation
 *   documents its request body (writes) and a success response with a schema;
 * - every link any resource renders resolves: a crawl from the entry point and a customer's resources follows
 *   every absolute API URL found in any response and expects 200;
 * - every response met on the way validates (ajv) against the schema its operation documents, with no property
 *   the schema does not list.
 */
describe('OpenAPI document, links and response schemas (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let c: number;
  let doc: any;

  beforeAll(async () => {
    gw = await startTestGateway();
    const setup = await gw.call('POST', '/setup');
    admin = `${setup.json.key}:${setup.json.secret}`;
    c = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'linkco', displayName: 'Link Co' } })
    ).json.id;
    await gw.call('POST', `/customers/${c}/keys`, { key: admin });
    await gw.call('POST', `/customers/${c}/spaces`, { key: admin, body: { name: 'books' } });
    // Access control (issue 10): a role (on the asset, so its URI is crawled), an OIDC role provider, a user.
    await gw.call('POST', `/customers/${c}/roles`, {
      key: admin,
      body: { name: 'staff', label: { en: ['Staff'] } },
    });
    await gw.call('POST', `/customers/${c}/roleProviders`, {
      key: admin,
      body: {
        name: 'sso',
        type: 'oidc',
        issuer: 'https://login.example.org',
        clientId: 'vellum',
        clientSecret: 'secret',
        claim: 'groups',
        roleMapping: { staff: ['staff'] },
      },
    });
    await gw.call('POST', `/customers/${c}/users`, {
      key: admin,
      body: { username: 'alice', password: 'long enough', roles: ['staff'] },
    });
    const asset = {
      origin: 'https://example.org/a1.jpg',
      mediaType: 'image/jpeg',
      string1: 's',
      tags: ['t'],
      roles: ['staff'],
    };
    await gw.call('PUT', `/customers/${c}/spaces/1/images/a1`, { key: admin, body: asset });
    await gw.call('POST', `/customers/${c}/queue`, {
      key: admin,
      body: { member: [{ space: 1, id: 'q1', ...asset }] },
    });
    doc = (await gw.call('GET', '/openapi.json')).json;
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  it('documents a request schema for every write and a success schema for every operation', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const name = `${method.toUpperCase()} ${path}`;
        const success = Object.entries<any>(op.responses ?? {}).filter(([s]) => /^2\d\d$/.test(s));
        if (!success.length) missing.push(`${name}: no 2xx response`);
        for (const [status, r] of success) {
          if (status === '204') continue;
          const schema = Object.values<any>(r.content ?? {}).find((m) => m.schema)?.schema;
          if (!schema) missing.push(`${name}: ${status} has no schema`);
        }
        const body = op.requestBody?.content;
        if (body && !Object.values<any>(body).some((m) => m.schema))
          missing.push(`${name}: body without schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  /** Compiled validators of each GET operation's 200 schema, keyed by path template. */
  function validators(): { template: string; re: RegExp; validate: ValidateFunction }[] {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // Resource schemas (field tables: a `@type` enum) may not carry undocumented properties.
    const schemas = structuredClone(doc.components?.schemas ?? {});
    for (const s of Object.values<any>(schemas))
      if (s?.properties?.['@type']?.enum && s.additionalProperties === undefined)
        s.additionalProperties = false;
    for (const [name, s] of Object.entries<any>(schemas)) ajv.addSchema(s, `#/components/schemas/${name}`);
    const rewrite = (schema: any): any => JSON.parse(JSON.stringify(schema));
    const out: { template: string; re: RegExp; validate: ValidateFunction }[] = [];
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      const schema = item.get?.responses?.['200']?.content?.['application/json']?.schema;
      if (!schema) continue;
      const re = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
      out.push({ template, re, validate: ajv.compile(rewrite(schema)) });
    }
    // Most specific first: literal segments beat parameters.
    return out.sort((x, y) =>
      (y.template.match(/\{/g)?.length ?? 0) < (x.template.match(/\{/g)?.length ?? 0) ? 1 : -1,
    );
  }

  it('follows every link of everything it created: each resolves and matches its documented schema', async () => {
    const checks = validators();
    const base = gw.base;
    const seen = new Set<string>();
    const queue = [`${base}/`, `${base}/customers/${c}`, `${base}/customers/${c}/spaces/1/images/a1`];
    const broken: string[] = [];
    const invalid: string[] = [];
    const links = (value: unknown, out: string[]) => {
      if (typeof value === 'string') {
        if (value.startsWith(`${base}/`)) out.push(value);
      } else if (Array.isArray(value)) value.forEach((v) => links(v, out));
      else if (value && typeof value === 'object') Object.values(value).forEach((v) => links(v, out));
    };
    while (queue.length && seen.size < 400) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const r = await gw.call('GET', url.slice(base.length), { key: admin });
      if (r.status !== 200) {
        broken.push(`${url} → ${r.status}`);
        continue;
      }
      const path = new URL(url).pathname;
      const check = checks.find((k) => k.re.test(path));
      if (check && !check.validate(r.json))
        invalid.push(`${path} (${check.template}): ${JSON.stringify(check.validate.errors?.slice(0, 3))}`);
      const found: string[] = [];
      links(r.json, found);
      for (const f of found) if (!seen.has(f)) queue.push(f);
    }
    console.log(`link crawl: ${seen.size} URLs followed`);
    expect(broken).toEqual([]);
    expect(invalid).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  }, 300_000);
});
