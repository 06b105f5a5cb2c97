/**
 * Retry backoff (SPEC.md §2 "Bus": bounded retries with delay; §4.1 step 5): exponential ceilings, one per retry,
 * and a jittered delay under each ceiling so that many messages failing together (an origin or store outage) do
 * not all come back at the same moment. Pure functions.
 */

/** An exponential retry schedule (the `VELLUM_RETRY_*` variables of `BaseEnv`). */
export interface RetryPolicy {
  /** Delivery attempts in all, the first one included (≥ 1; 1 = no retry). */
  attempts: number;
  /** Ceiling of the first retry's delay, ms (≥ 1). */
  initialDelayMs: number;
  /** Each further ceiling is the previous one times this (≥ 1). */
  multiplier: number;
  /** No ceiling exceeds this, ms (≥ `initialDelayMs`). */
  maxDelayMs: number;
}

/** Default {@link RetryPolicy}: 5 attempts, retries after at most 1 s, 4 s, 16 s and 60 s. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  attempts: 5,
  initialDelayMs: 1000,
  multiplier: 4,
  maxDelayMs: 60_000,
};

/** Default jitter: each retry waits between half its ceiling and its ceiling. */
export const DEFAULT_RETRY_JITTER = 0.5;

/**
 * The delay ceilings (ms) of a policy, one per retry: `min(maxDelayMs, round(initialDelayMs × multiplier^n))` for
 * retry n = 0 … attempts − 2. E.g. the default policy gives `[1000, 4000, 16000, 60000]`.
 *
 * @throws RangeError when a field is out of range (attempts not a positive integer, delays < 1 ms, multiplier < 1,
 *   `maxDelayMs < initialDelayMs`).
 */
export function retryCeilingsMs(policy: RetryPolicy): number[] {
  const { attempts, initialDelayMs, multiplier, maxDelayMs } = policy;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`retry attempts must be a positive integer, got ${attempts}`);
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 1)
    throw new RangeError(`initial retry delay must be at least 1 ms, got ${initialDelayMs}`);
  if (!Number.isFinite(multiplier) || multiplier < 1)
    throw new RangeError(`retry multiplier must be at least 1, got ${multiplier}`);
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < initialDelayMs)
    throw new RangeError(
      `maximum retry delay (${maxDelayMs} ms) must be at least the initial delay (${initialDelayMs} ms)`,
    );
  const out: number[] = [];
  for (let n = 0; n < attempts - 1; n++)
    out.push(Math.max(1, Math.min(maxDelayMs, Math.round(initialDelayMs * multiplier ** n))));
  return out;
}

/**
 * A jittered delay under `ceilingMs`: uniform in `[ceilingMs − ⌊ceilingMs × jitter⌋, ceilingMs]`, an integer ≥ 1
 * ("equal jitter": never less than `(1 − jitter)` of the ceiling, never more than it). `jitter` 0 gives the ceiling.
 *
 * @param jitter fraction of the ceiling that is random, 0…1.
 * @param random a source of uniform numbers in [0, 1) (default `Math.random`; tests pass their own).
 * @throws RangeError when `ceilingMs < 1` or `jitter` is outside 0…1.
 */
export function jitteredDelayMs(
  ceilingMs: number,
  jitter: number,
  random: () => number = Math.random,
): number {
  if (!Number.isFinite(ceilingMs) || ceilingMs < 1)
    throw new RangeError(`retry delay must be at least 1 ms, got ${ceilingMs}`);
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1)
    throw new RangeError(`retry jitter must be between 0 and 1, got ${jitter}`);
  const spread = Math.floor(ceilingMs * jitter);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.max(1, ceilingMs - spread + Math.floor(r * (spread + 1)));
}
