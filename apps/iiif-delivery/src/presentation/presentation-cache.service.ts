import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DeliveryMetrics } from '../delivery-metrics';
import { DeliveryEnv } from '../env';
import { DELIVERY_ENV } from '../tokens';

/** A rendered projection (a manifest or an id list) with its validators. */
export interface CachedDocument {
  body: Buffer;
  contentType: string;
  /** Strong ETag of the body and its content type. */
  etag: string;
  /** The newest change among the assets it shows. */
  lastModified: Date;
  /** True when one of its assets has roles: answered `Cache-Control: private`. */
  restricted: boolean;
}

/**
 * In-memory cache of rendered named-query projections (SPEC.md §5 "Speed", issue 8 "Caching"): byte-bounded LRU
 * (`VELLUM_DELIVERY_MANIFEST_CACHE_BYTES`, 0 = off), entries expire after `VELLUM_DELIVERY_LOOKUP_TTL_MS` (so an
 * edited template is seen within that time) and are dropped per customer on every `asset.*` event of that
 * customer ({@link invalidateCustomer}): any change to any of its assets may add, remove or reorder members.
 * Concurrent misses of one key share one build (single flight); a build that an invalidation overtook is
 * answered but not kept.
 */
@Injectable()
export class PresentationCache {
  private readonly docs?: LRUCache<string, CachedDocument>;
  private readonly inflight = new Map<string, Promise<CachedDocument>>();
  /** Bumped by every invalidation of a customer: a build started under an older generation is not stored. */
  private readonly generations = new Map<number, number>();

  constructor(
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
    private readonly metrics: DeliveryMetrics,
  ) {
    const maxSize = env.VELLUM_DELIVERY_MANIFEST_CACHE_BYTES;
    if (maxSize > 0) {
      this.docs = new LRUCache<string, CachedDocument>({
        maxSize,
        sizeCalculation: (doc, key) => doc.body.length + key.length + 200,
        ttl: env.VELLUM_DELIVERY_LOOKUP_TTL_MS || 1,
      });
    }
  }

  /**
   * The document under `key` for customer `customerId`, built by `build` on a miss.
   * @param key everything the document depends on besides the customer's assets (projection, version, public base,
   *   query, arguments).
   */
  async get(customerId: number, key: string, build: () => Promise<CachedDocument>): Promise<CachedDocument> {
    const k = `${customerId}|${key}`;
    const hit = this.docs?.get(k);
    this.metrics.cacheHit('manifest', hit !== undefined);
    if (hit) return hit;
    const pending = this.inflight.get(k);
    if (pending) return pending;
    const generation = this.generations.get(customerId) ?? 0;
    const p: Promise<CachedDocument> = build()
      .then((doc) => {
        if ((this.generations.get(customerId) ?? 0) === generation) this.docs?.set(k, doc);
        return doc;
      })
      .finally(() => {
        if (this.inflight.get(k) === p) this.inflight.delete(k);
      });
    this.inflight.set(k, p);
    return p;
  }

  /** Drops every cached document of a customer (and keeps builds in flight from storing theirs). */
  invalidateCustomer(customerId: number): number {
    this.generations.set(customerId, (this.generations.get(customerId) ?? 0) + 1);
    for (const k of [...this.inflight.keys()]) if (k.startsWith(`${customerId}|`)) this.inflight.delete(k);
    if (!this.docs) return 0;
    const prefix = `${customerId}|`;
    const doomed: string[] = [];
    for (const k of this.docs.keys()) if (k.startsWith(prefix)) doomed.push(k);
    for (const k of doomed) this.docs.delete(k);
    return doomed.length;
  }

  /** Drops everything. */
  clear(): void {
    this.docs?.clear();
    this.inflight.clear();
  }
}
