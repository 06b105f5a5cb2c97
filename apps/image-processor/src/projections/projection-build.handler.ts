import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BusMessageDeadLetteredV1, NamedQueryProjectionBuildV1 } from '@vellum/contracts';
import { failProjectionBuild, PRISMA, type PrismaClient } from '@vellum/db';
import { permanentFailureText, retriesExhaustedText, type VellumRmqContext } from '@vellum/messaging';
import { ProjectionBuildService, ProjectionInputError } from './projection-build.service';
import { ProjectionMetrics } from './projection.metrics';

/**
 * Consumes `named-query.projection.build.v1` (SPEC.md §7 `pdf`, `zip`) from queue
 * `image-processor.named-query.projection.build.v1` (prefetch `IMAGE_PROCESSOR_PROJECTION_CONCURRENCY`, default 1):
 * - built → the control record is done (by {@link ProjectionBuildService});
 * - superseded, already built, or its record gone → nothing (a redelivery or a newer request);
 * - the database says it cannot be built ({@link ProjectionInputError}: query gone, no match, no picture) → the
 *   record is failed at once (`… (permanent, 1 attempt)`);
 * - anything else throws, so the transport retries with delay; on the last attempt the record is failed instead
 *   (`Projection build failed after 5 attempts (retryable): …`), so no projection stays in process.
 *
 * Also hears `bus.message.dead-lettered.v1`: a build command dead-lettered without its handler finishing (invalid,
 * crashed its consumer, timed out) fails its record the same way.
 */
@Controller()
export class ProjectionBuildHandler {
  private readonly log = new Logger(ProjectionBuildHandler.name);

  constructor(
    private readonly builds: ProjectionBuildService,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly metrics: ProjectionMetrics,
  ) {}

  @EventPattern(NamedQueryProjectionBuildV1.routingKey)
  async handle(@Payload() cmd: NamedQueryProjectionBuildV1, @Ctx() ctx: VellumRmqContext): Promise<void> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    const ref = refText(cmd);
    try {
      const r = await this.builds.build(cmd, ctx.signal);
      if (r.outcome === 'skipped') {
        this.log.log(`${ref}: skipped (${r.reason})`);
        this.metrics.record(cmd.kind, 'skipped', seconds());
        return;
      }
      this.log.log(
        `${ref}: built, ${r.itemCount} ${cmd.kind === 'pdf' ? 'pages' : 'entries'} from ${r.members} assets, ${r.sizeBytes} bytes in ${seconds().toFixed(2)} s`,
      );
      this.metrics.record(cmd.kind, 'built', seconds());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof ProjectionInputError) {
        this.log.warn(`${ref}: ${message}`);
        await failProjectionBuild(
          this.prisma,
          cmd.projectionId,
          cmd.build,
          permanentFailureText(message, ctx.attempt),
        );
        this.metrics.record(cmd.kind, 'failed_permanent', seconds());
        return;
      }
      if (ctx.isLastAttempt) {
        this.log.error(`${ref}: giving up after ${ctx.attempt} attempts: ${message}`);
        await failProjectionBuild(
          this.prisma,
          cmd.projectionId,
          cmd.build,
          retriesExhaustedText('Projection build failed', ctx.attempt, message),
        );
        this.metrics.record(cmd.kind, 'failed_retries_exhausted', seconds());
        return;
      }
      this.log.warn(`${ref}: attempt ${ctx.attempt} failed, will retry: ${message}`);
      this.metrics.record(cmd.kind, 'retry', seconds());
      throw err;
    }
  }

  @EventPattern(BusMessageDeadLetteredV1.routingKey)
  async onDeadLettered(
    @Payload() msg: BusMessageDeadLetteredV1,
    @Ctx() _ctx: VellumRmqContext,
  ): Promise<void> {
    if (msg.messageType !== NamedQueryProjectionBuildV1.routingKey) return;
    const data = msg.data as Partial<NamedQueryProjectionBuildV1> | undefined;
    const id = data?.projectionId;
    const build = data?.build;
    if (
      typeof id !== 'string' ||
      !/^[0-9a-f-]{36}$/i.test(id) ||
      typeof build !== 'number' ||
      !Number.isInteger(build)
    )
      return;
    const failed = await failProjectionBuild(
      this.prisma,
      id,
      build,
      `Projection build dead-lettered by ${msg.service} (${msg.reason}, ${msg.attempts} attempt${msg.attempts === 1 ? '' : 's'}): ${msg.error}`,
    );
    if (failed)
      this.log.warn(`projection ${id} build ${build}: failed, its command was dead-lettered (${msg.reason})`);
  }
}

function refText(cmd: NamedQueryProjectionBuildV1): string {
  return `${cmd.kind} ${cmd.customerId}/${cmd.queryName}/${cmd.args.map(encodeURIComponent).join('/')} (projection ${cmd.projectionId} build ${cmd.build})`;
}
