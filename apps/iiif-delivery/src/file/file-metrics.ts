import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';
import type { Counter } from 'prom-client';

/** How a `file` channel request was answered (`vellum_file_requests_total{kind}`). */
export type FileRequestKind = 'whole' | 'partial' | 'head' | 'not-modified' | 'unsatisfiable';

/** Why a file stream stopped before its last byte (`vellum_file_stream_interruptions_total{reason}`). */
export type FileStreamInterruption = 'client-aborted' | 'store-failed';

/**
 * Prometheus metrics of the `file` channel (SPEC.md §9), beside the per-route
 * `http_request_duration_seconds{route="/file/*rest"}` every request gets:
 * - `vellum_file_requests_total{kind}`: answered requests by kind (200 whole, 206 partial, HEAD, 304, 416);
 * - `vellum_file_bytes_sent_total`: body bytes written to clients;
 * - `vellum_file_stream_interruptions_total{reason}`: streams cut short by the client or by the object store.
 */
@Injectable()
export class FileMetrics {
  private readonly requests: Counter<'kind'>;
  private readonly bytes: Counter;
  private readonly interruptions: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter(
      'vellum_file_requests_total',
      'File channel requests by how they were answered',
      ['kind'],
    );
    this.bytes = metrics.counter(
      'vellum_file_bytes_sent_total',
      'File channel body bytes written to clients',
    );
    this.interruptions = metrics.counter(
      'vellum_file_stream_interruptions_total',
      'File channel streams stopped before their last byte, by reason',
      ['reason'],
    );
  }

  /** Counts one request answered as `kind`. */
  request(kind: FileRequestKind): void {
    this.requests.inc({ kind });
  }

  /** Adds `n` body bytes sent. */
  sent(n: number): void {
    if (n > 0) this.bytes.inc(n);
  }

  /** Counts one stream stopped early for `reason`. */
  interrupted(reason: FileStreamInterruption): void {
    this.interruptions.inc({ reason });
  }
}
