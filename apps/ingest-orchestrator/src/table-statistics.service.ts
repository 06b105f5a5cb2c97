import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { analyzeStaleTables, PRISMA, type PrismaClient } from '@vellum/db';
import type { OrchestratorEnv } from './orchestrator.env';
import { ORCHESTRATOR_ENV } from './tokens';

/**
 * Every `VELLUM_ANALYZE_INTERVAL_MS` (60 s; 0 = never) and once at start, runs `ANALYZE` on the tables whose
 * planner statistics are stale, when the PostgreSQL server's autovacuum is off ({@link analyzeStaleTables}; a no-op
 * otherwise). Ingest is what fills the tables (a batch writes thousands of asset rows at once), so the
 * orchestrator keeps their statistics; the api-gateway's key lookups depend on them. Replicas may overlap: two
 * ANALYZEs of a table are merely redundant.
 */
@Injectable()
export class TableStatisticsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(TableStatisticsService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(ORCHESTRATOR_ENV) private readonly env: OrchestratorEnv,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.env.VELLUM_ANALYZE_INTERVAL_MS;
    if (every <= 0) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = analyzeStaleTables(this.prisma)
      .then((tables) => {
        if (tables.length)
          this.log.log({ tables, msg: `autovacuum is off: analyzed ${tables.length} table(s)` });
      })
      .catch((err: unknown) => this.log.warn({ err, msg: 'ANALYZE of stale tables failed (will try again)' }))
      .finally(() => (this.running = undefined));
  }
}
