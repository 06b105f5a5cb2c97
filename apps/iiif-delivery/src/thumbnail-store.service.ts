import { Inject, Injectable } from '@nestjs/common';
import type { ObjectStore } from '@vellum/storage';
import { LRUCache } from 'lru-cache';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryEnv } from './env';
import { DELIVERY_ENV, OBJECT_STORE } from './tokens';

/**
 * Pre-made thumbnails in memory (SPEC.md §5 "Speed", §10 "Thumbnails ≥ 10× the tile rate"): an LRU bounded by
 * bytes (`VELLUM_DELIVERY_THUMB_CACHE_BYTES`), single-flight per object. Entries are keyed by bucket, key and the
 * asset version (its `finished` time), so a reingested asset never serves an old thumbnail; old versions age out.
 */
@Injectable()
export class ThumbnailStore {
  private readonly cache: LRUCache<string, Buffer, { bucket: string; key: string }> | undefined;

  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
    private readonly metrics: DeliveryMetrics,
  ) {
    const maxSize = env.VELLUM_DELIVERY_THUMB_CACHE_BYTES;
    if (maxSize > 0) {
      this.cache = new LRUCache<string, Buffer, { bucket: string; key: string }>({
        maxSize,
        sizeCalculation: (b) => Math.max(1, b.length),
        fetchMethod: (_k, _stale, { context }) => this.store.getBuffer(context.bucket, context.key),
      });
    }
  }

  /**
   * The bytes of one stored thumbnail (a JPEG).
   * @param version the asset's version string; part of the cache key.
   * @throws ObjectNotFoundError when the object does not exist.
   */
  async get(bucket: string, key: string, version: string): Promise<Buffer> {
    if (!this.cache) return this.store.getBuffer(bucket, key);
    const cacheKey = `${bucket}/${key}@${version}`;
    this.metrics.cacheHit('thumbnail', this.cache.has(cacheKey));
    const buf = await this.cache.fetch(cacheKey, { context: { bucket, key } });
    return buf!;
  }

  /**
   * A small derived image (e.g. a thumbnail resized to a size that is not pre-made) kept in the same LRU under
   * `cacheKey`, which must start with the asset's key prefix (`{customer}/{space}/{escaped id}/`, so that
   * {@link evictKeyPrefix} finds it) and identify the asset version and the exact output; `produce` runs on a miss.
   * Results over 1 MiB are not kept.
   */
  async derived(cacheKey: string, produce: () => Promise<Buffer>): Promise<Buffer> {
    if (!this.cache) return produce();
    const key = `derived:${cacheKey}`;
    const hit = this.cache.get(key);
    this.metrics.cacheHit('thumbnail', hit !== undefined);
    if (hit) return hit;
    const buf = await produce();
    if (buf.length <= 1024 * 1024) this.cache.set(key, buf);
    return buf;
  }

  /**
   * Drops every cached thumbnail and derived image of an asset (SPEC.md §8 "Clean-up": asset deleted): stored
   * thumbnails whose object key starts with `keyPrefix` (`{customer}/{space}/{escaped id}/`) in any bucket, and
   * derived images cached under that prefix.
   * @returns how many entries were dropped.
   */
  evictKeyPrefix(keyPrefix: string): number {
    if (!this.cache) return 0;
    let dropped = 0;
    for (const k of [...this.cache.keys()]) {
      const objectKey = k.startsWith('derived:') ? k.slice('derived:'.length) : k.slice(k.indexOf('/') + 1);
      if (objectKey.startsWith(keyPrefix) && this.cache.delete(k)) dropped++;
    }
    return dropped;
  }
}
