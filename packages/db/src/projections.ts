import { createHash, randomUUID } from 'node:crypto';
import type {
  NamedQueryProjection,
  Prisma,
  PrismaClient,
  ProjectionKind,
  ProjectionStatus,
} from './generated/prisma/client';
import { isUniqueViolation } from './errors';

/**
 * The projection ledger (SPEC.md §7 `pdf`, `zip`): the control records of the stored PDF and ZIP projections of
 * named queries, written by two apps, iiif-delivery (which creates a record and asks for a build when a request
 * finds the projection missing, stale or stuck) and the image-processor (which builds it and marks it done or
 * failed). Their one set of rules lives here:
 *
 * - one record per customer, query name, kind and normalised arguments (`argsKey`, unique);
 * - a (re)build request increments `build` by a conditional UPDATE on the `build` it read, so of two requests at
 *   once exactly one asks (the other sees the first's build in process), and the command carries that number;
 * - the worker only writes a result for the record's current `build` while it is `in_process`
 *   ({@link completeProjectionBuild}, {@link failProjectionBuild}): a superseded command changes nothing;
 * - the object of build n is at {@link projectionObjectKey}`(…, n)`, so a build never overwrites the object that
 *   delivery may be streaming; the worker deletes the replaced one after marking its own done.
 * - freshness: {@link projectionFingerprint} of the query's members now equals the record's `fingerprint`.
 */

/** A Prisma client or the `tx` of a transaction. */
export type ProjectionDb = PrismaClient | Prisma.TransactionClient;

/** Identifies one stored projection: whose assets, which query, which kind, which (normalised) arguments. */
export interface ProjectionRef {
  customerId: number;
  queryName: string;
  kind: ProjectionKind;
  /** Percent-decoded URL arguments, those beyond the template's arity dropped ({@link normaliseProjectionArgs}). */
  args: string[];
}

/** What a member contributes to a projection's fingerprint. */
export interface FingerprintMember {
  customerId: number;
  spaceId: number;
  id: string;
  /** When its last ingest finished; null while it never did. */
  finished: Date | null;
  /** Roles decide redaction (PDF) and which images are open (ZIP), so a change of roles makes a projection stale. */
  roles: readonly string[];
}

/**
 * The fingerprint of what a projection is built from (hex sha256): the template text, the arguments, and each
 * member in order with its `customer/space/id`, `finished` time (ms) and sorted roles. A member added, removed,
 * reordered, reingested or given other roles, or the template edited, gives another fingerprint.
 */
export function projectionFingerprint(input: {
  template: string;
  args: readonly string[];
  members: readonly FingerprintMember[];
}): string {
  const h = createHash('sha256');
  h.update(`template\u0000${input.template}\u0000args\u0000${JSON.stringify(input.args)}\u0000`);
  for (const m of input.members) {
    h.update(
      `${m.customerId}/${m.spaceId}/${m.id}\u0000${m.finished ? m.finished.getTime() : ''}\u0000${[...m.roles].sort().join('\u0001')}\u0000`,
    );
  }
  return h.digest('hex');
}

/** The arguments as the record keys them: only the first `arity` (the template's highest `pN`) count. */
export function normaliseProjectionArgs(args: readonly string[], arity: number): string[] {
  return args.slice(0, Math.max(0, arity));
}

/** `JSON.stringify(args)`: the arguments as one value for the unique index. */
export function projectionArgsKey(args: readonly string[]): string {
  return JSON.stringify(args);
}

/**
 * Key of build `build` of a projection in the outputs bucket (SPEC.md §8: keys derive from the customer):
 * `{customerId}/named-queries/{projectionId}/{build}.{pdf|zip}`.
 */
export function projectionObjectKey(
  customerId: number,
  projectionId: string,
  build: number,
  kind: ProjectionKind,
): string {
  return `${customerId}/named-queries/${projectionId}/${build}.${kind}`;
}

