import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';

/** How one `av.transcode.create.v1` ended. */
export type AvJobOutcome = 'completed' | 'failed_permanent' | 'failed_retries_exhausted' | 'retry';

/**
 * The av-transcoder's Prometheus metrics (SPEC.md §9):
 * - `vellum_av_transcode_jobs_total{outcome}`;
 * - `vellum_av_transcode_duration_seconds{outcome}`: download + every preset + poster + upload per job;
 * - `vellum_av_transcode_progress_ratio{asset,preset}`: 0..1 of the preset running now (from ffmpeg `-progress`),
 *   removed when the job ends;
 * - `vellum_av_transcode_speed_ratio{preset}`: ffmpeg's last reported speed, × real time.
 */
@Injectable()
export class AvTranscoderMetrics {
  readonly jobs: ReturnType<MetricsService['counter']>;
  readonly duration: ReturnType<MetricsService['histogram']>;
  readonly progress: ReturnType<MetricsService['gauge']>;
  readonly speed: ReturnType<MetricsService['gauge']>;

  constructor(metrics: MetricsService) {
    this.jobs = metrics.counter(
      'vellum_av_transcode_jobs_total',
      'av.transcode.create.v1 messages by outcome',
      ['outcome'],
    );
    this.duration = metrics.histogram(
      'vellum_av_transcode_duration_seconds',
      'Seconds per av.transcode.create.v1 job',
      ['outcome'],
      [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
    );
    this.progress = metrics.gauge(
      'vellum_av_transcode_progress_ratio',
      'How far the running preset of a job is, 0..1 (ffmpeg -progress)',
      ['asset', 'preset'],
    );
    this.speed = metrics.gauge('vellum_av_transcode_speed_ratio', 'Last ffmpeg speed, x real time', [
      'preset',
    ]);
  }

  record(outcome: AvJobOutcome, seconds: number): void {
    this.jobs.inc({ outcome });
    this.duration.observe({ outcome }, seconds);
  }
}
