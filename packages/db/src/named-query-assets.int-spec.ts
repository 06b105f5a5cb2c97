/**
 * The named-query runner against the real local Postgres and the real migrations (own `vellum_test_*` database,
 * as db.int-spec.ts does: @vellum/testing depends on this package).
 */
import { randomBytes } from 'node:crypto';
import { bindNamedQuery, parseNamedQueryArguments, type BoundNamedQuery } from '@vellum/iiif';
import { Client } from 'pg';
import {
  createPrismaClient,
  ensureDatabase,
  findNamedQuery,
  findNamedQueryAssets,
  migrate,
  namedQueryStatement,
  type NamedQueryAsset,
  type Prisma,
  type PrismaClient,
  quoteIdent,
} from './index';

const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `vellum_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
const url = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

let prisma: PrismaClient;
let a: number; // customer under test
let b: number; // another customer with look-alike assets
let admin: number;
let batchA: number;
let batchB: number;

const READY = { finished: new Date('2026-01-01T00:00:00Z'), ingesting: false };

/** Runs `template` with the URL tail `args` for `customer`; returns `space/id` of each asset, in order. */
async function run(customer: number, template: string, args = '', opts = {}): Promise<string[]> {
  const bound = bindNamedQuery(template, parseNamedQueryArguments(args));
  const rows = await findNamedQueryAssets(prisma, customer, bound, opts);
  return rows.map((r) => `${r.spaceId}/${r.id}`);
}

beforeAll(async () => {
  await ensureDatabase(url);
  await migrate(url);
  prisma = createPrismaClient(url, { max: 4 });
  const mk = (name: string, isAdmin = false) =>
    prisma.customer.create({ data: { name, displayName: `${name} display`, isAdmin } });
  [a, b, admin] = (await Promise.all([mk('nq-a'), mk('nq-b'), mk('nq-admin', true)])).map((c) => c.id);
  await prisma.space.createMany({
    data: [
      { customerId: a, id: 1, name: 'books' },
      { customerId: a, id: 2, name: 'maps' },
      { customerId: b, id: 1, name: 'books' },
      { customerId: b, id: 7, name: 'only-b' },
    ],
  });
  batchA = (await prisma.batch.create({ data: { customerId: a, count: 2 } })).id;
  batchB = (await prisma.batch.create({ data: { customerId: b, count: 1 } })).id;
  const asset = (
    customerId: number,
    spaceId: number,
    id: string,
    extra: Partial<Prisma.AssetCreateManyInput>,
  ) =>
    ({ customerId, spaceId, id, mediaType: 'image/jpeg', ...READY, ...extra }) as Prisma.AssetCreateManyInput;
  await prisma.asset.createMany({
    data: [
      // Book b1 of customer A, pages out of insertion order, in two spaces.
      asset(a, 1, 'p3', { string1: 'b1', number1: 3, number2: 10, tags: ['cover'], batchId: batchA }),
      asset(a, 1, 'p1', { string1: 'b1', number1: 1, number2: 30, tags: ['open', 'cover'] }),
      asset(a, 1, 'p2', { string1: 'b1', number1: 2, number2: 20, string2: 'x', batchId: batchA }),
      asset(a, 2, 'p2', { string1: 'b1', number1: 2, number2: 20, string3: 'map' }),
      asset(a, 1, 'nonum', { string1: 'b1', number2: 5 }),
      // Not deliverable: still ingesting, failed, never finished.
      asset(a, 1, 'busy', { string1: 'b1', number1: 9, ingesting: true, finished: null }),
      asset(a, 1, 'failed', { string1: 'b1', number1: 8, error: 'origin returned 404' }),
      asset(a, 1, 'new', { string1: 'b1', number1: 7, finished: null }),
      // Another book of A.
      asset(a, 1, 'other', { string1: 'b2', number1: 1, number3: -4 }),
      // Customer B: the same metadata, ids and space numbers, and a space name A does not have.
      asset(b, 1, 'p1', { string1: 'b1', number1: 1, tags: ['cover'], batchId: batchB }),
      asset(b, 1, 'p2', { string1: 'b1', number1: 2 }),
      asset(b, 7, 'secret', { string1: 'b1', number1: 1, tags: ['open'] }),
    ],
  });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  const client = new Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
  await client.end();
});

describe('findNamedQueryAssets (SPEC.md §7)', () => {
  it('runs the example of the spec: manifest=s1&canvas=n2&s1=p1&space=p2', async () => {
    expect(await run(a, 'manifest=s1&canvas=n2&s1=p1&space=p2', 'b1/1')).toEqual([
      '1/nonum',
      '1/p3',
      '1/p2',
      '1/p1',
    ]);
  });

  it.each<[string, string, string[]]>([
    ['space', 'space=2', ['2/p2']],
    ['spacename', 'spacename=maps', ['2/p2']],
    ['s1', 's1=b2', ['1/other']],
    ['s2', 's2=x', ['1/p2']],
    ['s3', 's3=map', ['2/p2']],
    ['n1', 's1=b1&n1=2', ['1/p2', '2/p2']],
    ['n2', 'n2=30', ['1/p1']],
    ['n3 (negative)', 'n3=-4', ['1/other']],
    ['tag', 'tag=cover', ['1/p1', '1/p3']],
    ['every condition ANDed', 's1=b1&space=1&tag=cover&n2=10', ['1/p3']],
    ['spacename AND space must agree', 'spacename=maps&space=1', []],
    ['a tag nobody has', 'tag=nothing', []],
  ])('%s', async (_label, template, expected) => {
    expect(await run(a, template)).toEqual(expected);
  });

  it('batch: the assets whose current batch it is', async () => {
    expect(await run(a, 'batch=p1', String(batchA))).toEqual(['1/p2', '1/p3']);
  });

  it('orders by every assetOrder term, NULLs last either way, then by space and id', async () => {
    expect(await run(a, 's1=b1&assetOrder=n1 desc')).toEqual(['1/p3', '1/p2', '2/p2', '1/p1', '1/nonum']);
    expect(await run(a, 's1=b1&assetOrder=n1')).toEqual(['1/p1', '1/p2', '2/p2', '1/p3', '1/nonum']);
    expect(await run(a, 's1=b1&assetOrder=n2 desc;n1')).toEqual(['1/p1', '1/p2', '2/p2', '1/p3', '1/nonum']);
    expect(await run(a, 's1=b1&assetOrder=s3;n1 desc')).toEqual(['2/p2', '1/p3', '1/p2', '1/p1', '1/nonum']);
  });

  it('without assetOrder: number1 ascending, then space and id', async () => {
    expect(await run(a, 's1=b1')).toEqual(['1/p1', '1/p2', '2/p2', '1/p3', '1/nonum']);
  });

  it('drops the conditions of omitted trailing arguments', async () => {
    expect(await run(a, 's1=p1&n1=p2', 'b1')).toEqual(['1/p1', '1/p2', '2/p2', '1/p3', '1/nonum']);
    expect(await run(a, 's1=p1&n1=p2', 'b1/3')).toEqual(['1/p3']);
  });

  it('returns only deliverable assets unless asked for all', async () => {
    const all = await run(a, 's1=b1', '', { include: 'all' });
    expect(all).toEqual(['1/p1', '1/p2', '2/p2', '1/p3', '1/new', '1/failed', '1/busy', '1/nonum']);
  });

  it('limit: the first N in order', async () => {
    expect(await run(a, 's1=b1', '', { limit: 2 })).toEqual(['1/p1', '1/p2']);
    expect(await run(a, 's1=b1', '', { limit: 0 })).toEqual([]);
  });

  it('returns the columns the projections need', async () => {
    const bound = bindNamedQuery('s1=b1&n1=1&space=1', []);
    const [row] = await findNamedQueryAssets(prisma, a, bound);
    expect(row).toMatchObject<Partial<NamedQueryAsset>>({
      customerId: a,
      spaceId: 1,
      id: 'p1',
      mediaType: 'image/jpeg',
      family: 'I',
      deliveryChannels: [],
      derivatives: null,
      width: null,
      roles: [],
      maxWidth: 0,
      tags: ['open', 'cover'],
      string1: 'b1',
      number1: 1,
      number2: 30,
      manifests: [],
      batchId: null,
      ingesting: false,
      error: null,
    });
    expect(row.finished).toEqual(READY.finished);
    expect(row.updated).toBeInstanceOf(Date);
  });

  describe('never returns another customer’s assets', () => {
    it.each<[string, string, string]>([
      ['the same metadata', 's1=b1&n1=1', ''],
      ['a space number both have', 'space=1&s1=b1', ''],
      ['a space name only the other customer has', 'spacename=only-b', ''],
      ['a tag of the other customer’s asset', 'tag=open&s1=b1', ''],
      ['the other customer’s batch', 'batch=p1', '{batchB}'],
    ])('%s', async (_label, template, args) => {
      const ids = await run(a, template, args.replace('{batchB}', String(batchB)));
      const rows = await findNamedQueryAssets(
        prisma,
        a,
        bindNamedQuery(template, parseNamedQueryArguments(args.replace('{batchB}', String(batchB)))),
        { include: 'all' },
      );
      expect(rows.every((r) => r.customerId === a)).toBe(true);
      expect(ids).not.toContain('7/secret');
      // ...and for B the same template finds B's own.
      const forB = await findNamedQueryAssets(
        prisma,
        b,
        bindNamedQuery(template, parseNamedQueryArguments(args.replace('{batchB}', String(batchB)))),
      );
      expect(forB.every((r) => r.customerId === b)).toBe(true);
    });

    it('the customer scope is $1 of every statement, whatever the conditions', () => {
      const bound: BoundNamedQuery = {
        conditions: { space: 1, spaceName: 'x', string1: 'a', number1: 1, tag: 't', batch: 2 },
        order: [{ field: 'string2', direction: 'desc' }],
      };
      const { text, values } = namedQueryStatement(a, bound, { limit: 10 });
      expect(values[0]).toBe(a);
      expect(text).toContain('WHERE a."customerId" = $1');
      expect(text).toContain('s."customerId" = $1 AND s.name = $3::text');
      expect(values).toEqual([a, 1, 'x', 'a', 1, 't', 2, 10]);
      expect(text).toMatch(
        /ORDER BY a\."string2" DESC NULLS LAST, a\."spaceId" ASC, a\.id ASC\nLIMIT \$8::int$/,
      );
    });
  });

  it('answers 1,000 assets among 10,000 quickly, by string1 and by tag', async () => {
    const rows: Prisma.AssetCreateManyInput[] = [];
    for (let i = 0; i < 10_000; i++) {
      rows.push({
        customerId: i % 2 ? a : b,
        spaceId: 1,
        id: `bulk-${i}`,
        mediaType: 'image/jpeg',
        string1: i % 10 === 0 ? 'big-book' : `book-${i % 97}`,
        number1: 10_000 - i,
        tags: i % 10 === 1 ? (i % 1000 === 1 ? ['big', 'rare'] : ['big']) : [],
        ...READY,
      });
    }
    await prisma.asset.createMany({ data: rows });
    await prisma.$executeRawUnsafe('ANALYZE assets');
    const timed = async (customer: number, template: string) => {
      const bound = bindNamedQuery(template, []);
      await findNamedQueryAssets(prisma, customer, bound); // prepares the statement
      const t0 = process.hrtime.bigint();
      const found = await findNamedQueryAssets(prisma, customer, bound);
      return { found, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    const byString = await timed(b, 's1=big-book'); // i % 10 === 0 → even i → customer b
    const byTag = await timed(a, 'tag=big'); // i % 10 === 1 → odd i → customer a
    expect(byString.found).toHaveLength(1000);
    expect(byTag.found).toHaveLength(1000);
    expect(byString.found.map((r) => r.number1)).toEqual(
      [...byString.found.map((r) => r.number1!)].sort((x, y) => x - y),
    );
    // Generous bounds for a shared 2-core machine (measured ≈ 5 ms each); the benchmark reports the real figure.
    expect(byString.ms).toBeLessThan(250);
    expect(byTag.ms).toBeLessThan(250);
    // A rare tag among many assets of the customer is found through the GIN index, not by reading them all.
    expect((await timed(a, 'tag=rare')).found).toHaveLength(10);
    const sql = namedQueryStatement(a, bindNamedQuery('tag=rare', [])).text;
    const plan = await prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
      `EXPLAIN ${sql.replace(/\$1\b/g, String(a)).replace(/\$2::text/g, `'rare'`)}`,
    );
    expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toContain('assets_tags_idx');
  });
});

describe('findNamedQuery (SPEC.md §3.3 "Named queries")', () => {
  beforeAll(async () => {
    await prisma.namedQuery.createMany({
      data: [
        { customerId: a, name: 'book', template: 's1=p1' },
        { customerId: b, name: 'book', template: 's1=p1&space=1' },
        { customerId: b, name: 'private-b', template: 's1=p1' },
        { customerId: b, name: 'shared', template: 'n1=p1', global: true },
        { customerId: admin, name: 'shared', template: 's1=p1', global: true },
        { customerId: b, name: 'b-global', template: 'tag=p1', global: true },
      ],
    });
  });

  it("the customer's own query first, by id or by name", async () => {
    const byId = await findNamedQuery(prisma, a, 'book');
    expect(byId).toMatchObject({ customerId: a, global: false, query: { customerId: a, template: 's1=p1' } });
    expect(await findNamedQuery(prisma, 'nq-a', 'book')).toEqual(byId);
    expect(await findNamedQuery(prisma, String(a), 'book')).toEqual(byId);
    expect((await findNamedQuery(prisma, b, 'book'))?.query.template).toBe('s1=p1&space=1');
  });

  it("then a global one of another customer, the admin's first; it runs for the requesting customer", async () => {
    expect(await findNamedQuery(prisma, a, 'shared')).toMatchObject({
      customerId: a,
      global: true,
      query: { customerId: admin, template: 's1=p1' },
    });
    expect(await findNamedQuery(prisma, a, 'b-global')).toMatchObject({
      customerId: a,
      global: true,
      query: { customerId: b },
    });
    // B has its own "shared" (a global one): its own wins for B.
    expect(await findNamedQuery(prisma, b, 'shared')).toMatchObject({
      global: false,
      query: { customerId: b },
    });
  });

  it.each<[string, number | string, string]>([
    ["another customer's non-global query", 0, 'private-b'],
    ['an unknown query', 0, 'nope'],
    ['an unknown customer id', 999999, 'shared'],
    ['an unknown customer name', 'nobody', 'shared'],
    ['a customer name that cannot exist', 'no/body', 'shared'],
    ['a query name that cannot exist', 0, 'a\u0000b'],
    ['an empty query name', 0, ''],
  ])('null for %s', async (_label, customer, name) => {
    expect(await findNamedQuery(prisma, customer === 0 ? a : customer, name)).toBeNull();
  });
});
