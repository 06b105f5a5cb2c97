import type { Readable } from 'node:stream';
import type { StreamOutcome } from '../http-io';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { NamedQueryProjectionBuildV1, type ProjectionKind } from '@vellum/contracts';
import {
  failProjectionBuild,
  findNamedQuery,
  findNamedQueryAssets,
  findProjection,
  forgetMissingProjectionObject,
  isTransientDbError,
  normaliseProjectionArgs,
  PRISMA,
  projectionFingerprint,
  projectionObjectKey,
  requestProjectionBuild,
  type NamedQueryProjection,
  type PrismaClient,
  type ProjectionRef,
  type ProjectionTiming,
} from '@vellum/db';
import {
  bindNamedQuery,
  NamedQueryError,
  parseNamedQueryArguments,
  parseNamedQueryTemplate,
  type BoundNamedQuery,
} from '@vellum/iiif';
import { MessagePublisher } from '@vellum/messaging';
import {
  type ByteRange,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type VellumBuckets,
} from '@vellum/storage';
import { AssetLookupService } from '../asset-lookup.service';
import { badRequest, deliveryError, isDeliveryError, notFound } from '../delivery-errors';
import { DeliveryEnv } from '../env';
import { BUCKETS, DELIVERY_ENV, OBJECT_STORE } from '../tokens';
import type { ProjectionPath } from './projection-path';

/** A named query resolved for one request of a projection URL: its members now, and their fingerprint. */
export interface ResolvedProjection {
  ref: ProjectionRef;
  bound: BoundNamedQuery;
  /** Members selected now (ready assets, in order). */
  memberCount: number;
  fingerprint: string;
  /** `{customer}/{query}/{args...}` as requested, for messages. */
  label: string;
}

/** What a request of `/pdf/...` or `/zip/...` finds. */
export type ProjectionState =
  /** Built for the members as they are now: serve `info.size` bytes of `row.objectBucket/objectKey`. */
  | { state: 'ready'; row: NamedQueryProjection; info: ObjectInfo }
  /** A build is queued or running (perhaps asked for by this very request). */
  | { state: 'in-process'; row: NamedQueryProjection }
  /** The last build for these members failed recently; it is tried again after `retryAfterSeconds`. */
  | { state: 'failed'; row: NamedQueryProjection; retryAfterSeconds: number };

/**
 * The stored named-query projections on the delivery side (SPEC.md §7 `pdf`, `zip`): resolves a projection URL to
 * the query's members now (the shared runner, as `/iiif-resource` does), compares their fingerprint with the
 * control record's, and, when the object is missing, stale (a member changed), lost (its build never ended) or
 * failed long enough ago, asks the image-processor for a build (`named-query.projection.build.v1`, the record's new
 * build number, the object key of that build in the outputs bucket). Serves the object from the store, streamed.
 *
 * Delivery writes only the control records (through the shared ledger of @vellum/db); everything else it reads.
 */
