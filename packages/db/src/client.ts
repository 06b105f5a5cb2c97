import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type Prisma } from './generated/prisma/client';

/** The pg pool under each client made by {@link createPrismaClient}, for {@link queryPrepared}. */
const POOLS = new WeakMap<object, pg.Pool>();

/** Options of {@link createPrismaClient}. */
export interface CreatePrismaClientOptions {
  /** Maximum connections in the pg pool (default 10). */
  max?: number;
  /** Idle connection lifetime in ms before the pool closes it (default 30000). */
  idleTimeoutMillis?: number;
  /** Time in ms to wait for a new connection before failing (default 10000). */
  connectionTimeoutMillis?: number;
}

/**
 * Creates a PrismaClient that talks to Postgres through `@prisma/adapter-pg` (a `pg` pool) and Prisma's
 * WebAssembly query compiler: no native engine binary is loaded or downloaded.
 *
 * Does not connect until the first query (or `$connect()`); call `$disconnect()` on shutdown to end the pool.
 * Column value shapes: `BigInt` columns come back as JS `bigint` (not JSON-serialisable: convert with `Number()`),
 * `Json` columns as parsed JS values (`Prisma.JsonValue`), `DateTime` as `Date`, `String[]` as `string[]`.
 *
 * @param databaseUrl e.g. `postgresql://postgres@127.0.0.1:5432/vellum` (the `DATABASE_URL` env var).
 */
export function createPrismaClient(databaseUrl: string, opts: CreatePrismaClientOptions = {}): PrismaClient {
  if (!databaseUrl) throw new Error('createPrismaClient: databaseUrl is empty (set DATABASE_URL)');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
  });
  // `$disconnect()` ends the pool (the adapter owns it).
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  POOLS.set(client, pool);
  return client;
}

/**
 * Runs one SQL statement as a named prepared statement straight on the pg pool of `db`, bypassing
 * Prisma's query compiler: for the hottest lookups (an asset or a batch by key), where the compiler costs several
 * times the query (≈0.9 ms of CPU against ≈0.3 ms). Rows come back as pg parses them, which for a `SELECT *` of a
 * model's table matches Prisma's row shape (Json parsed, arrays as arrays, timestamps as `Date`, enums as
 * strings) except `BigInt` columns (strings here).
 * Inside a transaction (`db` is a transaction client) or on a client not made by {@link createPrismaClient}, falls
 * back to `$queryRawUnsafe` (same statement, same results).
 * @param name a statement name unique to this `text` (Postgres caches the plan per connection under it).
 * @param text SQL with `$1..$n` placeholders; the caller applies every scope (customer) itself.
 * @returns the rows.
 * @throws pg's `DatabaseError` for a server error; {@link DatabaseConnectionError} when the connection failed.
 */
export async function queryPrepared<T>(
  db: PrismaClient | Prisma.TransactionClient,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const pool = POOLS.get(db);
  if (!pool) return (db as PrismaClient).$queryRawUnsafe<T[]>(text, ...values);
  try {
    const result = await pool.query({ name, text, values });
    return result.rows as T[];
  } catch (err) {
    // A server error is pg's `DatabaseError` (with its SQLSTATE); anything else came from the connection itself.
    // (Duck-typed: socket errors may come from another realm, e.g. under jest, and fail `instanceof Error`.)
    const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
    if (name !== 'DatabaseError') throw new DatabaseConnectionError(err);
    throw err;
  }
}

/**
 * What {@link queryPrepared} throws when the pool could not reach the server or lost the connection (refused,
 * reset, terminated, pool connect timeout): the original `pg`/socket error as `cause`, its `code` kept, so that
 * `isDatabaseUnavailable` and `isTransientDbError` see it as the database client's, like Prisma's own errors.
 */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
  readonly code?: string;
  constructor(cause: unknown) {
    const message =
      typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : cause;
    super(`Database connection failed: ${String(message)}`, { cause });
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') this.code = code;
  }
}

/**
 * Runs `SELECT 1`; resolves when the database answers, rejects otherwise. For readiness checks.
 */
export async function pingDatabase(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
