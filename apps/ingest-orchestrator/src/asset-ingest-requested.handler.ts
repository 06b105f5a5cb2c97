import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AssetIngestRequestedV1, AvTranscodeCreateV1 } from '@vellum/contracts';
import {
  CANCELLED_ERROR,
  claimBatchMember,
  findAssetByKey,
  PLATFORM_CUSTOMER_ID,
  PRISMA,
  queryPrepared,
  type Asset,
  type PrismaClient,
} from '@vellum/db';
import {
  type ConsumerOverrides,
  errorMessage,
  isBrokerUnavailable,
  MessagePublisher,
  permanentFailureText,
  PRIORITY_LANE,
  retriesExhaustedText,
  type VellumRmqContext,
} from '@vellum/messaging';
import { revealOrigin, type SecretBox, SecretBoxError } from '@vellum/secrets';
import { OBJECT_STORE, parseStoreOrigin, type ObjectStore, type VellumBuckets } from '@vellum/storage';
import { AssetObjectsService } from './asset-objects.service';
import { BatchWindow } from './batch-window/batch-window';
import { fileOnlyDerivatives } from './derivatives';
import { FinaliserService } from './finaliser.service';
import { imageCommand } from './image-command';
import { IngestMetrics } from './ingest-metrics';
import { channelsOf, planIngest, policiesNeeded, policyKey, type IngestPlan } from './ingest-planner';
import type { OrchestratorEnv } from './orchestrator.env';
import { OriginAccessResolver } from './origins/origin-access.resolver';
import { OriginError, PermanentOriginError } from './origins/origin-errors';
import type { OriginStager, StagedOrigin } from './origins/origin-stager';
import type { StagingScheduler } from './staging-scheduler';
import {
  BUCKETS,
  CLOCK,
  type Clock,
  ORCHESTRATOR_ENV,
  ORIGIN_STAGER,
  SECRET_BOX,
  STAGING_SCHEDULER,
} from './tokens';

/**
 * The transport settings of `asset.ingest.requested.v1` from the validated environment: each lane's prefetch is
 * twice its staging slots (messages of other customers keep arriving while one customer waits at its share), and
 * the priority lane has a queue of its own. `main.ts` passes them as `TransportOptions.consumers`.
 */
export function ingestConsumerOptions(
  env: Pick<OrchestratorEnv, 'VELLUM_INGEST_PREFETCH' | 'VELLUM_INGEST_PRIORITY_SLOTS'>,
): Record<string, ConsumerOverrides> {
  return {
    [AssetIngestRequestedV1.routingKey]: {
      prefetch: env.VELLUM_INGEST_PREFETCH * 2,
      priorityPrefetch: env.VELLUM_INGEST_PRIORITY_SLOTS * 2,
    },
  };
}

type WorkPlan = Extract<IngestPlan, { kind: 'work' }>;

// The per-message queries, as prepared statements (`queryPrepared`): Prisma's query compiler would cost more CPU
// than the queries themselves, on every ingest request.

/** The customer's own and the platform's policies among the (channel, name) pairs `$3[i], $4[i]`. */
const POLICIES_SQL = `SELECT p."customerId", p."channel", p."name", p."policyData"
  FROM "delivery_channel_policies" p
  JOIN unnest($3::text[], $4::text[]) AS n("channel", "name") ON n."channel" = p."channel" AND n."name" = p."name"
  WHERE p."customerId" IN ($1::int, $2::int)`;

/** Bytes the customer's storage policy has left, the asset's own current size given back (SPEC.md §8). */
const REMAINING_QUOTA_SQL = `SELECT p."maximumTotalSizeOfStoredImages"
         - COALESCE(u."totalSizeOfStoredImages", 0)
         + COALESCE(s."size", 0) AS "remaining"
  FROM "customers" c
  JOIN "storage_policies" p ON p."id" = c."storagePolicy"
  LEFT JOIN "storage_usage" u ON u."customerId" = c."id" AND u."spaceId" = 0
  LEFT JOIN "asset_storage" s ON s."customerId" = c."id" AND s."spaceId" = $2::int AND s."assetId" = $3::text
  WHERE c."id" = $1::int`;

/** A row while the attempt `$4` of the asset is still the one in progress. */
const STILL_CURRENT_SQL = `SELECT 1 AS "one" FROM "assets"
  WHERE "customerId" = $1::int AND "spaceId" = $2::int AND "id" = $3::text AND "ingestAttempt" = $4::int
    AND "ingesting"`;

