import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';

/** How one `named-query.projection.build.v1` ended. */
export type ProjectionJobOutcome =
  'built' | 'skipped' | 'failed_permanent' | 'failed_retries_exhausted' | 'retry';

/**
 * The projection worker's Prometheus metrics (SPEC.md §9), in the app's registry:
 * - `vellum_projection_builds_total{kind,outcome}`;
 * - `vellum_projection_build_duration_seconds{kind,outcome}`: claim + members + write + upload per build.
 */
@Injectable()
export class ProjectionMetrics {
  private readonly builds: ReturnType<MetricsService['counter']>;
  private readonly duration: ReturnType<MetricsService['histogram']>;

  constructor(metrics: MetricsService) {
    this.builds = metrics.counter(
      'vellum_projection_builds_total',
      'named-query.projection.build.v1 messages by kind and outcome',
      ['kind', 'outcome'],
    );
    this.duration = metrics.histogram(
      'vellum_projection_build_duration_seconds',
      'Seconds per named-query.projection.build.v1 job',
      ['kind', 'outcome'],
      [0.25, 0.5, 1, 2, 5, 10, 20, 60, 120, 600],
    );
  }

  record(kind: string, outcome: ProjectionJobOutcome, seconds: number): void {
    this.builds.inc({ kind, outcome });
    this.duration.observe({ kind, outcome }, seconds);
  }
}
