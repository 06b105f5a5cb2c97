import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';
import type { Counter } from 'prom-client';
import type { RangedRequestKind } from '../ranged/ranged-response';

/**
 * Prometheus metrics of the `iiif-av` channel (SPEC.md §9), beside the per-route
 * `http_request_duration_seconds{route="/iiif-av/*rest"}` every request gets:
 * - `vellum_av_requests_total{kind,extension}`: answered requests (200 whole, 206 partial, HEAD, 304, 416) by extension;
 * - `vellum_av_bytes_sent_total`: body bytes written to clients;
 * - `vellum_av_stream_interruptions_total{reason}`: streams cut short by the client (`client-aborted`, e.g. a media
 *   element seeking) or by the object store (`store-failed`).
 */
@Injectable()
export class AvMetrics {
  private readonly requests: Counter<'kind' | 'extension'>;
  private readonly bytes: Counter;
  private readonly interruptions: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter(
      'vellum_av_requests_total',
      'iiif-av requests by how they were answered',
      ['kind', 'extension'],
    );
    this.bytes = metrics.counter('vellum_av_bytes_sent_total', 'iiif-av body bytes written to clients');
    this.interruptions = metrics.counter(
      'vellum_av_stream_interruptions_total',
      'iiif-av streams stopped before their last byte, by reason',
      ['reason'],
    );
  }

  request(kind: RangedRequestKind, extension: string): void {
    this.requests.inc({ kind, extension });
  }

  sent(n: number): void {
    if (n > 0) this.bytes.inc(n);
  }

  interrupted(reason: 'client-aborted' | 'store-failed'): void {
    this.interruptions.inc({ reason });
  }
}