/** What a staging returns instead of the staged origin when the member turned out to be cancelled. */
const CANCELLED = Symbol('cancelled');
/** What a staging returns instead of the staged origin when the customer's batch window is full. */
const PARK = Symbol('park');

/**
 * Consumes `asset.ingest.requested.v1` (SPEC.md §4.1 steps 2–3): loads the asset (a request for an attempt that
 * is no longer current, or for an asset that is gone or no longer ingesting, is acked and skipped), plans per
 * delivery channel, stages the origin into the origins bucket, then dispatches `image.derivatives.create.v1` or
 * `av.transcode.create.v1` (priority lane kept), or finalises at once (`none`, `file` only, invalid plans,
 * permanent origin errors).
 *
 * Staging runs through the {@link StagingScheduler}: the priority lane (its own queue) and the batch lane have
 * their own slots, and one customer holds at most its share of a lane, so slow origins of one customer delay
 * neither an interactive PUT nor other customers' batches.
 *
 * Fair share ({@link BatchWindow}): a batch member on the batch lane is claimed only while its customer has fewer than
 * `VELLUM_INGEST_CUSTOMER_WINDOW` members in flight; beyond that its request is parked (a cheap count before any
 * other work, then exactly at the claim) and comes back when one of the customer's members finishes. A skipped
 * windowed request (stale, cancelled) lets the next parked one of its customer forward.
 *
 * Cancellation (`POST C/queue/batches/{b}/cancel`): before any work on a batch member (for a staging, once it
 * holds its scheduler slot) the handler claims the member (`claimBatchMember` of `@vellum/db`: marks it
 * started). A member the gateway has cancelled cannot be claimed: the request is acked and skipped (the gateway
 * has already closed the member, stopped the asset with `error: "cancelled"` and counted it). A member claimed
 * first is never cancelled and finishes normally.
 *
 * Retries: a retryable failure (origin timeout/reset/5xx/429, object store, broker, database) is thrown so the
 * transport redelivers it after a jittered, exponentially growing delay (`VELLUM_RETRY_*`); on the last attempt the
 * asset is failed instead ("Origin unreachable after 5 attempts (retryable): ..."). A permanent one fails it at once
 * ("Origin ... answered HTTP 404 (not found) (permanent, 1 attempt)"). Past the handler deadline
 * (`VELLUM_HANDLER_TIMEOUT_MS`) `ctx.signal` aborts the staging, so an abandoned attempt stops fetching.
 */
