/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document and bodies are untyped JSON */
import { startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Tenant isolation on every route (SPEC.md §10 Security: "customer A's key can never read or change customer B's
 * resources (tested for every route)"; §3.2). The routes come from the gateway's own OpenAPI document, so a new
 * route is covered without editing this file. Customer A owns one of each resource; every operation is then
 * called on A's resources:
 * - with customer B's key → 403 or 404;
 * - with no key, a wrong secret, and a deleted key of A → 401;
 * - admin-only operations (no `{customer}` in the path) with A's own key → 403;
 * and after each call the database must be exactly as before (a digest of every table's rows).
 * Path parameters are discovered: each item route's parameters are read from the `@id` of the first member of
 * its collection, listed by A, so the calls aim at resources that exist.
 */
describe('tenant isolation on every route (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let a: number;
  let keyA: string;
  let keyB: string;
  let deletedKeyA: string;
  let ops: Op[];
  const params: Record<string, Record<string, string>> = {};

  interface Op {
    method: string;
    template: string;
    secured: boolean;
    hasBody: boolean;
  }

  /** Routes anyone may call (SPEC.md §3.2) or that are not about a customer's resources. */
  const PUBLIC = [
    /^GET \/$/,
    /^POST \/setup$/,
    /^GET \/storagePolicies/,
    /^GET \/originStrategies/,
    /^GET \/avPresets/,
    /^GET \/openapi/,
    /^GET \/health/,
    /^GET \/metrics/,
  ];

  /** Tables whose rows change with time rather than with a route's effect. */
  const VOLATILE_COLUMNS: Record<string, string[]> = {
    api_keys: ['lastUsed'],
    // The outbox relay publishes in the background.
    outbox_messages: ['sentAt', 'attempts', 'lastError'],
  };

  /** A digest of every table's rows (public schema), to prove a refused call changed nothing. */
  async function snapshot(): Promise<Record<string, string>> {
    const tables = await gw.prisma.$queryRawUnsafe<{ tablename: string }[]>(
      `SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_prisma%' ORDER BY tablename`,
    );
    const out: Record<string, string> = {};
    for (const { tablename } of tables) {
      const drop = VOLATILE_COLUMNS[tablename] ?? [];
      const row = drop.length
        ? `(to_jsonb(t) - ARRAY[${drop.map((c) => `'${c}'`).join(',')}])::text`
        : 't::text';
      const [r] = await gw.prisma.$queryRawUnsafe<{ digest: string | null; n: bigint }[]>(
        `SELECT md5(string_agg(${row}, '|' ORDER BY ${row})) AS digest, count(*) AS n FROM "${tablename}" t`,
      );
      out[tablename] = `${r.n}:${r.digest ?? ''}`;
    }
    return out;
  }

  /** Values of the template's parameters that name A's existing resources. */
  function fill(template: string): string {
    const known = params[template] ?? {};
    return template.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name === 'customer') return String(a);
      return encodeURIComponent(known[name] ?? 'x');
    });
  }

  /** Reads the parameters of an item template from an `@id` (absolute URL). */
  function match(template: string, id: string): Record<string, string> | undefined {
    const path = new URL(id).pathname;
    const re = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, '(?<$1>[^/]+)')}$`,
    );
    const m = re.exec(path);
    if (!m?.groups) return undefined;
    return Object.fromEntries(Object.entries(m.groups).map(([k, v]) => [k, decodeURIComponent(v)]));
  }

  async function discoverParams(): Promise<void> {
    const getTemplates = ops.filter((o) => o.method === 'GET').map((o) => o.template);
    // Longest-first parents come later: walk templates by depth so parents are known first.
    const byDepth = [...new Set(ops.map((o) => o.template))].sort(
      (x, y) => x.split('/').length - y.split('/').length,
    );
    for (const template of byDepth) {
      // Inherit what the longest known prefix names (`{space}` for `.../spaces/{space}/images`).
      const prefix = byDepth.filter((t) => template.startsWith(`${t}/`) && params[t]).pop();
      if (prefix) params[template] = { ...params[prefix] };
      const last = template.split('/').pop()!;
      if (!/^\{\w+\}$/.test(last)) continue;
      const parent = template.slice(0, template.lastIndexOf('/'));
      if (!getTemplates.includes(parent)) continue;
      const list = await gw.call('GET', fill(parent), { key: admin });
      const first = list.json?.member?.find((m: any) => typeof m?.['@id'] === 'string');
      if (!first) continue;
      const got = match(template, first['@id']);
      if (got) params[template] = { ...(params[parent] ?? {}), ...got };
    }
  }

  beforeAll(async () => {
    gw = await startTestGateway({ VELLUM_AUTH_FAILURES_PER_ADDRESS: '0', VELLUM_AUTH_FAILURES_PER_KEY: '0' });
    const setup = await gw.call('POST', '/setup');
    admin = `${setup.json.key}:${setup.json.secret}`;
    a = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'tenant-a', displayName: 'Tenant A' } })
    ).json.id;
    const b = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'tenant-b', displayName: 'Tenant B' } })
    ).json.id;
    const newKey = async (c: number) => {
      const k = await gw.call('POST', `/customers/${c}/keys`, { key: admin });
      return `${k.json.key}:${k.json.secret}`;
    };
    [keyA, keyB, deletedKeyA] = [await newKey(a), await newKey(b), await newKey(a)];
    // One of each of A's resources (B gets a space too, so "B's own space 1" exists).
    for (const c of [a, b])
      await gw.call('POST', `/customers/${c}/spaces`, { key: admin, body: { name: 'books' } });
    const asset = { origin: 'https://example.org/a1.jpg', mediaType: 'image/jpeg', string1: 'x' };
    expect(
      (await gw.call('PUT', `/customers/${a}/spaces/1/images/a1`, { key: keyA, body: asset })).status,
    ).toBeLessThan(300);
    // Access control (issue 10): a built-in user of A (roles, access services, role providers: the defaults).
    expect(
      (
        await gw.call('POST', `/customers/${a}/users`, {
          key: keyA,
          body: { username: 'alice', password: 'long enough', roles: ['clickthrough'] },
        })
      ).status,
    ).toBe(201);
    const batch = await gw.call('POST', `/customers/${a}/queue`, {
      key: keyA,
      body: { member: [{ space: 1, id: 'q1', ...asset }] },
    });
    expect(batch.status).toBe(201);
    // The deleted key has been used (so any cache knows it) before it is deleted.
    expect((await gw.call('GET', `/customers/${a}`, { key: deletedKeyA })).status).toBe(200);
    const deleted = await gw.call('DELETE', `/customers/${a}/keys/${deletedKeyA.split(':')[0]}`, {
      key: admin,
    });
    expect(deleted.status).toBe(204);

    const doc = (await gw.call('GET', '/openapi.json')).json;
    ops = [];
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        ops.push({
          method: method.toUpperCase(),
          template,
          secured: !PUBLIC.some((p) => p.test(`${method.toUpperCase()} ${template}`)),
          hasBody: !!op.requestBody,
        });
      }
    }
    await discoverParams();
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
  });

  const failures: string[] = [];
  async function refused(op: Op, key: string | undefined, expected: number[], what: string): Promise<void> {
    const r: CallResult = await gw.call(op.method, fill(op.template), {
      ...(key !== undefined ? { key } : {}),
      ...(op.hasBody ? { body: {} } : {}),
    });
    if (!expected.includes(r.status))
      failures.push(
        `${op.method} ${fill(op.template)} ${what}: expected ${expected.join('/')}, got ${r.status}`,
      );
  }

  it("reads the routes from the OpenAPI document and finds A's resources for their parameters", () => {
    expect(ops.length).toBeGreaterThanOrEqual(25);
    expect(params['/customers/{customer}/spaces/{space}/images/{id}']).toEqual({
      customer: String(a),
      space: '1',
      id: 'a1',
    });
    expect(params['/customers/{customer}/queue/batches/{batch}']?.batch).toMatch(/^\d+$/);
  });

  it("refuses another customer's key, no key, a wrong secret and a deleted key on every route, changing nothing", async () => {
    const wrongSecret = `${keyA.split(':')[0]}:not-the-secret`;
    let calls = 0;
    for (const op of ops.filter((o) => o.secured)) {
      const customerRoute = op.template.includes('{customer}');
      const before = await snapshot();
      await refused(op, undefined, [401], 'without a key');
      await refused(op, wrongSecret, [401], 'with a wrong secret');
      await refused(op, deletedKeyA, [401], 'with a deleted key');
      if (customerRoute) await refused(op, keyB, [403, 404], "with another customer's key");
      else await refused(op, keyA, [403], 'with a customer (non-admin) key');
      calls += 4;
      const after = await snapshot();
      const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
      if (changed.length)
        failures.push(`${op.method} ${fill(op.template)}: a refused call changed ${changed.join(', ')}`);
    }
    console.log(
      `tenant isolation: ${calls} refused calls over ${ops.filter((o) => o.secured).length} operations`,
    );
    expect(failures).toEqual([]);
  }, 600_000);

  it('still lets A use its own resources (the refusals were not an outage)', async () => {
    const r = await gw.call('GET', `/customers/${a}/spaces/1/images/a1`, { key: keyA });
    expect(r.status).toBe(200);
    expect(r.json.string1).toBe('x');
  });
});