/** Timing rules of {@link projectionNeedsBuild}. */
export interface ProjectionTiming {
  /** An `in_process` build requested longer ago than this (ms) is taken as lost and requested again. */
  buildTimeoutMs: number;
  /** A `failed` build is requested again after this long (ms), or at once when the members changed. */
  failedRetryMs: number;
}

/** Why a projection is (re)built, for logs; null when it is not. */
export type BuildReason = 'missing' | 'stale' | 'lost' | 'retry-failed' | 'changed-after-failure';

/**
 * Whether a request that found `row` (or none) with the members' current `fingerprint` must ask for a build:
 * - no record → `missing`;
 * - `done` with another fingerprint → `stale` (a member changed);
 * - `in_process` requested more than `buildTimeoutMs` ago → `lost` (the command or its worker was lost);
 * - `failed` for other members → `changed-after-failure`; for the same ones, more than `failedRetryMs` after it was
 *   requested → `retry-failed`;
 * - otherwise null (fresh and done, being built, or failed recently for these very members).
 */
export function projectionNeedsBuild(
  row: Pick<NamedQueryProjection, 'status' | 'fingerprint' | 'requestedFingerprint' | 'requested'> | null,
  fingerprint: string,
  now: Date,
  timing: ProjectionTiming,
): BuildReason | null {
  if (!row) return 'missing';
  const age = now.getTime() - row.requested.getTime();
  switch (row.status) {
    case 'done':
      return row.fingerprint === fingerprint ? null : 'stale';
    case 'in_process':
      return age > timing.buildTimeoutMs ? 'lost' : null;
    case 'failed':
      if (row.requestedFingerprint !== fingerprint) return 'changed-after-failure';
      return age > timing.failedRetryMs ? 'retry-failed' : null;
    default:
      return null;
  }
}

/** The control record of a projection, or null. */
export function findProjection(db: ProjectionDb, ref: ProjectionRef): Promise<NamedQueryProjection | null> {
  return db.namedQueryProjection.findUnique({
    where: {
      customerId_queryName_kind_argsKey: {
        customerId: ref.customerId,
        queryName: ref.queryName,
        kind: ref.kind,
        argsKey: projectionArgsKey(ref.args),
      },
    },
  });
}

/** What {@link requestProjectionBuild} found or did. */
export interface ProjectionRequest {
  /** The record after the call. */
  row: NamedQueryProjection;
  /** Set when this call asked for a build (the caller publishes the build command for `row.build`). */
  requested?: BuildReason;
}

/**
 * Finds the control record of `ref` and, when {@link projectionNeedsBuild} says so, asks for a build: creates the
 * record (`in_process`, build 1) or moves it to `in_process` with `build + 1`, `requested` = now, the error
 * cleared. The update is conditional on the `build` read, so of concurrent requests exactly one asks; the others
 * return the record as that one left it, without `requested`.
 * @returns the record, and `requested` when the caller must now publish the build command.
 */
export async function requestProjectionBuild(
  db: ProjectionDb,
  ref: ProjectionRef,
  fingerprint: string,
  timing: ProjectionTiming,
  now: Date = new Date(),
): Promise<ProjectionRequest> {
  const argsKey = projectionArgsKey(ref.args);
  for (let round = 0; round < 3; round++) {
    const row = await findProjection(db, ref);
    const reason = projectionNeedsBuild(row, fingerprint, now, timing);
    if (!reason) return { row: row! };
    if (!row) {
      try {
        const created = await db.namedQueryProjection.create({
          data: {
            id: randomUUID(),
            customerId: ref.customerId,
            queryName: ref.queryName,
            kind: ref.kind,
            args: ref.args,
            argsKey,
            status: 'in_process',
            build: 1,
            requested: now,
            requestedFingerprint: fingerprint,
          },
        });
        return { row: created, requested: reason };
      } catch (err) {
        if (isUniqueViolation(err)) continue; // another request created it meanwhile: read it again
        throw err;
      }
    }
    const { count } = await db.namedQueryProjection.updateMany({
      where: { id: row.id, build: row.build },
      data: {
        status: 'in_process',
        build: row.build + 1,
        requested: now,
        requestedFingerprint: fingerprint,
        error: null,
      },
    });
    if (count === 1) {
      const updated = await db.namedQueryProjection.findUniqueOrThrow({ where: { id: row.id } });
      return { row: updated, requested: reason };
    }
  }
  // Three rounds lost to concurrent requests: one of them asked; report the record as it is.
  return { row: (await findProjection(db, ref))! };
}

