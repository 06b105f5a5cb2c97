/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { randomBytes } from 'node:crypto';
import { validateEnv } from '@vellum/common';
import { originStrategiesFor } from '@vellum/db';
import { keyId, openOriginCredentials, resolveOriginStrategy, SecretBox } from '@vellum/secrets';
import { freePort } from '@vellum/testing';
import type { INestApplication } from '@nestjs/common';
import { GatewayEnv } from '../src/config/gateway-env';
import { startGateway } from '../src/gateway';
import {
  caller,
  isProblem,
  seedCustomer,
  startTestGateway,
  type CallResult,
  type TestGateway,
} from './harness';

/**
 * SPEC.md §3.3 "Origin strategies", §1, §4.2, §10: CRUD of a customer's rules, the public list of types, and
 * credentials that are write-only, encrypted at rest (AES-256-GCM, key id, rotation) and never in a response or a
 * log line.
 */
describe('origin strategies (integration)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  /** Every secret a test sends: none may appear in a response, a log line or a database column. */
  const SECRETS = ['s3cr3t-pw-1', 's3cr3t-pw-2', 's3cr3t-pw-3', 's3cr3t-pw-4', 's3cr3t-in-bad-json'];
  const logs: string[] = [];
  const responses: string[] = [];
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  let other: number;

  const os = (customer: number, id = '') => `/customers/${customer}/originStrategies${id ? `/${id}` : ''}`;
  const fields = (res: CallResult) => (res.json?.errors ?? []).map((e: any) => e.field).sort();
  const idOf = (res: CallResult) => (res.json['@id'] as string).split('/').pop()!;
  const row = (id: string) => gw.prisma.originStrategy.findUnique({ where: { id } });
  /** Calls the gateway and keeps every response body for the "no secret in any response" check. */
  const call = async (...args: Parameters<TestGateway['call']>) => {
    const res = await gw.call(...args);
    responses.push(res.text);
    return res;
  };
  const creds = (user: string, password: string) => JSON.stringify({ user, password });

  beforeAll(async () => {
    gw = await startTestGateway(
      { LOG_LEVEL: 'debug', VELLUM_SECRETS_KEY: oldKey.toString('hex') },
      { logDestination: { write: (line: string) => void logs.push(line) } },
    );
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    const created = await gw.call('POST', '/customers', {
      key: admin,
      body: { name: 'other', displayName: 'O' },
    });
    other = created.json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe('the public list of strategy types', () => {
    it('GET /originStrategies and /originStrategies/{name} need no key; every link resolves', async () => {
      const list = await call('GET', '/originStrategies');
      expect(list.status).toBe(200);
      expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 5, pageSize: 100 });
      expect(list.json.member.map((m: any) => [m.name, m.requiresCredentials, m.optimisable])).toEqual([
        ['default', false, false],
        ['basic-http-authentication', true, false],
        ['s3-ambient', false, true],
        ['sftp', true, false],
        ['ftp', true, false],
      ]);
      for (const m of list.json.member) {
        expect(m['@id']).toBe(`${gw.base}/originStrategies/${m.name}`);
        expect(m['@type']).toBe('vocab:OriginStrategy');
        const one = await call('GET', new URL(m['@id']).pathname);
        expect(one.status).toBe(200);
        expect(one.json).toEqual(m);
      }
      const missing = await call('GET', '/originStrategies/http');
      expect(missing.status).toBe(404);
      expect(isProblem(missing)).toBe(true);
      const page = await call('GET', '/originStrategies?pageSize=2&page=3');
      expect(page.json.member.map((m: any) => m.name)).toEqual(['ftp']);
      expect((await call('GET', '/originStrategies?orderBy=name')).status).toBe(400);
    });
  });

  let basic: CallResult;

  it('creates a rule with credentials: 201, Location, credentials "xxx", strategy as the type URL', async () => {
    basic = await call('POST', os(c), {
      key,
      body: {
        strategy: 'basic-http-authentication',
        regex: 'http[s]?://(.*).example.com',
        credentials: creds('reader', 's3cr3t-pw-1'),
        order: 2,
      },
    });
    expect(basic.status).toBe(201);
    expect(basic.json).toEqual({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': expect.stringMatching(new RegExp(`^${gw.base}/customers/${c}/originStrategies/[0-9a-f-]{36}$`)),
      '@type': 'vocab:CustomerOriginStrategy',
      strategy: `${gw.base}/originStrategies/basic-http-authentication`,
      regex: 'http[s]?://(.*).example.com',
      credentials: 'xxx',
      optimised: false,
      order: 2,
      created: expect.any(String),
    });
    expect(basic.headers.get('location')).toBe(basic.json['@id']);
    const get = await call('GET', new URL(basic.json['@id']).pathname, { key });
    expect(get.status).toBe(200);
    expect(get.json).toEqual(basic.json);
    // The strategy link resolves.
    expect((await call('GET', new URL(basic.json.strategy).pathname)).status).toBe(200);
  });

  it('stores the credentials encrypted: the column never holds the plaintext; the orchestrator opens them', async () => {
    const id = idOf(basic);
    const stored = (await row(id))!;
    expect(stored.credentials).toMatch(new RegExp(`^v1\\.${keyId(oldKey)}\\.`));
    expect(stored.credentials).not.toContain('s3cr3t');
    expect(stored.credentials).not.toContain('reader');
    // What the ingest-orchestrator will do (issue 7): read the rules, match, open.
    const box = new SecretBox(oldKey);
    const rules = await originStrategiesFor(gw.prisma, c);
    expect(resolveOriginStrategy(c, rules, 'https://images.example.com/a.jpg', box)).toEqual({
      strategy: 'basic-http-authentication',
      optimised: false,
      credentials: { user: 'reader', password: 's3cr3t-pw-1' },
      ruleId: id,
    });
    expect(resolveOriginStrategy(c, rules, 'https://elsewhere.org/a.jpg', box).strategy).toBe('default');
    // No other column of any row holds it either.
    const dump = JSON.stringify(await gw.prisma.originStrategy.findMany());
    for (const s of SECRETS) expect(dump).not.toContain(s);
  });

  it('400 naming the failed fields (credentials, optimised, strategy, regex); nothing is created', async () => {
    const before = await gw.prisma.originStrategy.count();
    const cases: [object, string[], RegExp?][] = [
      // Credentials refused for default and s3-ambient, required for the others.
      [
        { strategy: 's3-ambient', regex: 'a', credentials: creds('u', 'p'), optimised: true },
        ['credentials'],
        /refused/,
      ],
      [{ strategy: 'default', regex: 'a', credentials: creds('u', 'p') }, ['credentials'], /refused/],
      [{ strategy: 'basic-http-authentication', regex: 'a' }, ['credentials'], /required/],
      [{ strategy: 'sftp', regex: 'a' }, ['credentials'], /required/],
      [{ strategy: 'ftp', regex: 'a', credentials: 'xxx' }, ['credentials'], /required/],
      // The reference's invalid credentials.
      [
        { strategy: 'basic-http-authentication', regex: 'a', credentials: creds('', 'p') },
        ['credentials'],
        /user/,
      ],
      [
        { strategy: 'basic-http-authentication', regex: 'a', credentials: creds('u', '') },
        ['credentials'],
        /password/,
      ],
      [
        { strategy: 'basic-http-authentication', regex: 'a', credentials: '{"username":"u","pass":"p"}' },
        ['credentials'],
        /unknown members/,
      ],
      [{ strategy: 'basic-http-authentication', regex: 'a', credentials: '{}' }, ['credentials']],
      [
        { strategy: 'basic-http-authentication', regex: 'a', credentials: { user: 'u', password: 'p' } },
        ['credentials'],
      ],
      [
        { strategy: 'sftp', regex: 'a', credentials: '{"user":"u","privateKey":"nope"}' },
        ['credentials'],
        /private key/,
      ],
      // optimised only for s3-ambient.
      [
        { strategy: 'basic-http-authentication', regex: 'a', credentials: creds('u', 'p'), optimised: true },
        ['optimised'],
        /only for s3-ambient/,
      ],
      [
        { strategy: 'default', regex: 'a', optimised: true, credentials: creds('u', 'p') },
        ['credentials', 'optimised'],
      ],
      // The DTO's own checks.
      [{ strategy: 'http', regex: 'a' }, ['strategy'], /must be one of default, basic-http-authentication/],
      [{ strategy: 's3-ambient', regex: '(' }, ['regex'], /not a valid JavaScript regular expression/],
      [{ strategy: 's3-ambient', regex: 'x'.repeat(501) }, ['regex'], /at most 500/],
      [{ strategy: 's3-ambient', regex: '' }, ['regex']],
      [{ regex: 'a' }, ['strategy']],
      [{ strategy: 's3-ambient' }, ['regex']],
      [{ strategy: 's3-ambient', regex: 'a', order: 1.5 }, ['order']],
      [{ strategy: 's3-ambient', regex: 'a', order: '2' }, ['order']],
      [{ strategy: 's3-ambient', regex: 'a', optimised: 'true' }, ['optimised']],
      [{ strategy: 's3-ambient', regex: 'a', id: 'mine' }, ['id']],
    ];
    for (const [body, expected, message] of cases) {
      const res = await call('POST', os(c), { key, body });
      expect({ body, status: res.status, fields: fields(res) }).toEqual({
        body,
        status: 400,
        fields: expected,
      });
      expect(isProblem(res)).toBe(true);
      if (message) expect(JSON.stringify(res.json.errors)).toMatch(message);
    }
    expect(await gw.prisma.originStrategy.count()).toBe(before);
  });

  it('never echoes credentials, even malformed ones, in a 400', async () => {
    const bad = await call('POST', os(c), {
      key,
      body: { strategy: 'ftp', regex: 'ftp://', credentials: '{"user":"u","password":s3cr3t-in-bad-json}' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ field: 'credentials', message: 'credentials is not valid JSON' }]);
    const body = await call('POST', os(c), {
      key,
      raw: '{"strategy":"ftp","regex":"x","credentials":"{\\"user\\":\\"u\\",\\"password\\":\\"s3cr3t-in-bad-json\\"}",}',
    });
    expect(body.status).toBe(400);
  });

  it('409 on a regex the customer already has (POST and PUT); another customer may use it', async () => {
    const dup = await call('POST', os(c), {
      key,
      body: { strategy: 's3-ambient', regex: 'http[s]?://(.*).example.com' },
    });
    expect(dup.status).toBe(409);
    expect(isProblem(dup)).toBe(true);
    const theirs = await call('POST', os(other), {
      key: otherKey,
      body: { strategy: 's3-ambient', regex: 'http[s]?://(.*).example.com', optimised: true },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.json.optimised).toBe(true);
    const s3 = await call('POST', os(c), {
      key,
      body: { strategy: 's3-ambient', regex: 's3://bucket-a/', optimised: true, order: 1 },
    });
    expect(s3.status).toBe(201);
    const clash = await call('PUT', new URL(s3.json['@id']).pathname, {
      key,
      body: { regex: 'http[s]?://(.*).example.com' },
    });
    expect(clash.status).toBe(409);
    expect((await row(idOf(s3)))!.regex).toBe('s3://bucket-a/');
  });

  it('PUT changes only the supplied fields (the reference cases)', async () => {
    const made = await call('POST', os(c), {
      key,
      body: { strategy: 's3-ambient', regex: 'http[s]?://(.*).example1.com', optimised: true, order: 1 },
    });
    const path = new URL(made.json['@id']).pathname;
    const id = idOf(made);
    // Put_CustomerOriginStrategy_200: regex, optimised, order; strategy kept.
    const put = await call('PUT', path, {
      key,
      body: { regex: 'http[s]?://(.*).example2.com', optimised: false, order: 2 },
    });
    expect(put.status).toBe(200);
    expect(await row(id)).toMatchObject({
      strategy: 's3-ambient',
      regex: 'http[s]?://(.*).example2.com',
      optimised: false,
      order: 2,
      credentials: null,
    });
    // Put_CustomerOriginStrategy_200_WithCredentials: s3-ambient → basic-http-authentication with credentials.
    const withCreds = await call('PUT', path, {
      key,
      body: { strategy: 'basic-http-authentication', credentials: creds('updated', 's3cr3t-pw-2') },
    });
    expect(withCreds.status).toBe(200);
    expect(withCreds.json).toMatchObject({
      strategy: `${gw.base}/originStrategies/basic-http-authentication`,
      credentials: 'xxx',
      regex: 'http[s]?://(.*).example2.com',
      order: 2,
    });
    const sealed = (await row(id))!.credentials!;
    expect(openOriginCredentials(new SecretBox(oldKey), sealed, { customerId: c, ruleId: id })).toEqual({
      user: 'updated',
      password: 's3cr3t-pw-2',
    });
    // Omitted or "xxx" credentials are kept, byte for byte; an echoed resource is accepted.
    expect((await call('PUT', path, { key, body: { order: 3 } })).status).toBe(200);
    expect((await row(id))!.credentials).toBe(sealed);
    const echo = await call('PUT', path, { key, body: { ...withCreds.json, order: 4 } });
    expect(echo.status).toBe(200);
    expect(await row(id)).toMatchObject({
      credentials: sealed,
      order: 4,
      strategy: 'basic-http-authentication',
    });
    // Credentials alone may change (the reference wants the whole object; Vellum changes what is supplied).
    expect((await call('PUT', path, { key, body: { credentials: creds('u3', 's3cr3t-pw-3') } })).status).toBe(
      200,
    );
    expect((await row(id))!.credentials).not.toBe(sealed);
    // basic → ftp keeps fitting credentials; ftp → sftp too.
    expect((await call('PUT', path, { key, body: { strategy: 'ftp' } })).status).toBe(200);
    expect((await call('PUT', path, { key, body: { strategy: 'sftp' } })).status).toBe(200);
    // A strategy without credentials drops the stored ones.
    const dropped = await call('PUT', path, { key, body: { strategy: 'default' } });
    expect(dropped.status).toBe(200);
    expect(await row(id)).toMatchObject({ strategy: 'default', credentials: null });
    // null resets order.
    expect((await call('PUT', path, { key, body: { order: null } })).json.order).toBe(0);
  });

  it('PUT refuses an inconsistent result with 400 naming the fields, and changes nothing', async () => {
    const made = await call('POST', os(c), {
      key,
      body: { strategy: 'sftp', regex: 'sftp://files', credentials: creds('u', 's3cr3t-pw-4') },
    });
    expect(made.status).toBe(201);
    const path = new URL(made.json['@id']).pathname;
    const id = idOf(made);
    const before = await row(id);
    const cases: [object, string[], RegExp?][] = [
      [{ optimised: true }, ['optimised']],
      [{ credentials: creds('u', 'p'), strategy: 's3-ambient' }, ['credentials']],
      [{ credentials: null }, ['credentials'], /required/],
      [{ credentials: '{"user":"u"}' }, ['credentials'], /password or privateKey/],
      [{ strategy: 'default', optimised: true }, ['optimised']],
      [{ strategy: null, regex: null }, ['regex', 'strategy']],
      [{ regex: '[' }, ['regex']],
      [{ strategy: 'smb' }, ['strategy']],
      [{ unknown: 1 }, ['unknown']],
    ];
    for (const [body, expected, message] of cases) {
      const res = await call('PUT', path, { key, body });
      expect({ body, status: res.status, fields: fields(res) }).toEqual({
        body,
        status: 400,
        fields: expected,
      });
      if (message) expect(JSON.stringify(res.json.errors)).toMatch(message);
    }
    expect(await row(id)).toEqual(before);
    // An sftp private key does not fit ftp: new credentials are needed.
    const key2 = await call('PUT', path, {
      key,
      body: {
        credentials: JSON.stringify({
          user: 'u',
          privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
        }),
      },
    });
    expect(key2.status).toBe(200);
    const toFtp = await call('PUT', path, { key, body: { strategy: 'ftp' } });
    expect(toFtp.status).toBe(400);
    expect(toFtp.json.errors).toEqual([
      { field: 'credentials', message: 'the stored credentials do not fit ftp: send new credentials' },
    ]);
    expect(
      (await call('PUT', path, { key, body: { strategy: 'ftp', credentials: creds('f', 'p') } })).status,
    ).toBe(200);
  });

  it('404 for an unknown id (PUT, GET, DELETE); deletes with 204', async () => {
    for (const missing of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      for (const [method, body] of [['GET'], ['PUT', { order: 1 }], ['DELETE']] as const) {
        const res = await call(method, os(c, missing), { key, body });
        expect({ method, missing, status: res.status }).toEqual({ method, missing, status: 404 });
        expect(isProblem(res)).toBe(true);
      }
    }
    const made = await call('POST', os(c), { key, body: { strategy: 'default', regex: 'to-delete' } });
    const path = new URL(made.json['@id']).pathname;
    const del = await call('DELETE', path, { key });
    expect(del.status).toBe(204);
    expect((await call('GET', path, { key })).status).toBe(404);
    expect((await call('DELETE', path, { key })).status).toBe(404);
    expect(await row(idOf(made))).toBeNull();
  });

  it("another customer's key: 403 on the owner's path, 404 on its own; nothing changes", async () => {
    const path = new URL(basic.json['@id']).pathname;
    const id = idOf(basic);
    const before = await row(id);
    const count = await gw.prisma.originStrategy.count({ where: { customerId: c } });
    expect((await call('GET', os(c), { key: otherKey })).status).toBe(403);
    expect(
      (await call('POST', os(c), { key: otherKey, body: { strategy: 'default', regex: 'x' } })).status,
    ).toBe(403);
    expect((await call('GET', path, { key: otherKey })).status).toBe(403);
    expect((await call('PUT', path, { key: otherKey, body: { order: 9 } })).status).toBe(403);
    expect((await call('DELETE', path, { key: otherKey })).status).toBe(403);
    expect((await call('GET', os(other, id), { key: otherKey })).status).toBe(404);
    expect((await call('PUT', os(other, id), { key: otherKey, body: { order: 9 } })).status).toBe(404);
    expect((await call('DELETE', os(other, id), { key: otherKey })).status).toBe(404);
    expect((await call('GET', path)).status).toBe(401);
    expect(await row(id)).toEqual(before);
    expect(await gw.prisma.originStrategy.count({ where: { customerId: c } })).toBe(count);
    // The other customer's list holds only its own rule.
    const theirs = await call('GET', os(other), { key: otherKey });
    expect(theirs.json.totalItems).toBe(1);
  });

  it('lists in evaluation order with credentials as xxx; filters and orderBy; every link resolves', async () => {
    const list = await call('GET', os(c), { key });
    expect(list.status).toBe(200);
    const orders = list.json.member.map((m: any) => m.order);
    expect(orders).toEqual([...orders].sort((a: number, b: number) => a - b));
    for (const m of list.json.member) {
      expect(m.credentials).toBe('xxx');
      for (const link of [m['@id'], m.strategy])
        expect((await call('GET', new URL(link).pathname, { key })).status).toBe(200);
    }
    const s3 = await call('GET', `${os(c)}?strategy=s3-ambient&optimised=true`, { key });
    expect(s3.json.member.map((m: any) => m.regex)).toEqual(['s3://bucket-a/']);
    const byRegex = await call('GET', `${os(c)}?orderByDescending=regex`, { key });
    const regexes = byRegex.json.member.map((m: any) => m.regex);
    expect(regexes).toEqual([...regexes].sort().reverse());
    const bad = await call('GET', `${os(c)}?orderBy=credentials`, { key });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['orderBy']);
  });

  it('after a key rotation (old key as a previous key) the credentials still open and are re-sealed on write', async () => {
    const path = new URL(basic.json['@id']).pathname;
    const id = idOf(basic);
    const sealedOld = (await row(id))!.credentials!;
    expect(sealedOld).toMatch(new RegExp(`^v1\\.${keyId(oldKey)}\\.`));
    // A second gateway on the same database and vhost, rotated: new key, the old one as previous.
    const port = await freePort();
    const rotated = validateEnv(GatewayEnv, {
      ...Object.fromEntries(
        Object.entries(gw.env)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)]),
      ),
      PORT: String(port),
      VELLUM_API_URL: `http://127.0.0.1:${port}`,
      VELLUM_SECRETS_KEY: newKey.toString('base64'),
      VELLUM_SECRETS_PREVIOUS_KEYS: oldKey.toString('hex'),
    });
    let app2: INestApplication | undefined;
    try {
      app2 = await startGateway(rotated, {
        host: '127.0.0.1',
        logDestination: { write: (line: string) => void logs.push(line) },
      });
      const call2 = caller(`http://127.0.0.1:${port}`);
      // A strategy change needs the stored credentials opened (do they fit ftp?): they open with the previous key.
      const res = await call2('PUT', path, { key, body: { strategy: 'ftp', order: 7 } });
      responses.push(res.text);
      expect(res.status).toBe(200);
      const resealed = (await row(id))!.credentials!;
      expect(resealed).toMatch(new RegExp(`^v1\\.${keyId(newKey)}\\.`));
      expect(resealed).not.toContain('s3cr3t');
      // The orchestrator with the new key alone opens them now; with the old key alone it no longer can.
      const ref = { customerId: c, ruleId: id };
      expect(openOriginCredentials(new SecretBox(newKey), resealed, ref)).toEqual({
        user: 'reader',
        password: 's3cr3t-pw-1',
      });
      expect(() => openOriginCredentials(new SecretBox(oldKey), resealed, ref)).toThrow(/unknown key/);
      // And a value still sealed with the old key opens with the rotated box.
      expect(openOriginCredentials(new SecretBox(newKey, [oldKey]), sealedOld, ref).password).toBe(
        's3cr3t-pw-1',
      );
    } finally {
      await app2?.close();
    }
  });

  it('no response and no log line carried a secret', () => {
    expect(logs.length).toBeGreaterThan(20);
    // The captured log holds the requests of this file (debug level: every access line).
    expect(logs.some((l) => l.includes('/originStrategies'))).toBe(true);
    for (const s of SECRETS) {
      expect(logs.filter((l) => l.includes(s))).toEqual([]);
      expect(responses.filter((r) => r.includes(s))).toEqual([]);
    }
  });

  it('documents the routes with request and response schemas', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths['/customers/{customer}/originStrategies']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/customers/{customer}/originStrategies/{id}']).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    expect(doc.paths['/originStrategies'].get.security ?? []).toEqual([]);
    expect(
      doc.paths['/originStrategies/{name}'].get.responses['200'].content['application/json'].schema.$ref,
    ).toBe('#/components/schemas/OriginStrategy');
    expect(doc.components.schemas.CustomerOriginStrategy.properties.credentials.description).toMatch(
      /Write-only/,
    );
  });
});
