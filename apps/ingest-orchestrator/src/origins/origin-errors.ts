/**
 * Origin errors and their classification (SPEC.md §4.1 step 5): permanent errors fail the asset at once with
 * a clear message; retryable ones are thrown so the transport redelivers with backoff, and fail the asset on
 * the last attempt.
 */

/** Base class: an origin could not be staged. `permanent` decides between failing now and retrying. */
export abstract class OriginError extends Error {
  abstract readonly permanent: boolean;
}

/** The origin itself is wrong (404, 403, unsupported scheme, refused by the SSRF guard, too large...). */
export class PermanentOriginError extends OriginError {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'PermanentOriginError';
  }
}

/** A transient failure (timeout, connection reset, 5xx, 429, object-store hiccup): worth retrying. */
export class RetryableOriginError extends OriginError {
  readonly permanent = false;
  constructor(message: string) {
    super(message);
    this.name = 'RetryableOriginError';
  }
}

/** The origin is bigger than `VELLUM_MAX_ORIGIN_BYTES` (declared or discovered while streaming). */
export class OriginTooLargeError extends PermanentOriginError {
  constructor(readonly maxBytes: number) {
    super(`Origin is larger than the maximum origin size of ${maxBytes} bytes`);
    this.name = 'OriginTooLargeError';
  }
}

/**
 * Storing the origin would take the customer past its storage policy's `maximumTotalSizeOfStoredImages`
 * (SPEC.md §8 "breach discovered while streaming an origin → asset error, no retry").
 */
export class StorageQuotaExceededError extends PermanentOriginError {
  constructor(readonly remainingBytes: number) {
    super(
      `Storage quota exceeded: the origin is larger than the ${Math.max(0, remainingBytes)} bytes the customer's storage policy has left`,
    );
    this.name = 'StorageQuotaExceededError';
  }
}

/** The origin sent its bytes too slowly (below the minimum rate) or not within the overall deadline. */
export class OriginTooSlowError extends RetryableOriginError {
  constructor(message: string) {
    super(message);
    this.name = 'OriginTooSlowError';
  }
}

/** Thrown when writing the staged copy into the object store failed. */
export class OriginStoreError extends RetryableOriginError {
  constructor(message: string) {
    super(`Could not store the origin: ${message}`);
    this.name = 'OriginStoreError';
  }
}

/** Node error codes of transient network failures (plus undici's, kept for fetchers built on it). */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
]);

/** Codes that mean the origin is wrong, not unlucky. */
const PERMANENT_CODES = new Set([
  'ENOTFOUND',
  'ERR_INVALID_URL',
  'UND_ERR_INVALID_ARG',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

const DESCRIPTIONS: Record<string, string> = {
  ECONNRESET: 'connection reset by the origin server',
  ECONNREFUSED: 'connection refused by the origin server',
  ETIMEDOUT: 'timed out connecting to the origin server',
  EAI_AGAIN: 'temporary DNS failure resolving the origin host',
  ENOTFOUND: 'origin host name does not resolve',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting to the origin server',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the origin response headers',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the origin response body',
  UND_ERR_SOCKET: 'the origin connection failed',
};

function codeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns any error raised while staging an origin into an {@link OriginError}: already-classified errors pass
 * through; Node/undici network codes map to retryable (timeouts, resets, refusals, temporary DNS failures) or
 * permanent (unknown host, bad URL, bad TLS certificate); anything unknown is retryable (bounded by the
 * transport's retry count, so an unexpected failure still ends with an asset error).
 */
export function classifyOriginError(err: unknown): OriginError {
  if (err instanceof OriginError) return err;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code && PERMANENT_CODES.has(code))
    return new PermanentOriginError(`${DESCRIPTIONS[code] ?? 'origin request failed'} (${code}: ${detail})`);
  if (code && RETRYABLE_CODES.has(code))
    return new RetryableOriginError(`${DESCRIPTIONS[code] ?? 'origin request failed'} (${code})`);
  return new RetryableOriginError(detail || 'origin request failed');
}

/**
 * Classifies an HTTP status of the final (non-redirect) origin response (RFC 9110 §15).
 * @returns `null` for 2xx; a retryable error for 408, 425, 429 and 5xx; a permanent error for every other status.
 */
export function classifyHttpStatus(status: number, url: string): OriginError | null {
  if (status >= 200 && status < 300) return null;
  const where = redactUrl(url);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return new RetryableOriginError(`Origin ${where} answered HTTP ${status}`);
  }
  const what =
    status === 404 || status === 410
      ? 'not found'
      : status === 401 || status === 403
        ? 'access denied'
        : 'request rejected';
  return new PermanentOriginError(`Origin ${where} answered HTTP ${status} (${what})`);
}

/** The URL without userinfo, query or fragment: safe to log and to put in an asset's `error`. */
export function redactUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : new URL(url.href);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return '(invalid URL)';
  }
}
