import type { PrismaClient } from '@vellum/db';
import type { GatewayEnv } from '../config/gateway-env';
import { ApiKeyService } from './api-key.service';
import * as secretHash from './secret-hash';

/** Unit test with a stub Prisma seam: which hash an uncached verification runs scrypt against. */
describe('ApiKeyService.verify', () => {
  const env = {
    VELLUM_AUTH_CACHE_TTL_MS: 0,
    VELLUM_AUTH_HASH_CONCURRENCY: 2,
    VELLUM_AUTH_HASH_QUEUE: 10,
    VELLUM_AUTH_FAILURES_PER_ADDRESS: 0,
    VELLUM_AUTH_FAILURES_PER_KEY: 0,
    VELLUM_AUTH_FAILURE_WINDOW_S: 60,
  } as GatewayEnv;

  it('verifies an unknown key against a dummy hash of the same cost (no timing oracle)', async () => {
    const stored = await secretHash.hashSecret('right-secret');
    const rows: Record<string, unknown> = {
      known: { key: 'known', customerId: 1, secretHash: stored, customer: { isAdmin: false } },
    };
    const prisma = {
      apiKey: {
        findUnique: ({ where }: { where: { key: string } }) => Promise.resolve(rows[where.key] ?? null),
        update: () => Promise.resolve(),
      },
    } as unknown as PrismaClient;
    const service = new ApiKeyService(prisma, env);
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
});
