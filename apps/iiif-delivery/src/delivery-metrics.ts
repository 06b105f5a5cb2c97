import { Injectable } from '@nestjs/common';
import { MetricsService } from '@vellum/common';
import type { Counter, Histogram } from 'prom-client';

/**
 * Which path served an image request (`vellum_tile_requests_total{kind}`): `tile` = a canonical tile from its stored JPEG
 * bytes, `tile-cropped` = a padded edge tile cropped, `tile-rendered` = a canonical tile rendered (not servable raw).
 */
export type RenderKind =
  'tile' | 'tile-cropped' | 'tile-rendered' | 'region' | 'thumbnail' | 'thumbnail-derived' | 'not-modified';

/** Buckets (seconds) of `vellum_image_render_duration_seconds`: 1 ms to 5 s. */
const RENDER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The delivery service's own Prometheus metrics (SPEC.md §9):
 * - `vellum_tile_requests_total{kind}`: image requests by how they were served (canonical tile from stored bytes,
 *   cropped edge tile, rendered canonical tile, arbitrary region, pre-made thumbnail, thumbnail-derived, 304);
 * - `vellum_image_render_duration_seconds{kind}`: time to produce the image bytes;
 * - `vellum_delivery_cache_lookups_total{cache,result}`: cache lookups (`cache` = customer, asset, pyramid, thumbnail,
 *   manifest (named-query projections);
 *   `result` = hit/miss), from which a hit ratio follows.
 */
@Injectable()
export class DeliveryMetrics {
  private readonly requests: Counter<'kind'>;
  private readonly renderDuration: Histogram<'kind'>;
  private readonly cacheHits: Counter<'cache' | 'result'>;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter(
      'vellum_tile_requests_total',
      'Image API requests by how they were served',
      ['kind'],
    );
    this.renderDuration = metrics.histogram(
      'vellum_image_render_duration_seconds',
      'Seconds spent producing image bytes, by kind',
      ['kind'],
      RENDER_BUCKETS,
    );
    this.cacheHits = metrics.counter(
      'vellum_delivery_cache_lookups_total',
      'Delivery cache lookups by cache and outcome',
      ['cache', 'result'],
    );
  }

  /** Counts one image request served as `kind`. */
  request(kind: RenderKind): void {
    this.requests.inc({ kind });
  }

  /** Records `seconds` spent rendering an image of `kind`. */
  rendered(kind: RenderKind, seconds: number): void {
    this.renderDuration.observe({ kind }, seconds);
  }

  /** Counts one lookup in `cache`. */
  cacheHit(cache: 'customer' | 'asset' | 'pyramid' | 'thumbnail' | 'manifest', hit: boolean): void {
    this.cacheHits.inc({ cache, result: hit ? 'hit' : 'miss' });
  }
}
