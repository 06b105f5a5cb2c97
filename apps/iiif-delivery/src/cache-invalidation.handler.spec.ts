import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AssetDeletedV1 } from '@vellum/contracts';
import {
  assetKeyPrefix,
  createObjectStore,
  pyramidKey,
  thumbnailKey,
  type ObjectStore,
} from '@vellum/storage';
import type { AssetLookupService } from './asset-lookup.service';
import { CacheInvalidationHandler } from './cache-invalidation.handler';
import type { DeliveryMetrics } from './delivery-metrics';
import type { DeliveryEnv } from './env';
import { PresentationCache } from './presentation/presentation-cache.service';
import { PyramidCacheService } from './pyramid-cache.service';
import { ThumbnailStore } from './thumbnail-store.service';

/**
 * `asset.deleted.v1` on iiif-delivery (SPEC.md §8 "Clean-up"): the real disk cache and thumbnail cache over a real
 * (filesystem) object store; the handler must leave nothing of the deleted asset, downloads in flight included,
 * and everything of its neighbours (an id that shares a prefix of characters).
 */
describe('CacheInvalidationHandler.onDeleted', () => {
  const buckets = { origins: 'origins', derivatives: 'derivs', thumbnails: 'thumbs', outputs: 'outputs' };
  const gone = { customerId: 1, spaceId: 2, assetId: 'a b' };
  const kept = { customerId: 1, spaceId: 2, assetId: 'a b2' };
  const metrics = { cacheHit: jest.fn() } as unknown as DeliveryMetrics;
  let root: string;
  let store: ObjectStore;
  let slow: Promise<void> | undefined;
  let pyramids: PyramidCacheService;
  let thumbs: ThumbnailStore;
  let handler: CacheInvalidationHandler;
  let presentations: PresentationCache;
  const invalidated: string[] = [];

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vellum-delete-eviction-'));
    const real = createObjectStore({ driver: 'fs', root: path.join(root, 'store') });
    for (const b of Object.values(buckets)) await real.ensureBucket(b);
    for (const ref of [gone, kept]) {
      await real.put(buckets.derivatives, pyramidKey(ref), Buffer.alloc(1000, 1));
      await real.put(
        buckets.origins,
        `${assetKeyPrefix(ref.customerId, ref.spaceId, ref.assetId)}/origin`,
        Buffer.alloc(500, 2),
      );
      await real.put(buckets.thumbnails, thumbnailKey(ref, 100, 50), Buffer.alloc(100, 3));
    }
    slow = undefined;
    store = Object.assign(Object.create(real) as ObjectStore, {
      download: async (bucket: string, key: string, file: string) => {
        if (slow) await slow;
        return real.download(bucket, key, file);
      },
    });
    const env = {
      VELLUM_DELIVERY_CACHE_DIR: path.join(root, 'cache'),
      VELLUM_DELIVERY_CACHE_BYTES: 1 << 20,
      VELLUM_DELIVERY_THUMB_CACHE_BYTES: 1 << 20,
      VELLUM_DELIVERY_MANIFEST_CACHE_BYTES: 1 << 20,
      VELLUM_DELIVERY_LOOKUP_TTL_MS: 60_000,
    } as DeliveryEnv;
    pyramids = new PyramidCacheService(store, env, metrics);
    await pyramids.onModuleInit();
    thumbs = new ThumbnailStore(store, env, metrics);
    invalidated.length = 0;
    const lookup = {
      invalidateAsset: (c: number, s: number, id: string) => invalidated.push(`${c}/${s}/${id}`),
    } as unknown as AssetLookupService;
    presentations = new PresentationCache(env, metrics);
    handler = new CacheInvalidationHandler(lookup, pyramids, thumbs, buckets, presentations);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /**
   * Caches a named-query projection for customers 1 and 2 (if not cached), then reports which are still cached
   * after whatever happened in between (a second build means it had been dropped).
   */
  async function cachedProjections(): Promise<string[]> {
    const built: string[] = [];
    for (const c of [1, 2]) {
      await presentations.get(c, 'k', async () => {
        built.push(`customer ${c}`);
        return {
          body: Buffer.from('[]'),
          contentType: 'application/json',
          etag: '"e"',
          lastModified: new Date(),
          restricted: false,
        };
      });
    }
    return ['customer 1', 'customer 2'].filter((c) => !built.includes(c));
  }

  async function warm(ref: typeof gone): Promise<void> {
    await cachedProjections();
    const prefix = assetKeyPrefix(ref.customerId, ref.spaceId, ref.assetId);
    (await pyramids.acquire({ bucket: buckets.derivatives, key: pyramidKey(ref), version: '1' })).release();
    (await pyramids.acquire({ bucket: buckets.origins, key: `${prefix}/origin`, version: '1' })).release();
    await thumbs.get(buckets.thumbnails, thumbnailKey(ref, 100, 50), '1');
    await thumbs.derived(`${prefix}/"etag"`, async () => Buffer.from('derived'));
  }

  const deleted = (objects: AssetDeletedV1['objects'] = []) =>
    Object.assign(new AssetDeletedV1(), { ...gone, deleteFrom: [], objects });

  it('evicts every disk-cache entry and cached thumbnail of the asset, and its lookup; keeps the neighbour', async () => {
    await warm(gone);
    await warm(kept);
    expect(pyramids.cachedFiles().size).toBe(4);
    const goneFiles = [...pyramids.cachedFiles()]
      .filter(([k]) => k.includes('/a%20b/'))
      .map(([, file]) => file);
    expect(goneFiles).toHaveLength(2);

    handler.onDeleted(deleted([{ bucket: buckets.origins, key: 'elsewhere/source.tif', kind: 'pyramid' }]));

    expect(invalidated).toEqual(['1/2/a b']);
    expect(await cachedProjections()).toEqual(['customer 2']);
    expect([...pyramids.cachedFiles().keys()].sort()).toEqual([
      `${buckets.derivatives}/${pyramidKey(kept)}`,
      `${buckets.origins}/1/2/a%20b2/origin`,
    ]);
    await new Promise((r) => setTimeout(r, 50));
    for (const f of goneFiles) expect(existsSync(f)).toBe(false);
    expect(await readdir(path.join(root, 'cache'))).toHaveLength(2);
    expect(thumbs.evictKeyPrefix(`${assetKeyPrefix(1, 2, 'a b')}/`)).toBe(0); // already gone
    expect(thumbs.evictKeyPrefix(`${assetKeyPrefix(1, 2, 'a b2')}/`)).toBe(2); // the neighbour's were kept
  });

  it('a pyramid download in flight when the delete arrives serves its reader but is not cached', async () => {
    let release!: () => void;
    slow = new Promise<void>((r) => (release = r));
    const pending = pyramids.acquire({ bucket: buckets.derivatives, key: pyramidKey(gone), version: '1' });
    await new Promise((r) => setTimeout(r, 20));
    handler.onDeleted(deleted());
    release();
    const lease = await pending;
    expect(existsSync(lease.path)).toBe(true);
    expect(pyramids.cachedFiles().size).toBe(0);
    lease.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(lease.path)).toBe(false);
    expect(await readdir(path.join(root, 'cache'))).toEqual([]);
    // The next download is cached again (nothing left over from the discard).
    slow = undefined;
    (await pyramids.acquire({ bucket: buckets.derivatives, key: pyramidKey(kept), version: '1' })).release();
    expect(pyramids.cachedFiles().size).toBe(1);
  });

  it('the pyramid named by the event (e.g. a use-original source outside the prefix) is evicted too', async () => {
    await store.put(buckets.origins, 'elsewhere/source.tif', Buffer.alloc(10, 1));
    (
      await pyramids.acquire({ bucket: buckets.origins, key: 'elsewhere/source.tif', version: '1' })
    ).release();
    handler.onDeleted(deleted([{ bucket: buckets.origins, key: 'elsewhere/source.tif', kind: 'pyramid' }]));
    expect(pyramids.cachedFiles().size).toBe(0);
  });
});
