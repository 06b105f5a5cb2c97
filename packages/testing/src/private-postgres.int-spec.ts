import { Client } from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';
import { createTestDatabase } from './database';

describe('startPrivatePostgres', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
  }, 120_000);
  afterAll(() => pg?.destroy());

  async function query(url: string): Promise<number> {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return (await c.query<{ n: number }>('SELECT 1 AS n')).rows[0].n;
    } finally {
      await c.end();
    }
  }

  it('answers, refuses while stopped, answers again after start, and hosts migrated test databases', async () => {
    expect(await query(pg.url)).toBe(1);
    await pg.stop();
    await expect(query(pg.url)).rejects.toThrow(/ECONNREFUSED/);
    await pg.start();
    expect(await query(pg.url)).toBe(1);
    const db = await createTestDatabase({ baseUrl: pg.url });
    try {
      expect(await query(db.url)).toBe(1);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
