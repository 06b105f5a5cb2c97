import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

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
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
  });
  return new PrismaClient({ adapter });
}

/**
 * Runs `SELECT 1`; resolves when the database answers, rejects otherwise. For readiness checks.
 */
export async function pingDatabase(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
