import type { DeliveryMetrics } from '../delivery-metrics';
import type { DeliveryEnv } from '../env';
import { type CachedDocument, PresentationCache } from './presentation-cache.service';

const metrics = { cacheHit: jest.fn() } as unknown as DeliveryMetrics;
const env = (bytes = 1 << 20) =>
  ({ VELLUM_DELIVERY_MANIFEST_CACHE_BYTES: bytes, VELLUM_DELIVERY_LOOKUP_TTL_MS: 60_000 }) as DeliveryEnv;
const doc = (body: string): CachedDocument => ({
  body: Buffer.from(body),
  contentType: 'application/json',
  etag: `"${body}"`,
  lastModified: new Date(0),
  restricted: false,
});

describe('PresentationCache', () => {
  it('builds once per key, shares a build in flight, and drops one customer on invalidation', async () => {
    const cache = new PresentationCache(env(), metrics);
    let builds = 0;
    const build = (body: string) => async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 10));
      return doc(body);
    };
    const [a, b] = await Promise.all([cache.get(1, 'k', build('one')), cache.get(1, 'k', build('two'))]);
    expect([a.body.toString(), b.body.toString(), builds]).toEqual(['one', 'one', 1]);
    await cache.get(2, 'k', build('other'));
    expect((await cache.get(1, 'k', build('three'))).body.toString()).toBe('one');
    expect(builds).toBe(2);
    expect(cache.invalidateCustomer(1)).toBe(1);
    expect((await cache.get(1, 'k', build('four'))).body.toString()).toBe('four');
    expect((await cache.get(2, 'k', build('five'))).body.toString()).toBe('other');
  });

  it('a build overtaken by an invalidation is answered but not kept', async () => {
    const cache = new PresentationCache(env(), metrics);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = cache.get(1, 'k', async () => {
      await gate;
      return doc('stale');
    });
    cache.invalidateCustomer(1);
    release();
    expect((await pending).body.toString()).toBe('stale');
    expect((await cache.get(1, 'k', async () => doc('fresh'))).body.toString()).toBe('fresh');
  });

  it('a failed build is not cached; 0 bytes turns the cache off', async () => {
    const cache = new PresentationCache(env(), metrics);
    await expect(cache.get(1, 'k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await cache.get(1, 'k', async () => doc('ok'))).body.toString()).toBe('ok');
    const off = new PresentationCache(env(0), metrics);
    await off.get(1, 'k', async () => doc('a'));
    expect((await off.get(1, 'k', async () => doc('b'))).body.toString()).toBe('b');
  });
});
