import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ImageDerivativesCreateV1, ImageDerivativesFailedV1 } from '@vellum/contracts';
import {
  MessagePublisher,
  permanentFailureText,
  retriesExhaustedText,
  type VellumRmqContext,
} from '@vellum/messaging';
import { UnprocessableImageError } from './image-errors';
import { ImageDerivativesService } from './image-derivatives.service';
import { ImageProcessorMetrics } from './image-processor.metrics';

/**
 * Consumes `image.derivatives.create.v1` (SPEC.md §4.1 step 3) and replies to the orchestrator:
 * - success → `image.derivatives.created.v1`;
 * - bad input (empty, corrupt, unsupported, too many pixels, staged source gone) → `image.derivatives.failed.v1` with
 *   `retryable: false` and a message for people, at once ("Corrupt or truncated image: … (permanent, 1 attempt)");
 * - anything else (store or disk trouble) → throw, so the transport retries with delay; on the last attempt it
 *   replies `image.derivatives.failed.v1` with `retryable: true` instead of throwing, so no asset stays ingesting
 *   ("Image processing failed after 5 attempts (retryable): …").
 *
 * Jobs run side by side: the queue's prefetch, which is the transport's `defaultPrefetch` (`main.ts` passes the
 * validated `IMAGE_PROCESSOR_CONCURRENCY`, default CPUs + 1).
 */
@Controller()
export class ImageDerivativesCreateHandler {
  private readonly log = new Logger(ImageDerivativesCreateHandler.name);

  constructor(
    private readonly derivatives: ImageDerivativesService,
    private readonly publisher: MessagePublisher,
    private readonly metrics: ImageProcessorMetrics,
  ) {}

  @EventPattern(ImageDerivativesCreateV1.routingKey)
  async handle(@Payload() cmd: ImageDerivativesCreateV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    const priority = ctx.message?.properties?.priority as number | undefined;
    this.log.log(
      `${refText(cmd)}: started (delivery attempt ${ctx.attempt}${ctx.redeliveries ? `, redelivered ${ctx.redeliveries}×` : ''})`,
    );
    let created;
    try {
      created = await this.derivatives.create(cmd);
    } catch (err) {
      if (err instanceof UnprocessableImageError) {
        this.log.warn(`${refText(cmd)}: ${err.message}`);
        await this.publisher.publish(failed(cmd, permanentFailureText(err.message, ctx.attempt), false), {
          priority,
        });
        this.metrics.record('failed_permanent', seconds());
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      if (ctx.isLastAttempt) {
        this.log.error(`${refText(cmd)}: giving up after ${ctx.attempt} attempts: ${message}`);
        await this.publisher.publish(
          failed(cmd, retriesExhaustedText('Image processing failed', ctx.attempt, message), true),
          { priority },
        );
        this.metrics.record('failed_retries_exhausted', seconds());
        return;
      }
      this.log.warn(`${refText(cmd)}: attempt ${ctx.attempt} failed, will retry: ${message}`);
      this.metrics.record('retry', seconds());
      throw err;
    }
    // Keep the priority lane: an immediate registration's reply must not queue behind a batch.
    await this.publisher.publish(created, { priority });
    this.metrics.record('created', seconds());
  }
}

function failed(cmd: ImageDerivativesCreateV1, error: string, retryable: boolean): ImageDerivativesFailedV1 {
  return Object.assign(new ImageDerivativesFailedV1(), {
    customerId: cmd.customerId,
    spaceId: cmd.spaceId,
    assetId: cmd.assetId,
    attempt: cmd.attempt,
    error: error.length > 1000 ? `${error.slice(0, 997)}...` : error,
    retryable,
  });
}

function refText(cmd: ImageDerivativesCreateV1): string {
  return `${cmd.customerId}/${cmd.spaceId}/${cmd.assetId} attempt ${cmd.attempt}`;
}
