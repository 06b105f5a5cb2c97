import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AvTranscodeCompletedV1,
  AvTranscodeFailedV1,
  ImageDerivativesCreatedV1,
  ImageDerivativesFailedV1,
} from '@vellum/contracts';
import { findAssetByKey, PLATFORM_CUSTOMER_ID, PRISMA, type Asset, type PrismaClient } from '@vellum/db';
import { MessagePublisher, PRIORITY_LANE, type VellumRmqContext } from '@vellum/messaging';
import {
  OBJECT_STORE,
  originKey,
  parseStoreOrigin,
  type ObjectStore,
  type VellumBuckets,
} from '@vellum/storage';
import {
  avDerivatives,
  channelFacts,
  imageDerivatives,
  imageReplyFacts,
  posterVideoDerivatives,
  type ChannelFacts,
  type StagedFacts,
} from './derivatives';
import { AssetObjectsService, type NamedObject } from './asset-objects.service';
import { FinaliserService } from './finaliser.service';
import { IngestMetrics } from './ingest-metrics';
import { imageCommand } from './image-command';
import { channelsOf, planPosterImage, policyKey, POSTER_THUMBS_POLICY } from './ingest-planner';
import type { OrchestratorEnv } from './orchestrator.env';
import { BUCKETS, ORCHESTRATOR_ENV } from './tokens';

/** Replies are cheap to handle (one transaction each): a higher prefetch keeps up with many image-processors. */
const RESULT_PREFETCH = 32;

type AttemptMessage = { customerId: number; spaceId: number; assetId: string; attempt: number };

/**
 * Consumes the workers' replies (SPEC.md §4.1 step 4) and finalises the attempt through {@link FinaliserService}:
 * `image.derivatives.created.v1` / `av.transcode.completed.v1` → success with dimensions, derivatives JSON and
 * storage sizes; `image.derivatives.failed.v1` / `av.transcode.failed.v1` → the asset carries the worker's error
 * (the worker has already used its own retries, so `retryable` only informs the log).
 *
 * A reply for an attempt that is not the asset's current in-progress one (stale, or a redelivery after the
 * attempt was finalised) is acked and changes nothing; the finaliser re-checks this inside its transaction.
 */
