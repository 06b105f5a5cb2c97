/**
 * Error classification for Prisma (driver adapter) and raw `pg` errors. Both helpers look through the whole error
 * chain: the Prisma error's `code` (P2002...), `meta.driverAdapterError.cause` (`kind`, `originalCode`), `cause`,
 * and a pg `DatabaseError`'s SQLSTATE `code`.
 */

interface ErrorFacts {
  codes: Set<string>;
  kinds: Set<string>;
  messages: string[];
}

function collect(
  err: unknown,
  facts: ErrorFacts = { codes: new Set(), kinds: new Set(), messages: [] },
  depth = 0,
): ErrorFacts {
  if (depth > 6 || err === null || typeof err !== 'object') {
    if (typeof err === 'string') facts.messages.push(err);
    return facts;
  }
  const e = err as Record<string, unknown>;
  for (const key of ['code', 'originalCode', 'errorCode']) {
    const v = e[key];
    if (typeof v === 'string' || typeof v === 'number') facts.codes.add(String(v));
  }
  if (typeof e.kind === 'string') facts.kinds.add(e.kind);
  if (typeof e.message === 'string') facts.messages.push(e.message);
  if (typeof e.originalMessage === 'string') facts.messages.push(e.originalMessage);
  const meta = e.meta as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') {
    collect(meta.driverAdapterError, facts, depth + 1);
    if (typeof meta.code === 'string') facts.codes.add(meta.code);
  }
  if ('cause' in e) collect(e.cause, facts, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, facts, depth + 1);
  return facts;
}

/**
 * True when `err` is a unique-constraint violation: Prisma `P2002`, driver adapter kind `UniqueConstraintViolation`,
 * or Postgres SQLSTATE `23505` (raw pg).
 */
export function isUniqueViolation(err: unknown): boolean {
  const { codes, kinds } = collect(err);
  return codes.has('P2002') || codes.has('23505') || kinds.has('UniqueConstraintViolation');
}

const TRANSIENT_CODES = new Set([
  // Prisma
  'P1001', // can't reach database server
  'P1002', // database server timed out
  'P1008', // operations timed out
  'P1017', // server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction API error (e.g. transaction expired/closed under load)
  'P2034', // transaction failed due to a write conflict or a deadlock
  // Postgres SQLSTATE
  '08000',
  '08001',
  '08003',
  '08004',
  '08006', // connection exceptions
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  // Node sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const TRANSIENT_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);

const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection (?:is )?closed/i,
  /server closed the connection/i,
  /terminating connection due to administrator command/i,
  /the database system is (?:starting up|shutting down)/i,
  /timeout exceeded when trying to connect/i,
  /can't reach database server/i,
  /ECONNREFUSED|ECONNRESET/,
];

/**
 * True when `err` is worth retrying later: the database was unreachable, closed the connection, restarted,
 * ran out of connections, timed out, or aborted the transaction for a serialization failure / deadlock.
 * Constraint violations, bad input and other query errors are not transient.
 */
export function isTransientDbError(err: unknown): boolean {
  const { codes, kinds, messages } = collect(err);
  for (const code of codes) if (TRANSIENT_CODES.has(code)) return true;
  for (const kind of kinds) if (TRANSIENT_KINDS.has(kind)) return true;
  return messages.some((m) => TRANSIENT_MESSAGES.some((re) => re.test(m)));
}

const WRITE_CONFLICT_CODES = new Set(['P2034', '40001', '40P01']);

/** True when `err` (or an error in its `cause` chain) was raised by Prisma, its driver adapter or `pg`. */
function fromDatabaseClient(err: unknown, depth = 0): boolean {
  if (depth > 6 || err === null || typeof err !== 'object') return false;
  const e = err as Record<string, unknown>;
  const name = typeof e.name === 'string' ? e.name : '';
  if (
    /^PrismaClient/.test(name) ||
    name === 'DriverAdapterError' ||
    name === 'DatabaseError' ||
    name === 'DatabaseConnectionError'
  )
    return true;
  if (typeof e.clientVersion === 'string') return true;
  return 'cause' in e && fromDatabaseClient(e.cause, depth + 1);
}

/**
 * True when `err` came from the database client and means the database itself is unavailable (unreachable,
 * restarting, out of connections, connection lost): a transient error ({@link isTransientDbError}) that is not a
 * write conflict or deadlock, raised by Prisma/pg rather than by something else that happens to mention
 * `ECONNRESET` (an origin server, say). Consumers use it to pause instead of spending a message's retries
 * (SPEC.md §10 "Reliability").
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!fromDatabaseClient(err) || !isTransientDbError(err)) return false;
  const { codes, kinds } = collect(err);
  for (const code of codes) if (WRITE_CONFLICT_CODES.has(code)) return false;
  return !kinds.has('TransactionWriteConflict');
}
