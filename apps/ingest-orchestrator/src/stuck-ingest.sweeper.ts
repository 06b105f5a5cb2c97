import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { channelFacts } from './derivatives';
import { FinaliserService } from './finaliser.service';
import { channelsOf } from './ingest-planner';
import type { OrchestratorEnv } from './orchestrator.env';
import { CLOCK, type Clock, ORCHESTRATOR_ENV } from './tokens';

/** Assets handled per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 200;

/**
 * The safety net of SPEC.md §4.1 step 5 / §10 "Reliability" ("nothing stays `ingesting` forever"): every
 * `VELLUM_INGEST_SWEEP_INTERVAL_MS` (60 s) it fails, through the normal finalise path (so batch counters and
 * `asset.ingest.finished.v1` stay exact), every asset that has been `ingesting` for longer than
 * `VELLUM_INGEST_STUCK_MS` (24 h; it must exceed the longest queue wait plus processing time, since a queued batch member waits behind the whole backlog) since its ingest request (the asset row's `updated`), with the error
 * "Ingest timed out after N s without a result".
 *
 * Rule: the clock starts at the ingest request, so the stuck limit must exceed the longest expected queue wait
 * plus processing time. Replicas may sweep concurrently: the finaliser's conditional update lets exactly one
 * win per asset. A worker reply arriving after the sweep is ignored (the attempt is no longer in progress).
 */
@Injectable()
export class StuckIngestSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(StuckIngestSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(ORCHESTRATOR_ENV) private readonly env: OrchestratorEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly finaliser: FinaliserService,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.env.VELLUM_INGEST_SWEEP_INTERVAL_MS;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) => {
          this.log.error({ err, msg: 'stuck-ingest sweep failed (will try again)' });
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One sweep: fails up to 200 stuck assets. Returns how many it failed.
   * @throws database errors (logged by the timer; the next sweep retries).
   */
  async sweep(): Promise<number> {
    const limitMs = this.env.VELLUM_INGEST_STUCK_MS;
    const cutoff = new Date(this.clock.now().getTime() - limitMs);
    const stuck = await this.prisma.asset.findMany({
      where: { ingesting: true, updated: { lt: cutoff } },
      select: {
        customerId: true,
        spaceId: true,
        id: true,
        ingestAttempt: true,
        deliveryChannels: true,
        mediaType: true,
      },
      orderBy: { updated: 'asc' },
      take: SWEEP_BATCH,
    });
    let failed = 0;
    for (const a of stuck) {
      const facts = channelFacts(channelsOf(a));
      const result = await this.finaliser.finalise({
        customerId: a.customerId,
        spaceId: a.spaceId,
        assetId: a.id,
        attempt: a.ingestAttempt,
        outcome: {
          success: false,
          error: `Ingest timed out after ${Math.round(limitMs / 1000)} s without a result`,
        },
        deleteStagedOrigin: !facts.keepOrigin,
        label: 'timed_out',
      });
      if (result.applied) failed++;
    }
    if (failed > 0) this.log.warn({ failed, limitMs, msg: 'stuck ingests failed by the sweeper' });
    return failed;
  }
}
