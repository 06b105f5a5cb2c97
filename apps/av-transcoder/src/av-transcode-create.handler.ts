import { Controller, Inject, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AvTranscodeCompletedV1,
  AvTranscodeCreateV1,
  AvTranscodeFailedV1,
  AvTranscodeProgressV1,
} from '@vellum/contracts';
import {
  MessagePublisher,
  permanentFailureText,
  retriesExhaustedText,
  type VellumRmqContext,
} from '@vellum/messaging';
import { ObjectNotFoundError } from '@vellum/storage';
import { AvTranscoderEnv } from './av-transcoder.env';
import { AvTranscoderMetrics } from './av-transcoder.metrics';
import { AvTranscodeService, type JobProgress, MediaError } from './media';

/**
 * Consumes `av.transcode.create.v1` (SPEC.md §4.1 step 3, §4.4) and replies to the orchestrator:
 * - success → `av.transcode.completed.v1` (duration, dimensions, every output with its facts, the poster, the
 *   source's ffprobe summary, the source echoed);
 * - bad input (unreadable, a video preset on audio only, unknown preset, staged source gone) →
 *   `av.transcode.failed.v1` `retryable: false` at once ("... (permanent, 1 attempt)");
 * - anything else (stalled ffmpeg killed, store trouble) → throw, so the transport retries with delay; on the last
 *   attempt it replies `retryable: true` instead, so no asset stays ingesting.
 * While a job runs, its ffmpeg progress becomes `av.transcode.progress.v1` (the first report at once, then at most
 * one per `AV_PROGRESS_INTERVAL_MS`), published without waiting (a lost report only delays the next).
 * Jobs run side by side up to the prefetch (`AV_TRANSCODER_CONCURRENCY`, default one per core).
 */
@Controller()
export class AvTranscodeCreateHandler implements OnApplicationShutdown {
  private readonly log = new Logger(AvTranscodeCreateHandler.name);

  constructor(
    @Inject(AvTranscodeService) private readonly transcoder: AvTranscodeService,
    private readonly publisher: MessagePublisher,
    private readonly metrics: AvTranscoderMetrics,
    @Inject(AvTranscoderEnv) private readonly env: Pick<AvTranscoderEnv, 'AV_PROGRESS_INTERVAL_MS'>,
  ) {}

  @EventPattern(AvTranscodeCreateV1.routingKey)
  async handle(@Payload() cmd: AvTranscodeCreateV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    const priority = ctx.message?.properties?.priority as number | undefined;
    const asset = `${cmd.customerId}/${cmd.spaceId}/${cmd.assetId}`;
    this.log.log(`${asset}: transcoding ${cmd.presets.join(', ')} (delivery attempt ${ctx.attempt})`);
    const seen = new Set<string>();
    let lastLog = 0;
    let lastReport = -Infinity;
    try {
      const result = await this.transcoder.transcode(cmd, (p) => {
        seen.add(p.preset);
        this.metrics.progress.set({ asset, preset: p.preset }, p.fraction);
        if (p.speed !== undefined) this.metrics.speed.set({ preset: p.preset }, p.speed);
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          this.log.log(`${asset}: ${p.preset} (${p.index}/${p.total}) ${Math.round(p.fraction * 100)} %`);
        }
        if (performance.now() - lastReport >= this.env.AV_PROGRESS_INTERVAL_MS) {
          lastReport = performance.now();
          this.report(cmd, p);
        }
      });
      await this.publisher.publish(
        Object.assign(new AvTranscodeCompletedV1(), {
          ...ref(cmd),
          ...result,
          source: {
            bucket: cmd.source.bucket,
            key: cmd.source.key,
            ...(cmd.source.size ? { size: cmd.source.size } : {}),
          },
        }),
        { priority },
      );
      this.metrics.record('completed', seconds());
    } catch (err) {
      const permanent = (err instanceof MediaError && !err.retryable) || err instanceof ObjectNotFoundError;
      const message = err instanceof Error ? err.message : String(err);
      if (permanent) {
        const text = err instanceof ObjectNotFoundError ? `The staged source is gone: ${message}` : message;
        this.log.warn(`${asset}: ${text}`);
        await this.publisher.publish(failed(cmd, permanentFailureText(text, ctx.attempt), false), {
          priority,
        });
        this.metrics.record('failed_permanent', seconds());
        return;
      }
      if (ctx.isLastAttempt) {
        this.log.error(`${asset}: giving up after ${ctx.attempt} attempts: ${message}`);
        await this.publisher.publish(
          failed(cmd, retriesExhaustedText('Audio/video transcoding failed', ctx.attempt, message), true),
          { priority },
        );
        this.metrics.record('failed_retries_exhausted', seconds());
        return;
      }
      this.log.warn(`${asset}: attempt ${ctx.attempt} failed, will retry: ${message}`);
      this.metrics.record('retry', seconds());
      throw err;
    } finally {
      for (const preset of seen) this.metrics.progress.remove({ asset, preset });
    }
  }

  /** Publishes one progress report without waiting for it; a failure is logged (the next report follows). */
  private report(cmd: AvTranscodeCreateV1, p: JobProgress): void {
    const msg = Object.assign(new AvTranscodeProgressV1(), {
      ...ref(cmd),
      preset: p.preset,
      presetIndex: p.index,
      presetCount: p.total,
      fraction: Math.min(1, Math.max(0, p.fraction)),
      ...(p.speed !== undefined && p.speed >= 0 ? { speed: p.speed } : {}),
      at: new Date().toISOString(),
    });
    this.publisher.publish(msg).catch((err: unknown) => {
      this.log.warn(
        `${cmd.customerId}/${cmd.spaceId}/${cmd.assetId}: progress report not published: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
  }

  /** Kills running ffmpeg children and removes their temporary files. */
  async onApplicationShutdown(): Promise<void> {
    await this.transcoder.shutdown();
  }
}

const ref = (cmd: AvTranscodeCreateV1) => ({
  customerId: cmd.customerId,
  spaceId: cmd.spaceId,
  assetId: cmd.assetId,
  attempt: cmd.attempt,
});

function failed(cmd: AvTranscodeCreateV1, error: string, retryable: boolean): AvTranscodeFailedV1 {
  return Object.assign(new AvTranscodeFailedV1(), { ...ref(cmd), error, retryable });
}
