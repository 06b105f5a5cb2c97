/**
 * @vellum/db: Vellum's metadata store (SPEC.md §1, §3, §4, §8). Prisma 6.19 schema, committed SQL migrations and a
 * client that runs on Prisma's JS/WebAssembly engines through `@prisma/adapter-pg` (no native binaries).
 *
 * Import everything from here: `import { createPrismaClient, PrismaClient, Prisma, Asset } from '@vellum/db'`.
 */
export * from './generated/prisma/client';
export { createPrismaClient, pingDatabase, queryPrepared, type CreatePrismaClientOptions } from './client';
export {
  migrate,
  ensureDatabase,
  MigrationError,
  MIGRATIONS_DIR,
  DB_PACKAGE_DIR,
  quoteIdent,
  redactUrl,
} from './migrate';
export { isUniqueViolation, isTransientDbError, isDatabaseUnavailable } from './errors';
export { originStrategiesFor, ORIGIN_STRATEGY_ORDER } from './origin-strategies';
export { analyzeStaleTables, type AnalyzeOptions } from './statistics';

/** Nest injection token under which apps provide the shared `PrismaClient`. */
export const PRISMA = Symbol('PRISMA');

/** `customerId` of platform-wide rows (system delivery channel policies, default delivery channel rules). */
export const PLATFORM_CUSTOMER_ID = 0;
export {
  addToBatch,
  cancelBatch,
  claimBatchMember,
  closeMembersOfDeletedAssets,
  DELETED_ERROR,
  isBatchComplete,
  markSuperseded,
  CANCELLED_ERROR,
  type BatchDelta,
  type BatchLedgerRow,
  type BatchTotals,
  type CancelledMember,
  type CancelOutcome,
  type ClaimResult,
  type LedgerDb,
  type LedgerUpdate,
  type MemberRef,
} from './batch-ledger';
export {
  DEFAULT_NAMED_QUERY_ORDER,
  findNamedQuery,
  findNamedQueryAssets,
  namedQueryStatement,
  type FindNamedQueryAssetsOptions,
  type NamedQueryAsset,
  type NamedQueryStatement,
  type ResolvedNamedQuery,
} from './named-query-assets';
