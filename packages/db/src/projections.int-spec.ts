/**
 * The projection ledger against the real local Postgres: its own `vellum_test_*` database with the real migrations
 * (as db.int-spec.ts; no @vellum/testing here, it depends on this package).
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  claimProjectionBuild,
  completeProjectionBuild,
  createPrismaClient,
  ensureDatabase,
  failProjectionBuild,
  findProjection,
  forgetMissingProjectionObject,
  migrate,
  PrismaClient,
  quoteIdent,
  requestProjectionBuild,
  type ProjectionRef,
} from './index';

const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `vellum_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
const url = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const timing = { buildTimeoutMs: 60_000, failedRetryMs: 10_000 };

let prisma: PrismaClient;
let customerId: number;

beforeAll(async () => {
  await ensureDatabase(url);
  await migrate(url);
  prisma = createPrismaClient(url, { max: 8 });
  const c = await prisma.customer.create({ data: { name: 'ledger', displayName: 'Ledger' } });
  customerId = c.id;
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  const client = new Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
  await client.end();
});

const ref = (queryName: string, args: string[] = ['b1']): ProjectionRef => ({
  customerId,
  queryName,
  kind: 'pdf',
  args,
});
const result = (fingerprint: string, key: string) => ({
  fingerprint,
  itemCount: 3,
  sizeBytes: 12345,
  roles: ['r1'],
  objectBucket: 'vellum-outputs',
  objectKey: key,
});

describe('projection ledger', () => {
  it('creates a record on the first request, then only rebuilds when the members change', async () => {
    const first = await requestProjectionBuild(prisma, ref('book'), 'F1', timing);
    expect(first.requested).toBe('missing');
    expect(first.row).toMatchObject({ status: 'in_process', build: 1, requestedFingerprint: 'F1' });
    expect(first.row.args).toEqual(['b1']);

    // While it is being built, another request asks for nothing.
    const again = await requestProjectionBuild(prisma, ref('book'), 'F1', timing);
    expect(again.requested).toBeUndefined();
    expect(again.row.build).toBe(1);

    expect(await claimProjectionBuild(prisma, first.row.id, 1)).not.toBeNull();
    const done = await completeProjectionBuild(prisma, first.row.id, 1, result('F1', 'k/1.pdf'));
    expect(done).toEqual({ updated: true });
    const row = await findProjection(prisma, ref('book'));
    expect(row).toMatchObject({
      status: 'done',
      fingerprint: 'F1',
      itemCount: 3,
      roles: ['r1'],
      objectKey: 'k/1.pdf',
    });
    expect(row!.sizeBytes).toBe(12345n);
    expect(row!.created).toBeInstanceOf(Date);

    // A redelivered command for the finished build is not claimed again.
    expect(await claimProjectionBuild(prisma, first.row.id, 1)).toBeNull();
    expect((await requestProjectionBuild(prisma, ref('book'), 'F1', timing)).requested).toBeUndefined();

    // A member changed: build 2, whose completion reports the object it replaced.
    const stale = await requestProjectionBuild(prisma, ref('book'), 'F2', timing);
    expect(stale.requested).toBe('stale');
    expect(stale.row).toMatchObject({ status: 'in_process', build: 2 });
    expect(await claimProjectionBuild(prisma, first.row.id, 1)).toBeNull(); // superseded command
    const second = await completeProjectionBuild(prisma, first.row.id, 2, result('F2', 'k/2.pdf'));
    expect(second).toEqual({ updated: true, replaced: { bucket: 'vellum-outputs', key: 'k/1.pdf' } });
    // The superseded build can no longer write anything.
    expect(await completeProjectionBuild(prisma, first.row.id, 1, result('F1', 'k/1.pdf'))).toEqual({
      updated: false,
    });
    expect(await failProjectionBuild(prisma, first.row.id, 1, 'late')).toBe(false);
    expect(await findProjection(prisma, ref('book'))).toMatchObject({ status: 'done', fingerprint: 'F2' });
  });

  it('keys records by customer, query, kind and arguments', async () => {
    const a = await requestProjectionBuild(prisma, ref('keyed', ['x']), 'F', timing);
    const b = await requestProjectionBuild(prisma, ref('keyed', ['y']), 'F', timing);
    const z = await requestProjectionBuild(prisma, { ...ref('keyed', ['x']), kind: 'zip' }, 'F', timing);
    expect(new Set([a.row.id, b.row.id, z.row.id]).size).toBe(3);
    expect((await findProjection(prisma, ref('keyed', ['x'])))!.id).toBe(a.row.id);
  });

  it('asks once when many requests race for a missing or a stale projection', async () => {
    const rs = await Promise.all(
      Array.from({ length: 8 }, () => requestProjectionBuild(prisma, ref('race'), 'F1', timing)),
    );
    expect(rs.filter((r) => r.requested)).toHaveLength(1);
    expect(new Set(rs.map((r) => r.row.id)).size).toBe(1);
    const id = rs[0].row.id;
    await completeProjectionBuild(prisma, id, 1, result('F1', 'r/1.pdf'));
    const again = await Promise.all(
      Array.from({ length: 8 }, () => requestProjectionBuild(prisma, ref('race'), 'F2', timing)),
    );
    expect(again.filter((r) => r.requested)).toHaveLength(1);
    expect((await findProjection(prisma, ref('race')))!.build).toBe(2);
  });

  it('records a failure, retries it later or at once for other members, and a lost build after the timeout', async () => {
    const t0 = new Date('2026-12-08T12:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const r = await requestProjectionBuild(prisma, ref('fails'), 'F1', timing, t0);
    expect(await failProjectionBuild(prisma, r.row.id, 1, 'x'.repeat(2000))).toBe(true);
    const failed = await findProjection(prisma, ref('fails'));
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed!.error).toHaveLength(1000);
    expect(
      (await requestProjectionBuild(prisma, ref('fails'), 'F1', timing, at(5_000))).requested,
    ).toBeUndefined();
    const retried = await requestProjectionBuild(prisma, ref('fails'), 'F1', timing, at(10_001));
    expect(retried.requested).toBe('retry-failed');
    expect(retried.row).toMatchObject({ status: 'in_process', build: 2, error: null });
    await failProjectionBuild(prisma, r.row.id, 2, 'again');
    const changed = await requestProjectionBuild(prisma, ref('fails'), 'F2', timing, at(10_002));
    expect(changed.requested).toBe('changed-after-failure');
    // Build 3 is never finished (its command was lost): after the build timeout it is asked for again.
    expect(
      (await requestProjectionBuild(prisma, ref('fails'), 'F2', timing, at(60_000))).requested,
    ).toBeUndefined();
    const lost = await requestProjectionBuild(prisma, ref('fails'), 'F2', timing, at(70_003));
    expect(lost.requested).toBe('lost');
    expect(lost.row.build).toBe(4);
  });

  it('rebuilds a done projection whose object went missing', async () => {
    const r = await requestProjectionBuild(prisma, ref('missing'), 'F', timing);
    await completeProjectionBuild(prisma, r.row.id, 1, result('F', 'm/1.pdf'));
    expect(await forgetMissingProjectionObject(prisma, r.row.id, 2)).toBe(false); // not its build
    expect(await forgetMissingProjectionObject(prisma, r.row.id, 1)).toBe(true);
    expect(await findProjection(prisma, ref('missing'))).toMatchObject({
      status: 'failed',
      error: 'The stored object is missing',
    });
    const again = await requestProjectionBuild(prisma, ref('missing'), 'F', timing);
    expect(again.requested).toBe('changed-after-failure');
    expect(again.row.build).toBe(2);
  });

  it('goes with its customer', async () => {
    const c = await prisma.customer.create({ data: { name: 'gone', displayName: 'Gone' } });
    const r = await requestProjectionBuild(prisma, { ...ref('x'), customerId: c.id }, 'F', timing);
    await prisma.customer.delete({ where: { id: c.id } });
    expect(await claimProjectionBuild(prisma, r.row.id, 1)).toBeNull();
  });
});
