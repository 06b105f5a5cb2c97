import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  AssetAttemptRef,
  AssetIngestRequestedV1,
  AvTranscodeCompletedV1,
  AvTranscodeCreateV1,
  AvTranscodeFailedV1,
  BusMessageDeadLetteredV1,
  ImageDerivativesCreatedV1,
  ImageDerivativesCreateV1,
  ImageDerivativesFailedV1,
} from '@vellum/contracts';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { permanentFailureText, retriesExhaustedText, type VellumRmqContext } from '@vellum/messaging';
import { channelFacts } from './derivatives';
import { FinaliserService } from './finaliser.service';
import { IngestMetrics } from './ingest-metrics';
import { channelsOf } from './ingest-planner';

/** What each ingest message is, in the words of an asset's `error`. */
const STEP: Record<string, string> = {
  [AssetIngestRequestedV1.routingKey]: 'Ingest',
  [ImageDerivativesCreateV1.routingKey]: 'Image processing',
  [AvTranscodeCreateV1.routingKey]: 'Transcoding',
  [ImageDerivativesCreatedV1.routingKey]: 'Finalising the ingest',
  [ImageDerivativesFailedV1.routingKey]: 'Finalising the ingest',
  [AvTranscodeCompletedV1.routingKey]: 'Finalising the ingest',
  [AvTranscodeFailedV1.routingKey]: 'Finalising the ingest',
};

/**
 * The asset error for a dead-lettered ingest message: which step gave up, why, whether it was permanent or
 * retryable and after how many attempts, and (for `crashed`) what that usually means; e.g. "Image processing failed
 * after 5 attempts (retryable): …", "Image processing hung (the image-processor gave up at its handler deadline)
 * after 5 attempts (retryable): …". Bounded to 1,500 characters.
 */
export function deadLetterError(event: BusMessageDeadLetteredV1): string {
  const step = STEP[event.messageType] ?? event.messageType;
  let why: string;
  switch (event.reason) {
    case 'crashed':
      why = `was abandoned: it was in hand each of the ${event.crashes} times the ${event.service} died (the file may be malformed, or need more memory or time than the worker has)`;
      break;
    case 'exhausted':
      why = retriesExhaustedText('failed', event.attempts, event.error);
      break;
    case 'timeout':
      why = retriesExhaustedText(
        `hung (the ${event.service} gave up at its handler deadline)`,
        event.attempts,
        event.error,
      );
      break;
    case 'permanent':
      why = `failed: ${permanentFailureText(event.error, event.attempts)}`;
      break;
    default:
      why = `was rejected by the ${event.service} as an invalid message: ${permanentFailureText(event.error, event.attempts)}`;
  }
  const text = `${step} ${why}`;
  return text.length > 1500 ? `${text.slice(0, 1497)}...` : text;
}

/**
 * Consumes `bus.message.dead-lettered.v1` (SPEC.md §4.1 step 5: "nothing stays ingesting forever"): when any
 * service dead-letters a message of an ingest attempt (`asset.ingest.requested.v1`, a worker command, or a worker
 * reply this service could not finalise), that attempt is failed with an error saying which step gave up and why
 * (for example an image that crashed the image-processor three times). The finaliser ignores attempts that are no
 * longer current or already finalised, so a late or repeated announcement changes nothing. Other dead letters are
 * only logged.
 */
@Controller()
export class DeadLetterHandler {
  private readonly log = new Logger(DeadLetterHandler.name);

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly finaliser: FinaliserService,
    private readonly metrics: IngestMetrics,
  ) {}

  @EventPattern(BusMessageDeadLetteredV1.routingKey, { prefetch: 16 })
  async onDeadLettered(
    @Payload() event: BusMessageDeadLetteredV1,
    @Ctx() _ctx: VellumRmqContext,
  ): Promise<void> {
    if (!(event.messageType in STEP)) {
      this.log.warn({ ...summary(event), msg: 'a message was dead-lettered (no ingest attempt to close)' });
      return;
    }
    const ref = plainToInstance(AssetAttemptRef, {
      customerId: event.data?.customerId,
      spaceId: event.data?.spaceId,
      assetId: event.data?.assetId,
      attempt: event.data?.attempt,
    });
    if (validateSync(ref).length > 0) {
      this.log.error({ ...summary(event), msg: 'dead-lettered ingest message names no asset attempt' });
      return;
    }
    const asset = await this.prisma.asset.findUnique({
      where: { customerId_spaceId_id: { customerId: ref.customerId, spaceId: ref.spaceId, id: ref.assetId } },
    });
    if (!asset || asset.ingestAttempt !== ref.attempt || !asset.ingesting) {
      this.metrics.outcome('stale');
      this.log.log({ ...summary(event), msg: 'dead-lettered ingest message of a finished or stale attempt' });
      return;
    }
    const error = deadLetterError(event);
    this.log.error({
      ...summary(event),
      customerId: ref.customerId,
      spaceId: ref.spaceId,
      assetId: ref.assetId,
      attempt: ref.attempt,
      msg: `failing the asset: ${error}`,
    });
    await this.finaliser.finalise({
      customerId: ref.customerId,
      spaceId: ref.spaceId,
      assetId: ref.assetId,
      attempt: ref.attempt,
      outcome: { success: false, error },
      deleteStagedOrigin: !channelFacts(channelsOf(asset)).keepOrigin,
    });
  }
}

function summary(e: BusMessageDeadLetteredV1): Record<string, unknown> {
  return {
    service: e.service,
    queue: e.queue,
    messageType: e.messageType,
    messageId: e.messageId,
    reason: e.reason,
    attempts: e.attempts,
    crashes: e.crashes,
    error: e.error,
  };
}