@Controller()
export class AssetIngestRequestedHandler {
  private readonly log = new Logger(AssetIngestRequestedHandler.name);

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    @Inject(ORCHESTRATOR_ENV) private readonly env: OrchestratorEnv,
    @Inject(ORIGIN_STAGER) private readonly stager: OriginStager,
    private readonly publisher: MessagePublisher,
    private readonly finaliser: FinaliserService,
    private readonly metrics: IngestMetrics,
    @Inject(STAGING_SCHEDULER) private readonly scheduler: StagingScheduler,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly objects: AssetObjectsService,
    private readonly access: OriginAccessResolver,
    private readonly window: BatchWindow,
  ) {}

  // Defaults for the environment's defaults; main.ts overrides them with `ingestConsumerOptions(env)`.
  @EventPattern(AssetIngestRequestedV1.routingKey, { prefetch: 32, priorityPrefetch: 8 })
  async handle(@Payload() msg: AssetIngestRequestedV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    const ref = {
      customerId: msg.customerId,
      spaceId: msg.spaceId,
      assetId: msg.assetId,
      attempt: msg.attempt,
    };
    // Beyond its customer's window, a fresh batch member is parked before any other work (a retry or a
    // redelivery may already be in the window: only the exact claim below decides for those).
    if (this.window.applies(msg) && ctx.attempt === 1 && ctx.redeliveries === 0) {
      if (await this.window.isFull(msg.customerId)) throw this.window.park(msg);
    }
    const asset = await this.loadCurrent(msg);
    if (!asset) return this.skipped(msg);

    let plan: IngestPlan;
    try {
      plan = planIngest(asset, await this.loadPolicies(asset), {
        buckets: this.buckets,
        tileSize: this.env.VELLUM_TILE_SIZE,
      });
    } catch (err) {
      return this.retryOrFail(ref, err, ctx, 'Ingest failed', false);
    }
    this.log.log({
      ...ref,
      plan: plan.kind,
      channels: plan.channels,
      priority: msg.priority,
      msg: 'ingest planned',
    });

    if (plan.kind !== 'work') {
      const claim = await this.claim(msg);
      if (claim === 'park') throw this.window.park(msg);
      if (claim === 'skip') return this.skipped(msg);
    }
    if (plan.kind === 'invalid') {
      await this.finaliser.finalise({
        ...ref,
        outcome: { success: false, error: permanentFailureText(plan.error, ctx.attempt) },
        deleteStagedOrigin: false,
      });
      return;
    }
    if (plan.kind === 'finish-now') {
      await this.finaliser.finalise({
        ...ref,
        outcome: { success: true, derivatives: null, storage: { size: 0, thumbnailSize: 0 } },
        deleteStagedOrigin: false,
      });
      return;
    }

    let staged: StagedOrigin | typeof CANCELLED | typeof PARK;
    try {
      // The claim runs once the staging holds its slot: a member still waiting for one can yet be cancelled.
      staged = await this.scheduler.run(msg.priority ? 'priority' : 'batch', asset.customerId, async () => {
        const claim = await this.claim(msg);
        if (claim === 'go') return this.stage(asset, plan, ctx.signal);
        return claim === 'park' ? PARK : CANCELLED;
      });
    } catch (err) {
      if (err instanceof OriginError && err.permanent) {
        this.log.warn({ ...ref, error: err.message, msg: 'origin failed permanently' });
        await this.finaliser.finalise({
          ...ref,
          outcome: { success: false, error: permanentFailureText(err.message, ctx.attempt) },
          deleteStagedOrigin: !plan.keepOrigin,
        });
        return;
      }
      return this.retryOrFail(ref, err, ctx, 'Origin unreachable', !plan.keepOrigin);
    }
    if (staged === PARK) throw this.window.park(msg);
    if (staged === CANCELLED) return this.skipped(msg);
    this.log.log({
      ...ref,
      bytes: staged.size,
      originContentType: staged.originContentType,
      mediaType: asset.mediaType,
      msg: staged.inPlace
        ? `optimised origin read in place at ${staged.bucket}/${staged.key} (no copy stored)`
        : `origin staged at ${staged.bucket}/${staged.key}`,
    });

    try {
      await this.dispatch(msg, asset, plan, staged);
    } catch (err) {
      return this.retryOrFail(ref, err, ctx, 'Ingest dispatch failed', !plan.keepOrigin);
    }
  }

  /**
   * Claims the batch member of `msg` before work starts (see the class doc), within its customer's batch window
   * ({@link BatchWindow}): `go`; `skip` when the member was cancelled (logged, counted as `cancelled`) or already
   * closed; `park` when the window is full. Immediate registrations have no member: `go`.
   */
  private async claim(msg: AssetIngestRequestedV1): Promise<'go' | 'skip' | 'park'> {
    const windowed = this.window.applies(msg);
    const claim = () =>
      claimBatchMember(this.prisma, msg, this.clock.now(), { window: windowed ? this.window.size : 0 });
    const result = windowed ? await this.window.serialised(msg.customerId, claim) : await claim();
    if (result === 'full') return 'park';
    if (result !== 'cancelled') return 'go';
    this.metrics.outcome('cancelled');
    this.log.log({
      customerId: msg.customerId,
      spaceId: msg.spaceId,
      assetId: msg.assetId,
      attempt: msg.attempt,
      batchId: msg.batchId,
      msg: 'batch member cancelled before it started: skipped',
    });
    return 'skip';
  }

  /**
   * A windowed request that turned out to need no work (stale, cancelled) may have been a parked member moved back
   * in place of one that finished: let the next parked member of the customer come forward instead.
   */
  private skipped(msg: AssetIngestRequestedV1): void {
    if (this.window.applies(msg)) this.window.release(msg.customerId);
  }

  /** The asset when `msg` is its current, in-progress attempt; otherwise logs why it is skipped and returns null. */
  private async loadCurrent(msg: AssetIngestRequestedV1): Promise<Asset | null> {
    const asset = await findAssetByKey(this.prisma, msg.customerId, msg.spaceId, msg.assetId);
    const ref = {
      customerId: msg.customerId,
      spaceId: msg.spaceId,
      assetId: msg.assetId,
      attempt: msg.attempt,
    };
    if (!asset) {
      this.metrics.outcome('stale');
      this.log.log({ ...ref, msg: 'ingest request for an asset that no longer exists: skipped' });
      return null;
    }
    if (asset.ingestAttempt === msg.attempt && !asset.ingesting && asset.error === CANCELLED_ERROR) {
      this.metrics.outcome('cancelled');
      this.log.log({
        ...ref,
        batchId: msg.batchId,
        msg: 'batch member cancelled before it started: skipped',
      });
      return null;
    }
    if (asset.ingestAttempt !== msg.attempt || !asset.ingesting) {
      this.metrics.outcome('stale');
      this.log.log({
        ...ref,
        currentAttempt: asset.ingestAttempt,
        ingesting: asset.ingesting,
        msg: 'stale ingest request (attempt superseded or already finalised): skipped',
      });
      return null;
    }
    return asset;
  }

  /**
   * `policyData` of the thumbs/iiif-av policies the asset names: the customer's own policy
   * `(customerId, channel, name)`, else the platform's `(0, channel, name)`.
   */
  private async loadPolicies(asset: Asset): Promise<Map<string, unknown>> {
    const needed = policiesNeeded(channelsOf(asset));
    const out = new Map<string, unknown>();
    if (needed.length === 0) return out;
    const rows = await queryPrepared<{
      customerId: number;
      channel: string;
      name: string;
      policyData: unknown;
    }>(this.prisma, 'ingest-policies', POLICIES_SQL, [
      asset.customerId,
      PLATFORM_CUSTOMER_ID,
      needed.map((n) => n.channel),
      needed.map((n) => n.policy),
    ]);
    // Platform rows first, so the customer's own policy of the same name overwrites them.
    rows.sort(
      (a, b) =>
        (a.customerId === PLATFORM_CUSTOMER_ID ? 0 : 1) - (b.customerId === PLATFORM_CUSTOMER_ID ? 0 : 1),
    );
    for (const r of rows) out.set(policyKey(r.channel, r.name), r.policyData);
    return out;
  }

  /**
   * Stages the origin (its sealed credentials opened with the gateway's key) with the customer's origin strategy
   * for it ({@link OriginAccessResolver}: first matching rule, credentials opened only here, scheme checked); an
   * uploaded file (origin `vellum-store://{bucket}/{key}` written by the gateway, or no origin) is used in place,
   * as is an `optimised` s3-ambient origin (nothing copied: the staged location is the origin object itself).
   */
  private async stage(asset: Asset, plan: WorkPlan, signal?: AbortSignal): Promise<StagedOrigin> {
    const { bucket, key } = plan.origin;
    // An uploaded file (`vellum-store://` origin, or none) is already where staging would put it: never fetched.
    if (!asset.origin || parseStoreOrigin(asset.origin)) {
      const info = await this.store.stat(bucket, key);
      if (!info) throw new PermanentOriginError('The uploaded file is missing from the object store');
      return { bucket, key, size: info.size, finalUrl: '(uploaded)' };
    }
    let origin: string;
    try {
      // Credentials in the origin are stored sealed by the gateway: open them only here, to fetch.
      origin = revealOrigin(asset.origin, this.secrets);
    } catch (err) {
      if (err instanceof SecretBoxError)
        throw new PermanentOriginError(
          `The origin's credentials cannot be opened (${err.message}): is VELLUM_SECRETS_KEY (or VELLUM_SECRETS_PREVIOUS_KEYS) the api-gateway's?`,
        );
      throw err;
    }
    const access = await this.access.resolve(asset.customerId, origin);
    const quotaBytes = await this.remainingQuota(asset);
    return this.stager.stage(origin, bucket, key, asset.mediaType, { quotaBytes, access, signal });
  }

  /**
   * Bytes of stored images the customer's storage policy has left for this asset (SPEC.md §8): the policy's
   * maximum less the customer's total, the asset's own current size given back (a reingest replaces it).
   * Undefined when the customer names no policy.
   */
  private async remainingQuota(asset: Asset): Promise<number | undefined> {
    const rows = await queryPrepared<{ remaining: bigint | number | string | null }>(
      this.prisma,
      'ingest-remaining-quota',
      REMAINING_QUOTA_SQL,
      [asset.customerId, asset.spaceId, asset.id],
    );
    const remaining = rows[0]?.remaining;
    return remaining === undefined || remaining === null ? undefined : Number(remaining);
  }

  /** Sends the worker command (or finalises a `file`-only ingest) if the attempt is still current. */
  private async dispatch(
    msg: AssetIngestRequestedV1,
    asset: Asset,
    plan: WorkPlan,
    staged: StagedOrigin,
  ): Promise<void> {
    const ref = {
      customerId: asset.customerId,
      spaceId: asset.spaceId,
      assetId: asset.id,
      attempt: msg.attempt,
    };
    const still = await queryPrepared<{ one: number }>(
      this.prisma,
      'ingest-still-current',
      STILL_CURRENT_SQL,
      [asset.customerId, asset.spaceId, asset.id, msg.attempt],
    );
    if (still.length === 0) {
      this.metrics.outcome('stale');
      this.log.log({ ...ref, msg: 'attempt superseded (or asset deleted) while staging: not dispatched' });
      // Deleted while staging: the staged copy must not outlive the asset (a no-op when the row exists).
      const purged = await this.objects.purge(ref);
      if (purged.purged) this.metrics.outcome('deleted');
      return;
    }
    const priority = msg.priority ? PRIORITY_LANE : 0;
    // The master the workers read: the staged copy, or an optimised origin object itself (the workers read any
    // bucket of the platform's S3 store; the workers echo `source` in their reply, so finalising knows).
    const source = { bucket: staged.bucket, key: staged.key, size: staged.size };
    // What every work command carries: the asset attempt, its media type and the staged master.
    const work = { ...ref, mediaType: asset.mediaType, source };

    if (plan.image) {
      const cmd = imageCommand(work, plan.image);
      await this.publisher.publish(cmd, { priority });
      this.metrics.outcome('dispatched');
      this.log.log({ ...ref, priority, msg: 'image.derivatives.create.v1 dispatched' });
      return;
    }
    if (plan.av) {
      const cmd = Object.assign(new AvTranscodeCreateV1(), {
        ...work,
        presets: plan.av.presets,
        bucket: plan.av.bucket,
        keyPrefix: plan.av.keyPrefix,
      });
      await this.publisher.publish(cmd, { priority });
      this.metrics.outcome('dispatched');
      this.log.log({ ...ref, priority, msg: 'av.transcode.create.v1 dispatched' });
      return;
    }
    // `file` only: the staged origin (or the optimised origin itself) is the delivered original.
    const { derivatives, storage } = fileOnlyDerivatives(staged);
    await this.finaliser.finalise({
      ...ref,
      outcome: { success: true, derivatives, storage },
      // In place: a copy an earlier, non-optimised attempt staged is no longer the original.
      deleteStagedOrigin: staged.inPlace === true,
    });
  }

  /**
   * Rethrows for a delayed retry, or on the last delivery attempt fails the asset with
   * `"<prefix> after N attempts (retryable): <reason>"`.
   */
  private async retryOrFail(
    ref: { customerId: number; spaceId: number; assetId: string; attempt: number },
    err: unknown,
    ctx: VellumRmqContext,
    prefix: string,
    deleteStagedOrigin: boolean,
  ): Promise<void> {
    const reason = errorMessage(err);
    // Past the handler deadline the transport has already counted this attempt as failed (and on the last one
    // dead-letters it, whose announcement fails the asset): this abandoned run must not finalise as well.
    if (ctx.signal.aborted) throw err;
    // The broker is down: the transport runs the message again later without spending an attempt, never fail it.
    if (isBrokerUnavailable(err)) throw err;
    if (!ctx.isLastAttempt) {
      this.metrics.outcome('retry');
      this.log.warn({
        ...ref,
        delivery: ctx.attempt,
        maxAttempts: ctx.maxAttempts,
        error: reason,
        msg: `${prefix}: will retry`,
      });
      throw err;
    }
    this.log.error({
      ...ref,
      delivery: ctx.attempt,
      error: reason,
      msg: `${prefix}: retries exhausted, failing the asset`,
    });
    await this.finaliser.finalise({
      ...ref,
      outcome: { success: false, error: retriesExhaustedText(prefix, ctx.attempt, reason) },
      deleteStagedOrigin,
    });
  }
}