@Controller()
export class DerivativesResultHandler {
  private readonly log = new Logger(DerivativesResultHandler.name);

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    @Inject(ORCHESTRATOR_ENV) private readonly env: OrchestratorEnv,
    private readonly finaliser: FinaliserService,
    private readonly metrics: IngestMetrics,
    private readonly objects: AssetObjectsService,
    private readonly publisher: MessagePublisher,
  ) {}

  @EventPattern(ImageDerivativesCreatedV1.routingKey, { prefetch: RESULT_PREFETCH })
  async onImageCreated(
    @Payload() msg: ImageDerivativesCreatedV1,
    @Ctx() _ctx: VellumRmqContext,
  ): Promise<void> {
    // A video's poster: the transcodes are this attempt's objects too (purged with it if the asset is gone).
    const written = [...imageObjects(msg), ...(msg.avResult ? avObjects(msg.avResult) : [])];
    const asset = await this.loadInProgress(msg, 'image.derivatives.created', written);
    if (!asset) return;
    if (msg.avResult) return this.finalisePosterVideo(asset, msg, msg.avResult, written);
    const uploaded = parseStoreOrigin(asset.origin) !== null;
    // use-original with an origin that was not tile-ready: re-encoded, so the staged origin is not the tile source.
    const facts = imageReplyFacts(channelFacts(channelsOf(asset), uploaded), msg, uploaded);
    const staged = await this.stagedFacts(asset, facts, msg.source);
    const { derivatives, storage } = imageDerivatives(
      facts,
      msg,
      staged,
      this.buckets.thumbnails,
      this.env.VELLUM_TILE_SIZE,
    );
    await this.finaliser.finalise({
      ...refOf(msg),
      outcome: { success: true, width: msg.width, height: msg.height, derivatives, storage },
      deleteStagedOrigin: !facts.keepOrigin || staged.inPlace === true,
      written,
    });
  }

  @EventPattern(ImageDerivativesFailedV1.routingKey, { prefetch: RESULT_PREFETCH })
  async onImageFailed(
    @Payload() msg: ImageDerivativesFailedV1,
    @Ctx() _ctx: VellumRmqContext,
  ): Promise<void> {
    await this.fail(msg, msg.error, msg.retryable, 'image.derivatives.failed');
  }

  @EventPattern(AvTranscodeCompletedV1.routingKey, { prefetch: RESULT_PREFETCH })
  async onAvCompleted(@Payload() msg: AvTranscodeCompletedV1, @Ctx() _ctx: VellumRmqContext): Promise<void> {
    const written = avObjects(msg);
    const asset = await this.loadInProgress(msg, 'av.transcode.completed', written);
    if (!asset) return;
    if (msg.poster) return this.dispatchPoster(asset, msg);
    const facts = channelFacts(channelsOf(asset), parseStoreOrigin(asset.origin) !== null);
    const staged = await this.stagedFacts(asset, facts, msg.source);
    const { derivatives, storage } = avDerivatives(facts, msg, staged);
    await this.finaliser.finalise({
      ...refOf(msg),
      outcome: {
        success: true,
        width: msg.width,
        height: msg.height,
        duration: msg.duration,
        derivatives,
        storage,
      },
      deleteStagedOrigin: !facts.keepOrigin || staged.inPlace === true,
      written,
    });
  }

  /**
   * A video's transcode completed with a poster frame: the poster goes through the image pipeline (SPEC.md §4.4)
   * before the asset is finalised. One `image.derivatives.create.v1` with the poster JPEG as `source`, the pyramid
   * and thumbnails of {@link planPosterImage}, and this reply as `avResult`: the image-processor echoes it, and
   * {@link finalisePosterVideo} finalises with both. The asset stays `ingesting` meanwhile (the stuck-ingest
   * sweeper still bounds it); a failed poster fails the asset with the image-processor's error. Sent on the
   * priority lane.
   */
  private async dispatchPoster(asset: Asset, msg: AvTranscodeCompletedV1): Promise<void> {
    const poster = msg.poster!;
    const rows = await this.prisma.deliveryChannelPolicy.findMany({
      where: {
        customerId: { in: [PLATFORM_CUSTOMER_ID, asset.customerId] },
        channel: 'thumbs',
        name: POSTER_THUMBS_POLICY,
      },
      select: { customerId: true, policyData: true },
    });
    // The customer's own policy of the name overrides the platform's.
    rows.sort(
      (a, b) =>
        (a.customerId === PLATFORM_CUSTOMER_ID ? 0 : 1) - (b.customerId === PLATFORM_CUSTOMER_ID ? 0 : 1),
    );
    const policies = new Map<string, unknown>();
    for (const r of rows) policies.set(policyKey('thumbs', POSTER_THUMBS_POLICY), r.policyData);
    const image = planPosterImage(asset, policies, {
      buckets: this.buckets,
      tileSize: this.env.VELLUM_TILE_SIZE,
    });
    const ref = refOf(msg);
    const cmd = imageCommand({ ...ref, mediaType: poster.mediaType, source: poster.location }, image, msg);
    // One small JPEG that finishes an ingest which has already waited for its transcodes: the priority lane, so it
    // never queues behind a whole batch of images.
    await this.publisher.publish(cmd, { priority: PRIORITY_LANE });
    this.log.log({ ...ref, msg: 'video poster: image.derivatives.create.v1 dispatched (priority lane)' });
  }

  /** Finalises a video from the transcoder's reply (`avResult`) and the image-processor's for its poster. */
  private async finalisePosterVideo(
    asset: Asset,
    msg: ImageDerivativesCreatedV1,
    avResult: AvTranscodeCompletedV1,
    written: NamedObject[],
  ): Promise<void> {
    const facts = channelFacts(channelsOf(asset), parseStoreOrigin(asset.origin) !== null);
    // The transcodes' master (the echo of the AV command's `source`), not the poster the image-processor read.
    const staged = await this.stagedFacts(asset, facts, avResult.source);
    const { derivatives, storage } = posterVideoDerivatives(
      facts,
      avResult,
      msg,
      staged,
      this.buckets.thumbnails,
      this.env.VELLUM_TILE_SIZE,
    );
    await this.finaliser.finalise({
      ...refOf(msg),
      outcome: {
        success: true,
        width: avResult.width,
        height: avResult.height,
        duration: avResult.duration,
        derivatives,
        storage,
      },
      deleteStagedOrigin: !facts.keepOrigin || staged.inPlace === true,
      written,
    });
  }

  @EventPattern(AvTranscodeFailedV1.routingKey, { prefetch: RESULT_PREFETCH })
  async onAvFailed(@Payload() msg: AvTranscodeFailedV1, @Ctx() _ctx: VellumRmqContext): Promise<void> {
    await this.fail(msg, msg.error, msg.retryable, 'av.transcode.failed');
  }

  private async fail(msg: AttemptMessage, error: string, retryable: boolean, what: string): Promise<void> {
    const asset = await this.loadInProgress(msg, what);
    if (!asset) return;
    const facts = channelFacts(channelsOf(asset), parseStoreOrigin(asset.origin) !== null);
    this.log.warn({ ...refOf(msg), error, retryable, msg: `${what}: failing the asset` });
    await this.finaliser.finalise({
      ...refOf(msg),
      outcome: { success: false, error },
      deleteStagedOrigin: !facts.keepOrigin,
    });
  }

  /**
   * The asset when `msg` is its current in-progress attempt; otherwise logs and counts the skip. A reply for an
   * asset that no longer exists (deleted while its attempt ran) removes its objects, `written` included.
   */
  private async loadInProgress(
    msg: AttemptMessage,
    what: string,
    written: readonly NamedObject[] = [],
  ): Promise<Asset | null> {
    const asset = await findAssetByKey(this.prisma, msg.customerId, msg.spaceId, msg.assetId);
    if (!asset) {
      const purged = await this.objects.purge(refOf(msg), written);
      if (purged.purged) this.metrics.outcome('deleted');
    }
    if (!asset || asset.ingestAttempt !== msg.attempt) {
      this.metrics.outcome('stale');
      this.log.log({
        ...refOf(msg),
        currentAttempt: asset?.ingestAttempt,
        msg: `${what} for a stale attempt (or a deleted asset): ignored`,
      });
      return null;
    }
    if (!asset.ingesting) {
      this.metrics.outcome('duplicate');
      this.log.log({ ...refOf(msg), msg: `${what} for an attempt already finalised (redelivery): ignored` });
      return null;
    }
    return asset;
  }

  /**
   * The staged origin's location and, when it is kept, its size (one `stat`). A master the worker says it read
   * outside the platform's buckets (`source` echoed in its reply) is an optimised origin read in place
   * (SPEC.md §1 "Origin strategy"): the derivatives name it, its bytes are not counted, and whatever sits at the
   * staged-copy key (an earlier, non-optimised attempt's copy) is deleted after finalising. The origin object
   * itself is the customer's and is never deleted (the clean-up only ever deletes in the platform's buckets).
   */
  private async stagedFacts(
    asset: Asset,
    facts: ChannelFacts,
    source?: { bucket: string; key: string; size?: number },
  ): Promise<StagedFacts> {
    const platform = [
      this.buckets.origins,
      this.buckets.derivatives,
      this.buckets.thumbnails,
      this.buckets.outputs,
    ];
    if (source && !platform.includes(source.bucket))
      return { bucket: source.bucket, key: source.key, size: source.size, inPlace: true };
    const { bucket, key } = parseStoreOrigin(asset.origin) ?? {
      bucket: this.buckets.origins,
      key: originKey({ customerId: asset.customerId, spaceId: asset.spaceId, assetId: asset.id }),
    };
    if (!facts.keepOrigin) return { bucket, key };
    const info = await this.store.stat(bucket, key);
    return { bucket, key, size: info?.size };
  }
}

/** The objects an image-processor reply says it wrote (pyramid, thumbnails). */
function imageObjects(msg: ImageDerivativesCreatedV1): NamedObject[] {
  return [
    ...(msg.pyramid ? [msg.pyramid] : []),
    ...[...msg.openThumbnails, ...msg.authThumbnails].map((t) => t.location),
  ];
}

/** The objects an av-transcoder reply says it wrote (transcodes, poster). */
function avObjects(msg: AvTranscodeCompletedV1): NamedObject[] {
  return [...msg.outputs.map((o) => o.location), ...(msg.poster ? [msg.poster.location] : [])];
}

function refOf(msg: AttemptMessage): AttemptMessage {
  return { customerId: msg.customerId, spaceId: msg.spaceId, assetId: msg.assetId, attempt: msg.attempt };
}
