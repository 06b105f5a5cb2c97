import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS_DIR, migrate, quoteIdent } from '@vellum/db';

/** Default server for test databases: `TEST_DATABASE_URL`, else the local Postgres (trust auth). */
export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

const TEST_PREFIX = 'vellum_test_';
const TEMPLATE_PREFIX = 'vellum_template_';
/** pg_advisory_lock key namespace for template creation ("vellum" in ASCII, as int32). */
const LOCK_NAMESPACE = 0x76656c6c;

/** A database created by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the base URL). */
  url: string;
  /** Its name: `vellum_test_<base36 ms timestamp>_<random>`. */
  name: string;
  /** Terminates its connections and drops it. Idempotent. */
  drop(): Promise<void>;
}

function baseUrlOf(opts?: { baseUrl?: string }): string {
  return opts?.baseUrl ?? process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function connectMaintenance(baseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await client.connect();
  return client;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    const rel = prefix ? `${prefix}/${entry}` : entry;
    if (statSync(full).isDirectory()) out.push(...listFiles(full, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Hash (12 hex chars) of every file name and byte in the db package's `prisma/migrations`: the template database
 * name changes whenever a migration is added or edited.
 */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const rel of listFiles(dir)) {
    hash
      .update(rel)
      .update('\0')
      .update(readFileSync(path.join(dir, rel)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** Name of the migrated template database for the current migrations: `vellum_template_<hash>`. */
export function templateDatabaseName(): string {
  return `${TEMPLATE_PREFIX}${migrationsHash()}`;
}

const templatePromises = new Map<string, Promise<string>>();

/**
 * Ensures the migrated template database exists on the server of `baseUrl` and returns its name. The first caller
 * (across jest workers and processes, serialised by a Postgres advisory lock) builds it under a temporary name by
 * running the real migrations (`migrate()` from @vellum/db, i.e. `prisma migrate deploy`) and then renames it, so a
 * crashed build never leaves a half-migrated template behind.
 */
export function ensureTemplateDatabase(opts?: { baseUrl?: string }): Promise<string> {
  const baseUrl = baseUrlOf(opts);
  const name = templateDatabaseName();
  const key = `${baseUrl}|${name}`;
  let promise = templatePromises.get(key);
  if (!promise) {
    promise = buildTemplate(baseUrl, name);
    templatePromises.set(key, promise);
    promise.catch(() => templatePromises.delete(key));
  }
  return promise;
}

async function databaseExists(client: Client, name: string): Promise<boolean> {
  const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (res.rowCount ?? 0) > 0;
}

async function buildTemplate(baseUrl: string, name: string): Promise<string> {
  const client = await connectMaintenance(baseUrl);
  try {
    if (await databaseExists(client, name)) return name;
    const lockKey = parseInt(name.slice(TEMPLATE_PREFIX.length, TEMPLATE_PREFIX.length + 7), 16);
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, lockKey]);
    try {
      if (await databaseExists(client, name)) return name;
      const building = `${name}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${quoteIdent(building)}`);
      try {
        await migrate(withDatabase(baseUrl, building));
        await retryWhileInUse(() =>
          client.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`),
        );
      } catch (err) {
        await client
          .query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`)
          .catch(() => undefined);
        throw err;
      }
      return name;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, lockKey]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Retries `fn` while Postgres answers 55006 ("database is being accessed by other users"): a concurrent clone of
 * the template, or the migrate process's sessions still closing.
 */
async function retryWhileInUse<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

let staleSweepDone = false;

/**
 * Creates a fresh, fully migrated database for one test file: `CREATE DATABASE vellum_test_<time>_<random>
 * TEMPLATE vellum_template_<hash>` (building the template first when needed, see {@link ensureTemplateDatabase}).
 * The first call in a process also sweeps test databases older than an hour ({@link dropStaleTestDatabases}).
 *
 * @param opts.baseUrl any URL on the target server (default `TEST_DATABASE_URL`, else
 *   `postgresql://postgres@127.0.0.1:5432/postgres`); the role must be allowed to create databases.
 * @throws when the server is unreachable or migrations fail (MigrationError from @vellum/db with the CLI output).
 */
export async function createTestDatabase(opts?: { baseUrl?: string }): Promise<TestDatabase> {
  const baseUrl = baseUrlOf(opts);
  if (!staleSweepDone) {
    staleSweepDone = true;
    await dropStaleTestDatabases({ baseUrl }).catch(() => undefined);
  }
  const template = await ensureTemplateDatabase({ baseUrl });
  const name = `${TEST_PREFIX}${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  const client = await connectMaintenance(baseUrl);
  try {
    await retryWhileInUse(() =>
      client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`),
    );
  } finally {
    await client.end();
  }
  let dropped = false;
  return {
    name,
    url: withDatabase(baseUrl, name),
    drop: async () => {
      if (dropped) return;
      await dropDatabase(baseUrl, name);
      dropped = true;
    },
  };
}

async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  if (!name.startsWith('vellum_')) throw new Error(`refusing to drop "${name}": not a vellum_ database`);
  const client = await connectMaintenance(baseUrl);
  try {
    // WITH (FORCE) terminates the remaining sessions (Postgres 13+).
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Drops `vellum_test_*` databases created more than `olderThanMs` ago (default one hour; the creation time is
 * encoded in the name). With `includeOldTemplates`, also drops `vellum_template_*` databases for other migration
 * hashes. Never touches databases without the `vellum_` prefix. Returns the names dropped.
 */
export async function dropStaleTestDatabases(
  opts: { baseUrl?: string; olderThanMs?: number; includeOldTemplates?: boolean } = {},
): Promise<string[]> {
  const baseUrl = baseUrlOf(opts);
  const cutoff = Date.now() - (opts.olderThanMs ?? 60 * 60 * 1000);
  const client = await connectMaintenance(baseUrl);
  const dropped: string[] = [];
  try {
    const res = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'vellum\\_%' ORDER BY datname",
    );
    const currentTemplate = opts.includeOldTemplates ? templateDatabaseName() : undefined;
    for (const { datname } of res.rows) {
      let stale = false;
      if (datname.startsWith(TEST_PREFIX)) {
        const created = parseInt(datname.slice(TEST_PREFIX.length).split('_')[0] ?? '', 36);
        stale = Number.isFinite(created) && created < cutoff;
      } else if (currentTemplate && datname.startsWith(TEMPLATE_PREFIX)) {
        stale = datname !== currentTemplate && !datname.endsWith('_building');
      }
      if (!stale) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
        dropped.push(datname);
      } catch {
        // In use by a concurrent CREATE ... TEMPLATE, or already gone: leave it for the next sweep.
      }
    }
  } finally {
    await client.end();
  }
  return dropped;
}
