import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';

/** How one `image.derivatives.create.v1` ended. */
export type ImageJobOutcome = 'created' | 'failed_permanent' | 'failed_retries_exhausted' | 'retry';

/**
 * The image-processor's Prometheus metrics (SPEC.md §9), in the app's registry:
 * - `vellum_image_derivatives_jobs_total{outcome}`;
 * - `vellum_image_derivatives_duration_seconds{outcome}`: download + pipeline + upload per job.
 */
@Injectable()
export class ImageProcessorMetrics {
  readonly jobs: ReturnType<MetricsService['counter']>;
  readonly duration: ReturnType<MetricsService['histogram']>;

  constructor(metrics: MetricsService) {
    this.jobs = metrics.counter(
      'vellum_image_derivatives_jobs_total',
      'image.derivatives.create.v1 messages by outcome',
      ['outcome'],
    );
    this.duration = metrics.histogram(
      'vellum_image_derivatives_duration_seconds',
      'Seconds per image.derivatives.create.v1 job',
      ['outcome'],
      [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    );
  }

  record(outcome: ImageJobOutcome, seconds: number): void {
    this.jobs.inc({ outcome });
    this.duration.observe({ outcome }, seconds);
  }
}