@Injectable()
export class ProjectionService {
  private readonly log = new Logger(ProjectionService.name);
  private readonly timing: ProjectionTiming;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    @Inject(DELIVERY_ENV) private readonly env: DeliveryEnv,
    private readonly lookup: AssetLookupService,
    private readonly publisher: MessagePublisher,
  ) {
    this.timing = {
      buildTimeoutMs: env.VELLUM_PROJECTION_BUILD_TIMEOUT_MS,
      failedRetryMs: env.VELLUM_PROJECTION_FAILED_RETRY_MS,
    };
  }

  /** Seconds a client is told to wait (`Retry-After`) while a projection is being built. */
  get retryAfterSeconds(): number {
    return this.env.VELLUM_PROJECTION_RETRY_AFTER_S;
  }

  /**
   * The named query of a projection URL, bound to its arguments, and its members' fingerprint now.
   * @throws ProblemException 404 (unknown customer, unknown query, no asset selected), 400 (an argument that does
   *   not fit the template, naming it: `argument p2 for space must be a positive integer, not "x"`; a template
   *   that takes arguments given none; more than `VELLUM_NAMED_QUERY_MAX_ASSETS` assets selected), 503 when the
   *   database is unavailable.
   */
  async resolve(path: ProjectionPath): Promise<ResolvedProjection> {
    const customerId = await this.lookup.customerId(path.customer);
    const label = `${path.customer}/${path.query}${path.argsTail ? `/${path.argsTail}` : ''}`;
    const found = await this.guard(() => findNamedQuery(this.prisma, customerId, path.query));
    if (!found) throw notFound(`Named query ${path.query} not found for customer ${path.customer}`);
    let bound: BoundNamedQuery;
    let args: string[];
    try {
      const template = parseNamedQueryTemplate(found.query.template);
      args = normaliseProjectionArgs(parseNamedQueryArguments(path.argsTail), template.arity);
      bound = bindNamedQuery(template, args);
    } catch (err) {
      if (err instanceof NamedQueryError) throw badRequest(`Named query ${path.query}: ${err.message}`);
      throw err;
    }
    const max = this.env.VELLUM_NAMED_QUERY_MAX_ASSETS;
    const members = await this.guard(() =>
      findNamedQueryAssets(this.prisma, customerId, bound, { limit: max + 1 }),
    );
    // The same bound and messages as the manifests of `/iiif-resource` (presentation/presentation.service.ts).
    const call = [path.query, ...args].join('/');
    if (members.length > max) {
      throw badRequest(
        `Named query ${call} matches more than ${max} assets (VELLUM_NAMED_QUERY_MAX_ASSETS): give it arguments that select fewer`,
      );
    }
    if (members.length === 0)
      throw notFound(`Named query ${call} matches no assets of customer ${path.customer}`);
    return {
      ref: { customerId, queryName: path.query, kind: path.kind, args },
      bound,
      memberCount: members.length,
      fingerprint: projectionFingerprint({ template: found.query.template, args, members }),
      label,
    };
  }

  /**
   * The state of the stored projection, asking for a build when it is missing, stale, lost or due a retry.
   * @throws ProblemException 503 when the database, the object store or the bus is unavailable.
   */
  async ensure(p: ResolvedProjection): Promise<ProjectionState> {
    for (let round = 0; round < 2; round++) {
      const { row, requested } = await this.guard(() =>
        requestProjectionBuild(this.prisma, p.ref, p.fingerprint, this.timing),
      );
      if (requested) {
        await this.publishBuild(row, p);
        this.log.log(`${p.ref.kind} ${p.label}: build ${row.build} requested (${requested})`);
        return { state: 'in-process', row };
      }
      if (row.status === 'in_process') return { state: 'in-process', row };
      if (row.status === 'failed') {
        const due = row.requested.getTime() + this.timing.failedRetryMs - Date.now();
        return { state: 'failed', row, retryAfterSeconds: Math.max(1, Math.ceil(due / 1000)) };
      }
      const info = await this.statObject(row);
      if (info) return { state: 'ready', row, info };
      // Done, but the object is gone: forget it and ask again (once).
      this.log.warn(`${p.ref.kind} ${p.label}: ${row.objectBucket}/${row.objectKey} is missing; rebuilding`);
      await this.guard(() => forgetMissingProjectionObject(this.prisma, row.id, row.build));
    }
    throw deliveryError(503, 'The stored projection is unavailable; retry later', { 'Retry-After': '1' });
  }

  /**
   * The control record of a projection, without asking for any build, and whether it is stale.
   * @throws ProblemException 404 when it was never requested.
   */
  async control(p: ResolvedProjection): Promise<{ row: NamedQueryProjection; stale: boolean }> {
    const row = await this.guard(() => findProjection(this.prisma, p.ref));
    if (!row) {
      throw notFound(
        `The ${p.ref.kind === 'pdf' ? 'PDF' : 'ZIP'} of named query ${p.label} has not been requested yet: GET /${p.ref.kind}/${p.label} builds it`,
      );
    }
    return { row, stale: row.fingerprint !== null && row.fingerprint !== p.fingerprint };
  }

  /**
   * Opens the stored object (or the inclusive byte `range` of it). Call it before sending any header.
   * @throws ProblemException 503 when the store fails; 404 when the object disappeared since {@link ensure}.
   */
  async open(row: NamedQueryProjection, range?: ByteRange): Promise<Readable> {
    try {
      return await this.store.get(row.objectBucket!, row.objectKey!, range);
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        throw deliveryError(503, 'The stored projection is being replaced; retry shortly', {
          'Retry-After': '1',
        });
      throw this.storeFailure(err, row);
    }
  }

  /** Logs a stored object's stream that the store cut short (`sendRanged` streamed it; the client saw a truncated body). */
  report(out: StreamOutcome, length: number, label: string): void {
    if (out.ended === 'store-failed')
      this.log.warn(`${label}: the stream failed after ${out.sent} of ${length} bytes: ${String(out.error)}`);
  }

  private async publishBuild(row: NamedQueryProjection, p: ResolvedProjection): Promise<void> {
    const cmd = Object.assign(new NamedQueryProjectionBuildV1(), {
      projectionId: row.id,
      customerId: p.ref.customerId,
      queryName: p.ref.queryName,
      kind: p.ref.kind satisfies ProjectionKind,
      args: p.ref.args,
      build: row.build,
      output: {
        bucket: this.buckets.outputs,
        key: projectionObjectKey(p.ref.customerId, row.id, row.build, p.ref.kind),
      },
    });
    try {
      await this.publisher.publish(cmd);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn(`${p.ref.kind} ${p.label}: could not queue build ${row.build}: ${message}`);
      // Not queued: the record must not stay in process; the next request asks again (changed-after-failure).
      await failProjectionBuild(this.prisma, row.id, row.build, `The build could not be queued: ${message}`)
        .then(() =>
          this.prisma.namedQueryProjection.updateMany({
            where: { id: row.id, build: row.build, status: 'failed' },
            data: { requestedFingerprint: null },
          }),
        )
        .catch(() => undefined);
      throw deliveryError(503, 'The build queue is unavailable; retry later', { 'Retry-After': '5' });
    }
  }

  private async statObject(row: NamedQueryProjection): Promise<ObjectInfo | null> {
    if (!row.objectBucket || !row.objectKey) return null;
    try {
      return await this.store.stat(row.objectBucket, row.objectKey);
    } catch (err) {
      throw this.storeFailure(err, row);
    }
  }

  private storeFailure(err: unknown, row: NamedQueryProjection): Error {
    this.log.warn(
      `reading ${row.objectBucket}/${row.objectKey} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return deliveryError(503, 'The object store is unavailable; retry later', { 'Retry-After': '1' });
  }

  /** A transient database failure → 503 with `Retry-After`; problems pass; anything else is re-thrown. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDeliveryError(err) || !isTransientDbError(err)) throw err;
      this.log.warn(`database unavailable: ${err instanceof Error ? err.message : String(err)}`);
      throw deliveryError(503, 'The metadata store is unavailable; retry later', { 'Retry-After': '1' });
    }
  }
}
