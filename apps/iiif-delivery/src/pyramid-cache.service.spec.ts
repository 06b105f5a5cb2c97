import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createObjectStore, type ObjectStore } from '@vellum/storage';
import sharp from 'sharp';
import type { DeliveryMetrics } from './delivery-metrics';
import type { DeliveryEnv } from './env';
import { PyramidCacheService } from './pyramid-cache.service';
import { TiffFormatError } from './tiff-tile-index';

describe('PyramidCacheService (fs object store)', () => {
  let root: string;
  let store: ObjectStore;
  let downloads: number;
  const metrics = { cacheHit: jest.fn() } as unknown as DeliveryMetrics;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vellum-pyramid-cache-'));
    const real = createObjectStore({ driver: 'fs', root: path.join(root, 'store') });
    await real.ensureBucket('pyramids');
    for (const k of ['a', 'b', 'c']) await real.put('pyramids', k, Buffer.alloc(1000, k));
    downloads = 0;
    store = Object.assign(Object.create(real) as ObjectStore, {
      download: async (bucket: string, key: string, file: string) => {
        downloads++;
        await new Promise((r) => setTimeout(r, 20));
        return real.download(bucket, key, file);
      },
    });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function cache(maxBytes: number): Promise<PyramidCacheService> {
    const env = {
      VELLUM_DELIVERY_CACHE_DIR: path.join(root, 'cache'),
      VELLUM_DELIVERY_CACHE_BYTES: maxBytes,
    } as DeliveryEnv;
    const c = new PyramidCacheService(store, env, metrics);
    await c.onModuleInit();
    return c;
  }

  it('downloads once for concurrent requests of the same object', async () => {
    const c = await cache(1 << 20);
    const leases = await Promise.all(
      Array.from({ length: 8 }, () => c.acquire({ bucket: 'pyramids', key: 'a', version: '1' })),
    );
    expect(downloads).toBe(1);
    expect(new Set(leases.map((l) => l.path)).size).toBe(1);
    leases.forEach((l) => l.release());
    await c.acquire({ bucket: 'pyramids', key: 'a', version: '1' });
    expect(downloads).toBe(1);
  });

  it('downloads again for a new version and evicts least-recently-used entries over the bound', async () => {
    const c = await cache(2500);
    (await c.acquire({ bucket: 'pyramids', key: 'a', version: '1' })).release();
    (await c.acquire({ bucket: 'pyramids', key: 'a', version: '2' })).release();
    expect(downloads).toBe(2);
    (await c.acquire({ bucket: 'pyramids', key: 'b', version: '1' })).release();
    (await c.acquire({ bucket: 'pyramids', key: 'a', version: '2' })).release(); // a is now most recent
    (await c.acquire({ bucket: 'pyramids', key: 'c', version: '1' })).release(); // evicts b
    expect(c.bytes).toBeLessThanOrEqual(2500);
    (await c.acquire({ bucket: 'pyramids', key: 'a', version: '2' })).release();
    expect(downloads).toBe(4);
    (await c.acquire({ bucket: 'pyramids', key: 'b', version: '1' })).release();
    expect(downloads).toBe(5);
    await new Promise((r) => setTimeout(r, 50));
    expect((await readdir(path.join(root, 'cache'))).length).toBeLessThanOrEqual(2);
  });

  it('never evicts a file while it is leased, and evict() drops an entry', async () => {
    const c = await cache(1500);
    const a = await c.acquire({ bucket: 'pyramids', key: 'a', version: '1' });
    (await c.acquire({ bucket: 'pyramids', key: 'b', version: '1' })).release();
    expect((await readdir(path.join(root, 'cache'))).length).toBe(2);
    a.release();
    c.evict('pyramids', 'b');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.bytes).toBeLessThanOrEqual(1000);
    (await c.acquire({ bucket: 'pyramids', key: 'b', version: '1' })).release();
    expect(downloads).toBe(3);
  });

  it('opens the tile directory once per cached file, remembers a failure, and closes it with the entry', async () => {
    const real = createObjectStore({ driver: 'fs', root: path.join(root, 'store') });
    const tiff = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#808080' } })
      .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
      .toBuffer();
    await real.put('pyramids', 't', tiff);
    const c = await cache(1 << 20);
    const first = await c.acquire({ bucket: 'pyramids', key: 't', version: '1' });
    const second = await c.acquire({ bucket: 'pyramids', key: 't', version: '1' });
    const [f1, f2] = await Promise.all([first.file(), second.file()]);
    expect(f1).toBe(f2);
    expect(f1.index.pages[0]).toMatchObject({ width: 600, height: 400, compression: 7 });
    expect((await f1.readTileJpeg(0, 0, 0)).readUInt16BE(0)).toBe(0xffd8);
    first.release();
    second.release();
    const junk = await c.acquire({ bucket: 'pyramids', key: 'a', version: '1' });
    await expect(junk.file()).rejects.toThrow(TiffFormatError);
    await expect(junk.file()).rejects.toThrow(TiffFormatError);
    junk.release();
    c.evict('pyramids', 't');
    await new Promise((r) => setTimeout(r, 50));
    // The descriptor is closed with the entry: reading through it now fails.
    await expect(f1.readTileJpeg(0, 0, 0)).rejects.toThrow();
  });
});
