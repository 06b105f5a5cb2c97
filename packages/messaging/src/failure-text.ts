/**
 * The wording of an asset's `error` when a step gives up (SPEC.md §3.4 `error`, §4.1 step 5): it says whether the
 * failure was permanent or retryable and how many delivery attempts were made, the same way in every service.
 */

/**
 * A permanent failure: `"<message> (permanent, 1 attempt)"` / `"… (permanent, 3 attempts)"` (a permanent error
 * found on a later attempt, after retryable ones).
 * @param attempts delivery attempts made, ≥ 1.
 */
export function permanentFailureText(message: string, attempts: number): string {
  const n = Math.max(1, Math.floor(attempts));
  return `${message} (permanent, ${n} attempt${n === 1 ? '' : 's'})`;
}

/**
 * A retryable failure whose retries are used up: `"<what> after 5 attempts (retryable): <message>"`, e.g.
 * `"Origin unreachable after 5 attempts (retryable): Origin http://… answered HTTP 503"`.
 * @param attempts delivery attempts made, ≥ 1.
 */
export function retriesExhaustedText(what: string, attempts: number, message: string): string {
  const n = Math.max(1, Math.floor(attempts));
  return `${what} after ${n} attempt${n === 1 ? '' : 's'} (retryable): ${message}`;
}
