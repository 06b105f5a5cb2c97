import fs from 'node:fs';
import { MIGRATIONS_DIR } from '@vellum/db';
import { Client } from 'pg';
import {
  createTestDatabase,
  dropStaleTestDatabases,
  ensureTemplateDatabase,
  templateDatabaseName,
  withDatabase,
  type TestDatabase,
} from './database';

const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function exists(name: string): Promise<boolean> {
  const rows = await query(baseUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

describe('createTestDatabase (template clone)', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('builds the template once, concurrently safe, and clones fully migrated databases', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    dbs.push(a, b);
    expect(a.name).toMatch(/^vellum_test_[0-9a-z]+_[0-9a-f]{10}$/);
    expect(a.name).not.toBe(b.name);
    expect(await exists(templateDatabaseName())).toBe(true);
    expect(await ensureTemplateDatabase()).toBe(templateDatabaseName());

    const migrations = await query<{ migration_name: string }>(
      a.url,
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    const committed = fs
      .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(migrations.map((m) => m.migration_name)).toEqual(committed);
    const policies = await query(b.url, 'SELECT * FROM delivery_channel_policies WHERE "customerId" = 0');
    expect(policies).toHaveLength(7);
  });

  it('keeps two clones isolated', async () => {
    const [a, b] = dbs as [TestDatabase, TestDatabase];
    await query(a.url, `INSERT INTO customers (name, "displayName") VALUES ('only-in-a', 'A')`);
    expect(await query(a.url, `SELECT id FROM customers WHERE name = 'only-in-a'`)).toHaveLength(1);
    expect(await query(b.url, `SELECT id FROM customers WHERE name = 'only-in-a'`)).toHaveLength(0);
    // The template itself stays untouched.
    expect(
      await query(withDatabase(baseUrl, templateDatabaseName()), 'SELECT id FROM customers'),
    ).toHaveLength(0);
  });

  it('drop() terminates open connections and removes the database', async () => {
    const db = await createTestDatabase();
    const open = new Client({ connectionString: db.url });
    open.on('error', () => undefined);
    await open.connect();
    await db.drop();
    await db.drop(); // idempotent
    expect(await exists(db.name)).toBe(false);
    await open.end().catch(() => undefined);
  });

  it('dropStaleTestDatabases removes only old vellum_test_ databases', async () => {
    const oldName = `vellum_test_${(Date.now() - 2 * 60 * 60 * 1000).toString(36)}_0000000000`;
    await query(baseUrl, `CREATE DATABASE "${oldName}"`);
    const fresh = await createTestDatabase();
    dbs.push(fresh);
    const dropped = await dropStaleTestDatabases();
    expect(dropped).toContain(oldName);
    expect(dropped).not.toContain(fresh.name);
    expect(await exists(oldName)).toBe(false);
    expect(await exists(fresh.name)).toBe(true);
    expect(await exists(templateDatabaseName())).toBe(true);
  });
});
