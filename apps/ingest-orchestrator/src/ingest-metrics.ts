import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';
import type { Counter, Histogram } from 'prom-client';

/** How one ingest message ended, the `outcome` label of `vellum_ingest_outcomes_total`. */
export type IngestOutcomeLabel =
  /** An attempt finalised with success. */
  | 'completed'
  /** An attempt finalised with an error (origin, processing, invalid plan). */
  | 'error'
  /** An attempt failed by the stuck-ingest sweeper. */
  | 'timed_out'
  /** A request or reply for an attempt that is no longer current (or an asset that is gone): skipped. */
  | 'stale'
  /** A reply for an attempt that was already finalised (redelivery): no change. */
  | 'duplicate'
  /** Work dispatched to a worker (image-processor / av-transcoder). */
  | 'dispatched'
  /** A retryable failure handed back to the transport for a delayed retry. */
  | 'retry'
  /** A request for a batch member cancelled before it started: skipped (the gateway closed it). */
  | 'cancelled'
  /** The objects of a deleted asset removed (`asset.deleted.v1`, or a late result of a deleted asset). */
  | 'deleted'
  /** A batch member beyond its customer's window: parked until one of the customer's members finishes. */
  | 'parked'
  /** A parked batch member moved back to the queue (its customer had room again). */
  | 'unparked';

/**
 * The orchestrator's Prometheus metrics (SPEC.md §9 "ingest outcomes"), registered in the app's registry:
 * - `vellum_ingest_outcomes_total{outcome}`: see {@link IngestOutcomeLabel};
 * - `vellum_ingest_duration_seconds{outcome}`: from the ingest request (the asset row's `updated`) to finalising;
 * - `vellum_origin_fetch_bytes_total`: bytes streamed from origins into the object store.
 */
@Injectable()
export class IngestMetrics {
  readonly outcomes: Counter<'outcome'>;
  readonly duration: Histogram<'outcome'>;
  readonly originBytes: Counter<string>;

  constructor(metrics: MetricsService) {
    this.outcomes = metrics.counter('vellum_ingest_outcomes_total', 'Ingest messages by outcome', [
      'outcome',
    ]);
    this.duration = metrics.histogram(
      'vellum_ingest_duration_seconds',
      'Seconds from ingest request to finalised asset',
      ['outcome'],
      [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800],
    );
    this.originBytes = metrics.counter(
      'vellum_origin_fetch_bytes_total',
      'Bytes streamed from origins into the object store',
    );
  }

  outcome(outcome: IngestOutcomeLabel): void {
    this.outcomes.inc({ outcome });
  }
}