/**
 * The record of a build command, when that build is still the one to do: `build` is the record's current one and
 * it is `in_process`. Null when the record is gone (its customer was deleted), a newer request superseded the
 * command, or the build already ended (a redelivered command).
 */
export async function claimProjectionBuild(
  db: ProjectionDb,
  projectionId: string,
  build: number,
): Promise<NamedQueryProjection | null> {
  const row = await db.namedQueryProjection.findUnique({ where: { id: projectionId } });
  return row && row.build === build && row.status === 'in_process' ? row : null;
}

/** What a finished build wrote. */
export interface ProjectionResult {
  fingerprint: string;
  /** PDF pages (cover included) or ZIP entries. */
  itemCount: number;
  sizeBytes: number;
  roles: string[];
  objectBucket: string;
  objectKey: string;
  /** When the object was written; default now. */
  created?: Date;
}

/**
 * Marks build `build` done with its result, if it is still the record's current build and `in_process`.
 * @returns the object the record named before (to delete, when it differs from the new one), and whether the
 *   record was updated (false: superseded or already ended, nothing changed).
 */
export async function completeProjectionBuild(
  db: ProjectionDb,
  projectionId: string,
  build: number,
  result: ProjectionResult,
): Promise<{ updated: boolean; replaced?: { bucket: string; key: string } }> {
  const before = await db.namedQueryProjection.findUnique({
    where: { id: projectionId },
    select: { objectBucket: true, objectKey: true },
  });
  const { count } = await db.namedQueryProjection.updateMany({
    where: { id: projectionId, build, status: 'in_process' },
    data: {
      status: 'done' satisfies ProjectionStatus,
      created: result.created ?? new Date(),
      fingerprint: result.fingerprint,
      itemCount: result.itemCount,
      sizeBytes: BigInt(result.sizeBytes),
      roles: result.roles,
      objectBucket: result.objectBucket,
      objectKey: result.objectKey,
      error: null,
    },
  });
  const replaced =
    before?.objectBucket &&
    before.objectKey &&
    (before.objectBucket !== result.objectBucket || before.objectKey !== result.objectKey)
      ? { bucket: before.objectBucket, key: before.objectKey }
      : undefined;
  return { updated: count === 1, ...(count === 1 && replaced ? { replaced } : {}) };
}

/**
 * Marks build `build` failed with `error` (≤ 1000 characters kept), if it is still the record's current build and
 * `in_process`. The object of an earlier build stays recorded (it is stale: delivery does not serve it).
 * @returns true when the record was updated.
 */
export async function failProjectionBuild(
  db: ProjectionDb,
  projectionId: string,
  build: number,
  error: string,
): Promise<boolean> {
  const { count } = await db.namedQueryProjection.updateMany({
    where: { id: projectionId, build, status: 'in_process' },
    data: { status: 'failed', error: error.length > 1000 ? `${error.slice(0, 997)}...` : error },
  });
  return count === 1;
}

/**
 * A `done` record whose object is gone from the store (deleted by hand, a lost bucket): marks build `build` failed
 * with that error and forgets the fingerprint it was requested for, so the next {@link requestProjectionBuild}
 * asks for a rebuild at once (`changed-after-failure`).
 * @returns true when the record was updated (it was still `done` at that build).
 */
export async function forgetMissingProjectionObject(
  db: ProjectionDb,
  projectionId: string,
  build: number,
): Promise<boolean> {
  const { count } = await db.namedQueryProjection.updateMany({
    where: { id: projectionId, build, status: 'done' },
    data: { status: 'failed', error: 'The stored object is missing', requestedFingerprint: null },
  });
  return count === 1;
}
