import type { GatewayEnv } from '../config/gateway-env';
import { ApiKeyService } from './api-key.service';
import type { ApiKeysRepository } from './api-keys.repository';
import { RevocationFeed } from './revocation-feed';
import * as secretHash from './secret-hash';

/** Unit test with a stub repository seam: which hash an uncached verification runs scrypt against. */
describe('ApiKeyService.verify', () => {
  const env = {
    VELLUM_AUTH_CACHE_TTL_MS: 0,
    VELLUM_AUTH_HASH_CONCURRENCY: 2,
    VELLUM_AUTH_HASH_QUEUE: 10,
    VELLUM_AUTH_FAILURES_PER_ADDRESS: 0,
    VELLUM_AUTH_FAILURES_PER_KEY: 0,
    VELLUM_AUTH_FAILURE_WINDOW_S: 60,
    VELLUM_AUTH_RECHECK_MS: 5000,
  } as GatewayEnv;

  it('verifies an unknown key against a dummy hash of the same cost (no timing oracle)', async () => {
    const stored = await secretHash.hashSecret('right-secret');
    const rows: Record<string, unknown> = {
      known: { key: 'known', customerId: 1, secretHash: stored, customer: { isAdmin: false } },
    };
    const repo = {
      findForAuth: (key: string) => Promise.resolve(rows[key] ?? null),
      exists: (key: string) => Promise.resolve(key in rows),
      touch: () => undefined,
    } as unknown as ApiKeysRepository;
    const service = new ApiKeyService(repo, env, new RevocationFeed(env));
    service.onModuleInit();
    const spy = jest.spyOn(secretHash, 'verifySecret');
    await expect(service.verify('known', 'wrong', 'A')).resolves.toEqual({ kind: 'invalid' });
    await expect(service.verify('unknown', 'wrong', 'A')).resolves.toEqual({ kind: 'invalid' });
    expect(spy).toHaveBeenCalledTimes(2);
    const [[, realHash], [, dummyHash]] = spy.mock.calls;
    expect(realHash).toBe(stored);
    expect(dummyHash).not.toBe(stored);
    // Same scrypt parameters and sizes: the same work.
    const shape = (h: string) => h.split('$').map((p, i) => (i >= 4 ? p.length : p));
    expect(shape(dummyHash)).toEqual(shape(realHash));
    await expect(service.verify('known', 'right-secret', 'A')).resolves.toMatchObject({ key: 'known' });
    spy.mockRestore();
  });

  it('re-checks a cached key once the check is old and the bus is not heard; a key deleted meanwhile is refused', async () => {
    const stored = await secretHash.hashSecret('s3cret');
    const rows: Record<string, unknown> = {
      k: { key: 'k', customerId: 1, secretHash: stored, customer: { isAdmin: false } },
    };
    let reads = 0;
    const repo = {
      findForAuth: (key: string) => Promise.resolve(rows[key] ?? null),
      exists: (key: string) => {
        reads++;
        return Promise.resolve(key in rows);
      },
      touch: () => undefined,
    } as unknown as ApiKeysRepository;
    const cachedEnv: GatewayEnv = { ...env, VELLUM_AUTH_CACHE_TTL_MS: 600_000 };
    const feed = new RevocationFeed(cachedEnv);
    let trusted = true;
    jest.spyOn(feed, 'trusts').mockImplementation(() => trusted);
    const service = new ApiKeyService(repo, cachedEnv, feed);
    service.onModuleInit();
    await expect(service.verify('k', 's3cret')).resolves.toMatchObject({ key: 'k' });
    expect(service.isCached('k')).toBe(true);
    await expect(service.verify('k', 's3cret')).resolves.toMatchObject({ key: 'k' });
    expect(reads).toBe(0);
    trusted = false;
    await expect(service.verify('k', 's3cret')).resolves.toMatchObject({ key: 'k' });
    expect(reads).toBe(1);
    delete rows.k;
    await expect(service.verify('k', 's3cret')).resolves.toEqual({ kind: 'invalid' });
    expect(service.isCached('k')).toBe(false);
  });

  it('does not cache a key evicted while it was being verified', async () => {
    const stored = await secretHash.hashSecret('s3cret');
    let service: ApiKeyService | undefined = undefined;
    const repo = {
      findForAuth: () => {
        service!.evict('k'); // the deletion event arrives while scrypt runs
        return Promise.resolve({ customerId: 1, secretHash: stored, customer: { isAdmin: false } });
      },
      exists: () => Promise.resolve(true),
      touch: () => undefined,
    } as unknown as ApiKeysRepository;
    const cachedEnv: GatewayEnv = { ...env, VELLUM_AUTH_CACHE_TTL_MS: 600_000 };
    service = new ApiKeyService(repo, cachedEnv, new RevocationFeed(cachedEnv));
    service.onModuleInit();
    await expect(service.verify('k', 's3cret')).resolves.toMatchObject({ key: 'k' });
    expect(service.isCached('k')).toBe(false);
  });
});
