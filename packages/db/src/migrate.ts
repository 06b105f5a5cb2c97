import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

/** The db package root (`src/` and `dist/` both sit one level below it). */
export const DB_PACKAGE_DIR = path.resolve(__dirname, '..');
/** The committed SQL migrations (`prisma migrate deploy` applies them in name order). */
export const MIGRATIONS_DIR = path.join(DB_PACKAGE_DIR, 'prisma', 'migrations');
const PRISMA_SCRIPT = path.join(DB_PACKAGE_DIR, 'scripts', 'prisma.mjs');

/** Thrown by {@link migrate} when `prisma migrate deploy` fails; `output` holds the CLI's stdout + stderr. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * Applies the committed SQL migrations (`prisma/migrations`) to `databaseUrl` by running
 * `prisma migrate deploy` (JS schema engine, offline) as a child process. Idempotent: applied migrations are skipped;
 * concurrent callers are serialised by Prisma's own advisory lock. The database must exist (see {@link ensureDatabase}).
 *
 * @param opts.timeoutMs kill the CLI after this many ms (default 120000).
 * @throws MigrationError when the CLI exits non-zero or times out (message includes the CLI output).
 */
export async function migrate(databaseUrl: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [PRISMA_SCRIPT, 'migrate', 'deploy'], {
      cwd: DB_PACKAGE_DIR,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new MigrationError(`prisma migrate deploy timed out after ${timeoutMs} ms\n${output}`, output));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new MigrationError(`could not run prisma migrate deploy: ${err.message}`, output));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new MigrationError(
            `prisma migrate deploy failed (exit ${code ?? signal}) for ${redactUrl(databaseUrl)}\n${output}`,
            output,
          ),
        );
    });
  });
}

/**
 * Creates the database named in `databaseUrl` if it does not exist, by connecting to the `postgres` maintenance
 * database on the same server with the same credentials. Safe to call concurrently. Used by `npm start` before
 * {@link migrate}.
 *
 * @throws the pg error when the server is unreachable or the role may not create databases.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`ensureDatabase: no database name in ${redactUrl(databaseUrl)}`);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // 42P04 duplicate_database / 23505 on pg_database: someone else created it meanwhile.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
    }
  } finally {
    await client.end();
  }
}

/** Quotes a Postgres identifier (`"a""b"`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<invalid database URL>';
  }
}
