import { ProblemException } from '@vellum/common';
import type { PrismaClient } from '@vellum/db';
import { AssetLookupService } from './asset-lookup.service';
import type { DeliveryMetrics } from './delivery-metrics';
import type { DeliveryEnv } from './env';

/** A lookup over a Prisma stub whose customer query fails with `error` (the seam: the metadata store). */
function lookupFailingWith(error: Error): AssetLookupService {
  const prisma = {
    customer: { findUnique: () => Promise.reject(error) },
  } as unknown as PrismaClient;
  const env = { VELLUM_DELIVERY_LOOKUP_TTL_MS: 1000, VELLUM_DELIVERY_LOOKUP_MAX: 10 } as DeliveryEnv;
  const metrics = { cacheHit: () => undefined } as unknown as DeliveryMetrics;
  return new AssetLookupService(prisma, env, metrics);
}

async function statusOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof ProblemException ? err.problem.status : 'rethrown';
  }
}

describe('AssetLookupService errors (SPEC.md §10: only transient database failures are 503)', () => {
  it.each([
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    [
      'Postgres restarting',
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    ],
    ['Prisma P1001', Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
  ])('%s → 503 with Retry-After', async (_label, error) => {
    const lookup = lookupFailingWith(error);
    const err = await lookup.resolve('acme', '1', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemException);
    expect((err as ProblemException).problem.status).toBe(503);
    expect((err as ProblemException).headers['Retry-After']).toBe('1');
  });

  it.each([
    [
      'a query error',
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
    ],
    ['a bug', new TypeError('x is not a function')],
  ])('%s is not "retry later": re-thrown for the 500 handler', async (_label, error) => {
    expect(await statusOf(lookupFailingWith(error).resolve('acme', '1', 'x'))).toBe('rethrown');
  });

  it('refuses an id with a control character before any query (400)', async () => {
    const lookup = lookupFailingWith(new Error('must not be queried'));
    expect(await statusOf(lookup.resolve('acme', '1', 'a\u0000b'))).toBe(400);
    expect(await statusOf(lookup.resolve('acme', '1', 'tab\there'))).toBe(400);
  });
});
