/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document and bodies are untyped JSON */
import fc from 'fast-check';
import { isProblem, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Hostile input against every route of the real gateway (real Postgres and RabbitMQ), routes and fields read
 * from its own OpenAPI document so that new routes and fields are covered without editing this file
 * (SPEC.md §10: "every bad input answered with a 4xx problem document, never a 500"). Two passes:
 * 1. a sweep: every path parameter, query parameter and body field of every operation gets each core hostile
 *    value once;
 * 2. fast-check with a fixed seed and a bounded number of runs: random hostile values, anywhere, plus hostile
 *    whole bodies.
 * Each response must be < 500, and every error must be a problem document.
 */
describe('fuzz: hostile values on every route (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let c: number;
  let batch: number;
  let ops: Op[];
  let schemas: Record<string, any>;

  interface Op {
    method: string;
    template: string;
    pathParams: string[];
    queryParams: string[];
    bodySchema?: string;
  }

  /** Query parameters tried on every operation, besides those the document declares. */
  const COMMON_QUERY = [
    'page',
    'pageSize',
    'orderBy',
    'orderByDescending',
    'q',
    'string1',
    'number1',
    'tags',
    'space',
    'zz',
  ];

  const long = (n: number, ch = 'é') => ch.repeat(n);
  let deep = '0';
  for (let i = 0; i < 3000; i++) deep = i % 2 ? `[${deep}]` : `{"a":${deep}}`;

  /** Values every field gets once in the sweep (JSON values; `raw` strings are sent unencoded in URLs). */
  const CORE: unknown[] = [
    'a\u0000b',
    'x\udfff',
    3_000_000_000,
    1e308,
    -1.5,
    long(3000, 'k'),
    long(1200),
    { nested: [[[[{ a: [[[]]] }]]]] },
    [null, true, {}],
    '%E0%A4%A',
    null,
  ];

  let uniq = 0;
  function baseBody(schema: string | undefined): Record<string, unknown> | undefined {
    uniq++;
    switch (schema) {
      case undefined:
        return undefined;
      case 'AssetBodyDto':
        return { origin: 'https://example.org/f.jpg', mediaType: 'image/jpeg', string1: 'fuzz' };
      case 'SpaceBodyDto':
        return { name: `fuzz-space-${uniq}` };
      case 'CreateCustomerDto':
        return { name: `fuzz-${uniq}`, displayName: 'Fuzz' };
      case 'QueueBodyDto':
        return {
          member: [
            { space: 1, id: `fq-${uniq}`, origin: 'https://example.org/q.jpg', mediaType: 'image/jpeg' },
          ],
        };
      default:
        return {};
    }
  }

  function baseParam(name: string): string {
    switch (name) {
      case 'customer':
        return String(c);
      case 'space':
        return '1';
      case 'batch':
        return String(batch);
      case 'id':
        return 'fuzz-asset';
      case 'key':
        return 'no-such-key';
      default:
        return 'x';
    }
  }

  /** %-encodes any string, lone surrogates included (as the 3 bytes of their generalised UTF-8, `%ED%A0%80`). */
  function encodeAny(s: string): string {
    try {
      return encodeURIComponent(s);
    } catch {
      return [...s]
        .map((ch) => {
          const u = ch.charCodeAt(0);
          if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff)
            return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
              .map((b) => `%${b.toString(16).toUpperCase()}`)
              .join('');
          return encodeURIComponent(ch);
        })
        .join('');
    }
  }

  /** A URL component for a hostile value: %-escape-looking strings go raw, others encoded. */
  function inUrl(v: unknown): string {
    if (typeof v === 'string' && /%/.test(v)) return v;
    return encodeAny(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
  }

  /** Body fields of a schema: its properties, and `member[0].<prop>` for arrays of objects. */
  function bodyFields(schema: string | undefined): string[][] {
    if (!schema) return [];
    const props = schemas[schema]?.properties ?? {};
    const out: string[][] = [];
    for (const [name, p] of Object.entries<any>(props)) {
      out.push([name]);
      const item = p.items?.$ref?.split('/').pop();
      if (p.type === 'array' && item)
        for (const sub of Object.keys(schemas[item]?.properties ?? {})) out.push([name, '0', sub]);
    }
    return out;
  }

  function setPath(body: any, path: string[], value: unknown): any {
    const copy = JSON.parse(JSON.stringify(body ?? {}));
    let target = copy;
    for (const p of path.slice(0, -1)) target = target[p] ??= /^\d+$/.test(p) ? [] : {};
    target[path[path.length - 1]] = value;
    return copy;
  }

  interface Attempt {
    op: Op;
    params?: Record<string, string>;
    query?: string;
    body?: unknown;
    raw?: string;
  }

  async function send(a: Attempt): Promise<CallResult> {
    const params = {
      ...Object.fromEntries(a.op.pathParams.map((p) => [p, encodeURIComponent(baseParam(p))])),
      ...a.params,
    };
    const path = a.op.template.replace(/\{(\w+)\}/g, (_, n: string) => params[n]);
    const body = a.raw !== undefined ? undefined : a.body !== undefined ? a.body : baseBody(a.op.bodySchema);
    return gw.call(a.op.method, `${path}${a.query ? `?${a.query}` : ''}`, {
      key: admin,
      ...(a.raw !== undefined ? { raw: a.raw } : body !== undefined ? { body } : {}),
    });
  }

  const failures: string[] = [];
  function check(a: Attempt, r: CallResult, what: string): boolean {
    const ok = r.status < 500 && (r.status < 400 || isProblem(r));
    if (!ok && failures.length < 20)
      failures.push(`${a.op.method} ${a.op.template} ${what} → ${r.status} ${r.text.slice(0, 200)}`);
    return ok;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ VELLUM_AUTH_FAILURES_PER_ADDRESS: '0', VELLUM_AUTH_FAILURES_PER_KEY: '0' });
    const setup = await gw.call('POST', '/setup');
    admin = `${setup.json.key}:${setup.json.secret}`;
    c = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'fuzzco', displayName: 'Fuzz Co' } })
    ).json.id;
    await gw.call('POST', `/customers/${c}/spaces`, { key: admin, body: { name: 'fuzz' } });
    batch = (
      await gw.call('POST', `/customers/${c}/queue`, {
        key: admin,
        body: {
          member: [{ space: 1, id: 'b1', origin: 'https://example.org/b.jpg', mediaType: 'image/jpeg' }],
        },
      })
    ).json.id;
    const doc = (await gw.call('GET', '/openapi.json')).json;
    schemas = doc.components?.schemas ?? {};
    ops = [];
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const ref = op.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
        ops.push({
          method: method.toUpperCase(),
          template,
          pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
          queryParams: [
            ...new Set([
              ...(op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name as string),
              ...(method === 'get' ? COMMON_QUERY : ['zz']),
            ]),
          ],
          bodySchema: ref?.split('/').pop(),
        });
      }
    }
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('reads every route and write body from the OpenAPI document', () => {
    expect(ops.length).toBeGreaterThanOrEqual(25);
    const writes = ops.filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method) && o.template !== '/setup');
    // Writes without a body: they declare @NoBody() (an action on the resource in the path).
    expect(writes.filter((o) => !o.bodySchema).map((o) => `${o.method} ${o.template}`)).toEqual(
      expect.arrayContaining(['POST /customers/{customer}/keys']),
    );
    expect(writes.filter((o) => !o.bodySchema).every((o) => o.method === 'POST')).toBe(true);
    expect(bodyFields('QueueBodyDto')).toContainEqual(['member', '0', 'string1']);
  });

  it('sweep: every path parameter, query parameter and body field gets each core hostile value', async () => {
    let sent = 0;
    for (const op of ops) {
      const attempts: Array<[Attempt, string]> = [];
      for (const v of CORE) {
        for (const p of op.pathParams)
          attempts.push([{ op, params: { [p]: inUrl(v) } }, `path ${p}=${inUrl(v).slice(0, 30)}`]);
        if (typeof v === 'string' || typeof v === 'number')
          for (const q of op.queryParams) attempts.push([{ op, query: `${q}=${inUrl(v)}` }, `query ${q}`]);
        for (const f of bodyFields(op.bodySchema))
          attempts.push([
            { op, body: setPath(baseBody(op.bodySchema), f, v) },
            `body ${f.join('.')}=${JSON.stringify(v).slice(0, 30)}`,
          ]);
      }
      if (op.bodySchema || ['POST', 'PUT', 'PATCH'].includes(op.method)) {
        attempts.push([{ op, raw: deep }, 'body nested 3000 deep']);
        for (const whole of ['[]', '"x"', '7', 'null', '{"a":"\\u0000"}', '{"__proto__":{"x":1}}'])
          attempts.push([{ op, raw: whole }, `body ${whole}`]);
      }
      // Requests of one operation run a few at a time to keep the sweep short.
      for (let i = 0; i < attempts.length; i += 6) {
        const batchOf = attempts.slice(i, i + 6);
        const results = await Promise.all(batchOf.map(([a]) => send(a)));
        results.forEach((r, j) => check(batchOf[j][0], r, batchOf[j][1]));
        sent += batchOf.length;
      }
    }
    console.log(`fuzz sweep: ${sent} requests over ${ops.length} operations`);
    expect(failures).toEqual([]);
    // A bounded amount of work (~4,000 requests, ~25 s on an idle 2-core machine): room for a busy one.
  }, 240_000);

  it('fast-check: random hostile values anywhere (fixed seed, bounded runs)', async () => {
    const hostileString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary', minLength: 1001, maxLength: 2500 }),
      fc.constantFrom(
        '\u0000',
        'a\u0000',
        '\ud800',
        '\udbff\udbff',
        '%00',
        '%ZZ',
        '%E0%A4%A',
        '%ED%A0%80',
        '..',
        '\\',
      ),
      fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `${s}\u0000${s}`),
    );
    const hostileNumber = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, -1e308, 0.5),
      fc.bigInt({ min: 2n ** 31n, max: 2n ** 70n }).map((b) => Number(b)),
    );
    const hostile: fc.Arbitrary<unknown> = fc.oneof(
      hostileString,
      hostileNumber,
      fc.constantFrom(true, false, null, [], {}),
      fc.array(hostileString, { maxLength: 5 }),
      fc.jsonValue({ maxDepth: 6 }),
      fc.integer({ min: 20, max: 60 }).map((d) => {
        let v: unknown = 'leaf';
        for (let i = 0; i < d; i++) v = i % 2 ? [v] : { a: v };
        return v;
      }),
    );
    const attempt = fc
      .record({
        op: fc.integer({ min: 0, max: 10_000 }),
        where: fc.constantFrom('path', 'query', 'body'),
        field: fc.integer({ min: 0, max: 10_000 }),
        value: hostile,
      })
      .map(({ op: i, where, field, value }): [Attempt, string] => {
        const op = ops[i % ops.length];
        const fields = bodyFields(op.bodySchema);
        if (where === 'path' && op.pathParams.length) {
          const p = op.pathParams[field % op.pathParams.length];
          return [{ op, params: { [p]: inUrl(value) } }, `path ${p}`];
        }
        if (where === 'body' && fields.length) {
          const f = fields[field % fields.length];
          return [
            { op, body: setPath(baseBody(op.bodySchema), f, value) },
            `body ${f.join('.')}=${JSON.stringify(value)?.slice(0, 60)}`,
          ];
        }
        const q = op.queryParams[field % op.queryParams.length];
        return [{ op, query: `${q}=${inUrl(value)}` }, `query ${q}=${inUrl(value).slice(0, 60)}`];
      });
    await fc.assert(
      // Failures are collected (and listed below) rather than shrunk: each names its request.
      fc.asyncProperty(attempt, async ([a, what]) => {
        check(a, await send(a), what);
      }),
      { seed: 20_260_505, numRuns: 300 },
    );
    expect(failures).toEqual([]);
  });
});
