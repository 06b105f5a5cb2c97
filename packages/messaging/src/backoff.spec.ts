import { DEFAULT_RETRY_POLICY, jitteredDelayMs, retryCeilingsMs } from './backoff';
import { DEFAULT_RETRY_DELAYS_MS, transportEnvOptions } from './options';
import { permanentFailureText, retriesExhaustedText } from './failure-text';

describe('retryCeilingsMs', () => {
  it.each([
    [DEFAULT_RETRY_POLICY, [1000, 4000, 16000, 60000]],
    [{ attempts: 1, initialDelayMs: 1000, multiplier: 4, maxDelayMs: 60000 }, []],
    [{ attempts: 2, initialDelayMs: 1000, multiplier: 4, maxDelayMs: 60000 }, [1000]],
    [{ attempts: 4, initialDelayMs: 500, multiplier: 1, maxDelayMs: 500 }, [500, 500, 500]],
    [{ attempts: 6, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 }, [100, 200, 400, 800, 1000]],
    [{ attempts: 3, initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 10000 }, [200, 300]],
    [{ attempts: 4, initialDelayMs: 1, multiplier: 1.4, maxDelayMs: 5 }, [1, 1, 2]],
    [{ attempts: 40, initialDelayMs: 1000, multiplier: 10, maxDelayMs: 3600000 }, expect.any(Array)],
  ])('%j → %j', (policy, expected) => {
    expect(retryCeilingsMs(policy)).toEqual(expected);
  });

  it('grows exponentially and never exceeds the maximum', () => {
    const c = retryCeilingsMs({ attempts: 40, initialDelayMs: 1000, multiplier: 10, maxDelayMs: 3_600_000 });
    expect(c).toHaveLength(39);
    expect(c.slice(0, 4)).toEqual([1000, 10_000, 100_000, 1_000_000]);
    expect(c.slice(4).every((d) => d === 3_600_000)).toBe(true);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThanOrEqual(c[i - 1]);
  });

  it('is the default delay list of the transport', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([1000, 4000, 16000, 60000]);
  });

  it.each([
    [{ attempts: 0, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 2000 }, /attempts/],
    [{ attempts: 2.5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 2000 }, /attempts/],
    [{ attempts: 3, initialDelayMs: 0, multiplier: 2, maxDelayMs: 2000 }, /initial/],
    [{ attempts: 3, initialDelayMs: 1000, multiplier: 0.5, maxDelayMs: 2000 }, /multiplier/],
    [{ attempts: 3, initialDelayMs: 1000, multiplier: NaN, maxDelayMs: 2000 }, /multiplier/],
    [{ attempts: 3, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 999 }, /maximum/],
  ])('rejects %j', (policy, message) => {
    expect(() => retryCeilingsMs(policy)).toThrow(RangeError);
    expect(() => retryCeilingsMs(policy)).toThrow(message);
  });
});

describe('jitteredDelayMs', () => {
  it.each([
    // ceiling, jitter, random, expected
    [1000, 0.5, 0, 500],
    [1000, 0.5, 0.999999, 1000],
    [1000, 0.5, 0.5, 750],
    [1000, 0, 0, 1000],
    [1000, 0, 0.999, 1000],
    [1000, 1, 0, 1],
    [1000, 1, 0.999999, 1000],
    [1, 0.5, 0, 1],
    [1, 1, 0, 1],
    [3, 0.5, 0, 2],
    [60000, 0.25, 0, 45000],
    // A random source that misbehaves stays inside the bounds.
    [1000, 0.5, 1, 1000],
    [1000, 0.5, -1, 500],
  ])('ceiling %d, jitter %d, random %d → %d', (ceiling, jitter, r, expected) => {
    expect(jitteredDelayMs(ceiling, jitter, () => r)).toBe(expected);
  });

  it.each([
    [1000, 0.5],
    [4000, 0.5],
    [60000, 0.1],
    [7, 1],
    [200, 0.5],
  ])(
    'ceiling %d, jitter %d: integers within [ceiling − ⌊ceiling × jitter⌋, ceiling], both ends reached',
    (ceiling, jitter) => {
      const low = ceiling - Math.floor(ceiling * jitter);
      let seed = 42;
      // A small deterministic LCG: the test is reproducible.
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const seen = new Set<number>();
      for (let i = 0; i < 5000; i++) seen.add(jitteredDelayMs(ceiling, jitter, random));
      const outside = [...seen].filter((d) => !Number.isInteger(d) || d < Math.max(1, low) || d > ceiling);
      expect(outside).toEqual([]);
      // Spread out, not a constant: both halves of the range are used.
      const mid = (low + ceiling) / 2;
      expect([...seen].some((d) => d < mid)).toBe(true);
      expect([...seen].some((d) => d > mid)).toBe(true);
      expect(jitteredDelayMs(ceiling, jitter, () => 0)).toBe(Math.max(1, low));
      expect(jitteredDelayMs(ceiling, jitter, () => 1 - 1e-12)).toBe(ceiling);
    },
  );

  it.each([
    [0, 0.5],
    [-5, 0.5],
    [NaN, 0.5],
    [1000, -0.1],
    [1000, 1.5],
    [1000, NaN],
  ])('rejects ceiling %d, jitter %d', (ceiling, jitter) => {
    expect(() => jitteredDelayMs(ceiling, jitter)).toThrow(RangeError);
  });
});

describe('transportEnvOptions', () => {
  const env = {
    SERVICE_INSTANCE: 'pod-1',
    VELLUM_MAX_REDELIVERIES: 3,
    VELLUM_RETRY_ATTEMPTS: 5,
    VELLUM_RETRY_INITIAL_DELAY_MS: 1000,
    VELLUM_RETRY_MULTIPLIER: 4,
    VELLUM_RETRY_MAX_DELAY_MS: 60000,
    VELLUM_RETRY_JITTER: 0.5,
    VELLUM_HANDLER_TIMEOUT_MS: 1_500_000,
  };

  it('derives the retry ceilings, jitter, handler deadline and crash bound from the environment', () => {
    expect(transportEnvOptions(env)).toEqual({
      serviceInstance: 'pod-1',
      maxRedeliveries: 3,
      retryDelaysMs: [1000, 4000, 16000, 60000],
      retryJitter: 0.5,
      handlerTimeoutMs: 1_500_000,
    });
    expect(
      transportEnvOptions({
        ...env,
        VELLUM_RETRY_ATTEMPTS: 3,
        VELLUM_RETRY_INITIAL_DELAY_MS: 50,
        VELLUM_RETRY_MULTIPLIER: 2,
        VELLUM_RETRY_MAX_DELAY_MS: 80,
      }).retryDelaysMs,
    ).toEqual([50, 80]);
  });

  it('refuses a schedule whose maximum is below its first delay', () => {
    expect(() => transportEnvOptions({ ...env, VELLUM_RETRY_MAX_DELAY_MS: 10 })).toThrow(
      /maximum retry delay/,
    );
  });
});

describe('failure texts', () => {
  it.each([
    [
      permanentFailureText('Unsupported or corrupt image', 1),
      'Unsupported or corrupt image (permanent, 1 attempt)',
    ],
    [
      permanentFailureText('Origin x answered HTTP 404 (not found)', 3),
      'Origin x answered HTTP 404 (not found) (permanent, 3 attempts)',
    ],
    [
      retriesExhaustedText('Origin unreachable', 5, 'HTTP 503'),
      'Origin unreachable after 5 attempts (retryable): HTTP 503',
    ],
    [retriesExhaustedText('Ingest failed', 1, 'boom'), 'Ingest failed after 1 attempt (retryable): boom'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});
