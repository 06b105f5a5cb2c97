/**
 * Integration tests against the real local Postgres. They create their own `vellum_test_*` database and run the
 * real migrations into it (no @vellum/testing here: it depends on this package, and a cycle would break the build
 * graph). @vellum/testing's sweeper removes any leftovers after an hour.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Client } from 'pg';
import {
  createPrismaClient,
  ensureDatabase,
  isTransientDbError,
  isUniqueViolation,
  migrate,
  MIGRATIONS_DIR,
  originStrategiesFor,
  pingDatabase,
  PrismaClient,
  quoteIdent,
  analyzeStaleTables,
  batchMembersInFlight,
  batchWindowUsage,
  claimBatchMember,
} from './index';

const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `vellum_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
const url = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

let prisma: PrismaClient;

beforeAll(async () => {
  await ensureDatabase(url);
  await ensureDatabase(url); // idempotent
  await migrate(url);
  prisma = createPrismaClient(url, { max: 4 });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  const client = new Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
  await client.end();
});

describe('migrate', () => {
  it('applies every migration and is idempotent', async () => {
    await migrate(url); // second run: nothing pending, no error
    const rows = await prisma.$queryRaw<Array<{ migration_name: string; finished_at: Date | null }>>`
      SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
    // Every committed migration folder is applied, in order.
    const committed = fs
      .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(committed[0]).toMatch(/^\d{14}_init$/);
    expect(rows.map((r) => r.migration_name)).toEqual(committed);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    await expect(pingDatabase(prisma)).resolves.toBeUndefined();
  });

  it('seeds the platform-wide delivery channel policies: shared system ones and per-customer templates (SPEC §1, §3.3)', async () => {
    const policies = await prisma.deliveryChannelPolicy.findMany({ where: { customerId: 0 } });
    const byKey = new Map(policies.map((p) => [`${p.channel}/${p.name}`, p]));
    expect([...byKey.keys()].sort()).toEqual(
      [
        'file/none',
        'iiif-av/default-audio',
        'iiif-av/default-video',
        'iiif-img/default',
        'iiif-img/use-original',
        'none/none',
        'thumbs/default',
      ].sort(),
    );
    // thumbs/default and the iiif-av defaults are templates each customer gets a copy of (SPEC §3.3 "Customers",
    // migration 20261201600001); the others are shared system policies.
    const templates = ['iiif-av/default-audio', 'iiif-av/default-video', 'thumbs/default'];
    expect(
      policies
        .filter((p) => !p.system)
        .map((p) => `${p.channel}/${p.name}`)
        .sort(),
    ).toEqual(templates);
    expect(byKey.get('thumbs/default')?.policyData).toEqual([
      '!1024,1024',
      '!400,400',
      '!200,200',
      '!100,100',
    ]);
    expect(byKey.get('iiif-av/default-video')?.policyData).toEqual(['video-mp4-720p']);
    expect(byKey.get('iiif-av/default-audio')?.policyData).toEqual(['audio-mp3-128']);
  });

  it('seeds the platform-wide default delivery channel rules', async () => {
    const rules = await prisma.defaultDeliveryChannel.findMany({ where: { customerId: 0, spaceId: 0 } });
    expect(rules.map((r) => `${r.mediaType} ${r.channel}/${r.policy}`).sort()).toEqual([
      'application/* file/none',
      'audio/* iiif-av/default-audio',
      'image/* iiif-img/default',
      'image/* thumbs/default',
      'video/* iiif-av/default-video',
    ]);
  });
});

describe('client', () => {
  it('commits an asset and its outbox row atomically, or neither', async () => {
    const customer = await prisma.customer.create({ data: { name: `c-${randomUUID()}`, displayName: 'C' } });
    const assetId = `a-${randomUUID()}`;
    const messageId = randomUUID();

    await expect(
      prisma.$transaction(async (tx) => {
        await tx.asset.create({
          data: { customerId: customer.id, spaceId: 1, id: assetId, mediaType: 'image/jpeg' },
        });
        await tx.outboxMessage.create({
          data: { id: messageId, routingKey: 'asset.ingest.requested.v1', envelope: { id: messageId } },
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await prisma.asset.count({ where: { id: assetId } })).toBe(0);
    expect(await prisma.outboxMessage.count({ where: { id: messageId } })).toBe(0);

    await prisma.$transaction(async (tx) => {
      await tx.asset.create({
        data: {
          customerId: customer.id,
          spaceId: 1,
          id: assetId,
          mediaType: 'image/jpeg',
          ingesting: true,
          deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
          tags: ['x'],
        },
      });
      await tx.outboxMessage.create({
        data: {
          id: messageId,
          routingKey: 'asset.ingest.requested.v1',
          envelope: { id: messageId, data: { assetId } },
          priority: 5,
        },
      });
    });
    const asset = await prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: customer.id, spaceId: 1, id: assetId } },
    });
    expect(asset).toMatchObject({
      ingesting: true,
      family: 'I',
      tags: ['x'],
      deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
    });
    const outbox = await prisma.outboxMessage.findUniqueOrThrow({ where: { id: messageId } });
    expect(outbox).toMatchObject({
      sentAt: null,
      priority: 5,
      envelope: { id: messageId, data: { assetId } },
    });
  });

  it('returns BigInt columns as bigint', async () => {
    await prisma.storageUsage.create({
      data: { customerId: 999, spaceId: 0, totalSizeOfStoredImages: 5_000_000_000n },
    });
    const usage = await prisma.storageUsage.findUniqueOrThrow({
      where: { customerId_spaceId: { customerId: 999, spaceId: 0 } },
    });
    expect(usage.totalSizeOfStoredImages).toBe(5_000_000_000n);
    expect(Number(usage.totalSizeOfStoredImages)).toBe(5_000_000_000);
  });

  it('detects a unique violation from Prisma and from raw pg', async () => {
    const name = `dup-${randomUUID()}`;
    await prisma.customer.create({ data: { name, displayName: 'first' } });
    const prismaErr = await prisma.customer
      .create({ data: { name, displayName: 'second' } })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(prismaErr)).toBe(true);
    expect(isTransientDbError(prismaErr)).toBe(false);

    const rawErr =
      await prisma.$executeRaw`INSERT INTO customers (name, "displayName") VALUES (${name}, 'third')`.catch(
        (e: unknown) => e,
      );
    expect(isUniqueViolation(rawErr)).toBe(true);

    const pg = new Client({ connectionString: url });
    await pg.connect();
    const pgErr = await pg
      .query(`INSERT INTO customers (name, "displayName") VALUES ($1, 'fourth')`, [name])
      .catch((e: unknown) => e);
    await pg.end();
    expect(isUniqueViolation(pgErr)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('classifies an unreachable server as transient', async () => {
    const unreachable = createPrismaClient('postgresql://postgres@127.0.0.1:1/nothing', {
      connectionTimeoutMillis: 2000,
    });
    const err = await unreachable.customer.findMany().catch((e: unknown) => e);
    await unreachable.$disconnect();
    expect(isTransientDbError(err)).toBe(true);
    expect(isUniqueViolation(err)).toBe(false);
  });
});

describe('originStrategiesFor (the query the ingest-orchestrator matches origins against)', () => {
  it("returns one customer's rules by order, then oldest first; regex unique per customer", async () => {
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) =>
        prisma.customer.create({ data: { name: `os-${n}-${randomUUID()}`, displayName: n } }),
      ),
    );
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await prisma.originStrategy.createMany({
      data: [
        { customerId: a.id, regex: 'late', strategy: 'default', order: 5, created: at(1) },
        { customerId: a.id, regex: 'tie-newer', strategy: 'default', order: 1, created: at(3) },
        { customerId: a.id, regex: 'tie-older', strategy: 'default', order: 1, created: at(2) },
        { customerId: a.id, regex: 'first', strategy: 's3-ambient', order: -1, created: at(4) },
        { customerId: b.id, regex: 'other customer', strategy: 'default', order: 0 },
      ],
    });
    expect((await originStrategiesFor(prisma, a.id)).map((r) => r.regex)).toEqual([
      'first',
      'tie-older',
      'tie-newer',
      'late',
    ]);
    expect((await originStrategiesFor(prisma, b.id)).map((r) => r.regex)).toEqual(['other customer']);
    const duplicate = await prisma.originStrategy
      .create({ data: { customerId: a.id, regex: 'late', strategy: 'ftp' } })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
    // Deleting a customer deletes its rules.
    await prisma.customer.delete({ where: { id: b.id } });
    expect(await originStrategiesFor(prisma, b.id)).toEqual([]);
  });
});

describe('analyzeStaleTables (planner statistics when autovacuum is off)', () => {
  it('analyzes a table filled since its last ANALYZE, after which a key lookup plans on the primary key', async () => {
    const customer = await prisma.customer.create({ data: { name: `st-${randomUUID()}`, displayName: 'S' } });
    await prisma.$executeRawUnsafe(
      `INSERT INTO "assets" ("customerId", "spaceId", "id", "mediaType", "updated")
       SELECT $1::int, 1, 'a-' || n, 'image/jpeg', now() FROM generate_series(1, 5000) AS n`,
      customer.id,
    );
    // The counters PostgreSQL keeps per table are flushed shortly after a transaction ends.
    const deadline = Date.now() + 20_000;
    let analyzed: string[] = [];
    while (!analyzed.includes('assets') && Date.now() < deadline) {
      analyzed = analyzed.concat(await analyzeStaleTables(prisma, { force: true }));
      if (!analyzed.includes('assets')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(analyzed).toContain('assets');
    const plan = await prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
      `EXPLAIN SELECT * FROM "assets" WHERE "customerId" = $1::int AND "spaceId" = 1 AND "id" = 'a-1234'`,
      customer.id,
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('assets_pkey');
    // Nothing changed since: nothing to analyze.
    expect(await analyzeStaleTables(prisma, { force: true })).not.toContain('assets');
  });
});

describe('claimBatchMember with a window (the orchestrator fair share between customers)', () => {
  it('claims while the customer has fewer than `window` members in flight, counts across batches, never another customer', async () => {
    const mk = async () => {
      const name = `w-${randomUUID()}`;
      return (await prisma.customer.create({ data: { name, displayName: name } })).id;
    };
    const [a, b] = [await mk(), await mk()];
    const members = async (customerId: number, n: number) => {
      const batch = await prisma.batch.create({ data: { customerId, count: n } });
      await prisma.batchMember.createMany({
        data: Array.from({ length: n }, (_, i) => ({
          batchId: batch.id,
          customerId,
          spaceId: 1,
          assetId: `m-${batch.id}-${i}`,
          attempt: 1,
        })),
      });
      return Array.from({ length: n }, (_, i) => ({
        customerId,
        spaceId: 1,
        assetId: `m-${batch.id}-${i}`,
        attempt: 1,
        batchId: batch.id,
      }));
    };
    const a1 = await members(a, 3);
    const a2 = await members(a, 2);
    const b1 = await members(b, 2);
    const now = new Date();
    const claim = (ref: (typeof a1)[number]) => claimBatchMember(prisma, ref, now, { window: 3 });

    expect(await claim(a1[0])).toBe('claimed');
    expect(await claim(a1[1])).toBe('claimed');
    expect(await claim(a2[0])).toBe('claimed'); // another batch of the same customer: the same window
    expect(await claim(a1[2])).toBe('full');
    expect(await claim(a2[1])).toBe('full');
    expect(await batchMembersInFlight(prisma, a, 10)).toBe(3);
    // A member already started is claimed again (a retry), window or not.
    expect(await claim(a1[0])).toBe('claimed');
    // The other customer has a window of its own.
    expect(await claim(b1[0])).toBe('claimed');
    expect(await batchMembersInFlight(prisma, b, 10)).toBe(1);
    // Without a window, anything pending is claimed.
    expect(await claimBatchMember(prisma, a1[2], now)).toBe('claimed');

    // A member that lands frees its place.
    await prisma.batchMember.updateMany({
      where: { customerId: a, assetId: { in: [a1[0].assetId, a1[1].assetId] } },
      data: { outcome: 'completed', finished: now },
    });
    expect(await batchMembersInFlight(prisma, a, 10)).toBe(2);
    expect(await claim(a2[1])).toBe('claimed');
    expect(await claim({ ...a2[1], assetId: 'no-such-member' })).toBe('none');
    expect(await claimBatchMember(prisma, { ...a2[1], batchId: undefined }, now, { window: 3 })).toBe('none');

    const usage = await batchWindowUsage(prisma, 10);
    expect(usage).toEqual(
      expect.arrayContaining([
        { customerId: a, inFlight: 3 },
        { customerId: b, inFlight: 1 },
      ]),
    );
  });
});
