import type { Readable } from 'node:stream';
import { BUCKET_NAME, S3ObjectStore, type S3StorageConfig } from '@vellum/storage';
import {
  discard,
  type FetchedOrigin,
  type FetchLimits,
  type LocatedOrigin,
  type OriginAccess,
  type OriginFetcher,
} from './origin-fetcher';
import {
  classifyOriginError,
  OriginTooLargeError,
  PermanentOriginError,
  redactUrl,
  RetryableOriginError,
} from './origin-errors';

/** One object of an S3-protocol store, named by an origin. */
export interface S3ObjectRef {
  bucket: string;
  /** The object key, percent-decoded (what S3 stores). */
  key: string;
  /** Which URL form named it. */
  form: 's3' | 'virtual-host' | 'path-style' | 'endpoint';
}

/** The platform's S3 endpoint, as `S3_ENDPOINT` configures it (see `S3StorageConfig` of @vellum/storage). */
export type S3Endpoint = Pick<S3StorageConfig, 'endPoint' | 'port' | 'useSSL'>;

/** `bucket.s3.amazonaws.com`, `bucket.s3.<region>.amazonaws.com`, `bucket.s3-<region>.amazonaws.com`, dualstack. */
const VIRTUAL_HOST =
  /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$/;
/** `s3.amazonaws.com`, `s3.<region>.amazonaws.com`, `s3-<region>.amazonaws.com`, dualstack. */
const PATH_STYLE = /^s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$/;

function invalid(url: URL, why: string): PermanentOriginError {
  return new PermanentOriginError(`Origin ${redactUrl(url)} is not a valid S3 origin: ${why}`);
}

function decodeKey(url: URL, raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw invalid(url, 'its key has a malformed %-escape');
  }
  if (key === '') throw invalid(url, 'it names no object key');
  return key;
}

function checkBucket(url: URL, bucket: string): string {
  if (!BUCKET_NAME.test(bucket))
    throw invalid(url, `"${bucket.slice(0, 80)}" is not a valid bucket name (3-63 of a-z, 0-9, . and -)`);
  return bucket;
}

/** Splits `/bucket/key...` of a path-style URL. */
function pathStyle(url: URL, form: 'path-style' | 'endpoint'): S3ObjectRef {
  const path = url.pathname.replace(/^\//, '');
  const slash = path.indexOf('/');
  if (slash <= 0) throw invalid(url, 'a path-style S3 URL is /{bucket}/{key}');
  return {
    bucket: checkBucket(url, decodeKey(url, path.slice(0, slash))),
    key: decodeKey(url, path.slice(slash + 1)),
    form,
  };
}

function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * The S3 object an origin names (SPEC.md §1 "Origin", §4.2), or null when an http(s) URL is none of the S3 forms.
 * Pure (no I/O). Accepted forms:
 * - `s3://{bucket}/{key}`: no port, no userinfo;
 * - virtual-host `http(s)://{bucket}.s3[.{region}|-{region}].amazonaws.com/{key}` (also `dualstack.`);
 * - path-style `http(s)://s3[.{region}|-{region}].amazonaws.com/{bucket}/{key}`;
 * - the platform's own endpoint, path-style: `{S3_ENDPOINT}/{bucket}/{key}` (same scheme, host and port).
 *
 * The key is the URL path after the bucket, percent-decoded (`%20` is a space, `%2F` a `/`, a literal `%` is
 * `%25`); the query and fragment are ignored (the platform signs its own requests, so a presigned URL's
 * parameters do not matter); the region in an amazonaws.com host is not used: every S3 request goes to the
 * configured endpoint with its configured region.
 *
 * @param endpoint the platform's S3 endpoint, to recognise its path-style URLs; absent = only the AWS forms.
 * @returns null for an http(s) URL of no S3 form (and for any other scheme but `s3`).
 * @throws PermanentOriginError for an `s3://` or S3-form URL that is malformed (no key, bad bucket name, bad
 *   escape, a port or credentials in `s3://`), naming the origin without credentials.
 */
export function parseS3Origin(url: URL, endpoint?: S3Endpoint): S3ObjectRef | null {
  if (url.protocol === 's3:') {
    if (url.username || url.password)
      throw invalid(
        url,
        's3 origins carry no credentials (the platform reads them with its own: s3-ambient)',
      );
    if (url.port) throw invalid(url, 's3://{bucket}/{key} takes no port');
    const bucket = checkBucket(url, decodeKey(url, url.hostname));
    return { bucket, key: decodeKey(url, url.pathname.replace(/^\//, '')), form: 's3' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (
    endpoint &&
    host === endpoint.endPoint.toLowerCase().replace(/^\[(.*)\]$/, '$1') &&
    effectivePort(url) === endpoint.port &&
    url.protocol === (endpoint.useSSL ? 'https:' : 'http:')
  )
    return pathStyle(url, 'endpoint');
  if (PATH_STYLE.test(host)) return pathStyle(url, 'path-style');
  const vh = VIRTUAL_HOST.exec(host);
  if (vh)
    return {
      bucket: checkBucket(url, vh[1]),
      key: decodeKey(url, url.pathname.slice(1)),
      form: 'virtual-host',
    };
  return null;
}

/** `s3://bucket/key`: how messages name an S3 origin (never with credentials; the key as stored). */
export function s3Uri(ref: Pick<S3ObjectRef, 'bucket' | 'key'>): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/** S3 error codes that mean the origin itself is wrong (no retry helps). */
const PERMANENT_S3_CODES = new Set([
  'InvalidBucketName',
  'InvalidObjectName',
  'KeyTooLongError',
  'InvalidArgument',
  'InvalidRequest',
  'MethodNotAllowed',
  'MovedPermanently',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'InvalidObjectState',
]);
/** S3 error codes of refused credentials or access. */
const DENIED_S3_CODES = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccountProblem',
]);

function s3Code(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Options of {@link S3OriginFetcher}. */
export interface S3OriginFetcherOptions {
  /**
   * The platform's S3 store (`S3_ENDPOINT`, `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`); null when the platform
   * stores on the filesystem: every S3 origin then fails permanently, saying so.
   */
  config: S3StorageConfig | null;
  /**
   * The platform's own buckets (origins, derivatives, thumbnails, outputs). An origin in one of them is refused:
   * `s3-ambient` reads with the platform's credentials, which must not let a customer read another customer's
   * stored files, nor make an optimised asset whose "origin" is a platform object that clean-up deletes.
   */
  ownBuckets: readonly string[];
  /** Milliseconds to wait for S3's answer to each request (headers); `VELLUM_ORIGIN_TIMEOUT_MS`. */
  timeoutMs: number;
}

/**
 * Fetches `s3://` origins, and the S3 https URL forms an `s3-ambient` rule matches (SPEC.md §1 "Origin strategy",
 * §4.2), through the `minio` client of @vellum/storage's S3 driver with the platform's own credentials
 * (`s3-ambient`: no credentials of the customer's). Without such a rule an https URL of an S3 form stays a plain
 * https origin (the http fetcher reads it).
 *
 * Network: every request goes to the configured platform endpoint (`S3_ENDPOINT`), never to the host an origin
 * URL names (an `amazonaws.com` host only says which bucket and key), so the SSRF guard, which protects against
 * customer-chosen hosts, has nothing to check here; the operator chose the endpoint.
 *
 * `fetch` streams the object (`statObject` for its size and type, then `getObject`); `locate` (an `optimised`
 * rule) only stats it, so the stager stores no copy and the workers and delivery read it in place.
 *
 * Errors (never naming a credential): missing key → permanent "Origin not found (s3://b/k)"; missing bucket →
 * permanent "Origin bucket not found (s3://b)"; access refused → permanent; a platform bucket → permanent; a declared
 * size above the limit → {@link OriginTooLargeError}; S3 5xx codes (`InternalError`, `SlowDown`,
 * `ServiceUnavailable`...), timeouts and network errors → retryable.
 */
export class S3OriginFetcher implements OriginFetcher {
  readonly schemes = ['s3'] as const;
  private readonly store: S3ObjectStore | null;
  private readonly own: Set<string>;

  constructor(private readonly opts: S3OriginFetcherOptions) {
    this.store = opts.config ? new S3ObjectStore(opts.config) : null;
    this.own = new Set(opts.ownBuckets);
  }

  /** An https/http URL is read through S3 only under an `s3-ambient` rule (see the class doc). */
  claims(url: URL, access: OriginAccess): boolean {
    return access.strategy === 's3-ambient' && (url.protocol === 'https:' || url.protocol === 'http:');
  }

  /**
   * Checks the object exists and returns where it is, reading none of it (an optimised origin).
   * @throws PermanentOriginError | RetryableOriginError (see the class doc).
   */
  async locate(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<LocatedOrigin> {
    const ref = this.objectOf(url, access);
    const info = await this.stat(ref);
    if (info.size > limits.maxBytes) throw new OriginTooLargeError(limits.maxBytes);
    return {
      bucket: ref.bucket,
      key: ref.key,
      size: info.size,
      contentType: info.contentType,
      finalUrl: s3Uri(ref),
    };
  }

  /**
   * Opens the object as a stream, with its size as `contentLength`.
   * @throws PermanentOriginError | RetryableOriginError (see the class doc).
   */
  async fetch(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<FetchedOrigin> {
    const ref = this.objectOf(url, access);
    const info = await this.stat(ref);
    if (info.size > limits.maxBytes) throw new OriginTooLargeError(limits.maxBytes);
    const client = this.store!.client;
    let body: Readable;
    try {
      body = await this.timed(client.getObject(ref.bucket, ref.key), ref, (late) => discard(late));
    } catch (err) {
      throw await this.classify(err, ref);
    }
    return { body, contentType: info.contentType, contentLength: info.size, finalUrl: s3Uri(ref) };
  }

  /** The object `url` names, checked against the platform's buckets. */
  private objectOf(url: URL, access?: OriginAccess): S3ObjectRef {
    if (!this.store)
      throw new PermanentOriginError(
        `Origin ${redactUrl(url)} needs the platform's S3 object store, but none is configured (S3_ENDPOINT is not set)`,
      );
    const ref = parseS3Origin(url, this.opts.config!);
    if (!ref) {
      const rule = access?.ruleId
        ? `Origin strategy ${access.ruleId} (s3-ambient)`
        : 'An s3-ambient strategy';
      throw new PermanentOriginError(
        `${rule} matched ${redactUrl(url)}, which is not an S3 URL (s3://bucket/key, https://bucket.s3.<region>.amazonaws.com/key, https://s3.<region>.amazonaws.com/bucket/key or the platform's S3 endpoint /bucket/key)`,
      );
    }
    if (this.own.has(ref.bucket))
      throw new PermanentOriginError(
        `Origin ${s3Uri(ref)} is in one of the platform's own buckets (${ref.bucket}), which origins may not name`,
      );
    return ref;
  }

  private async stat(ref: S3ObjectRef): Promise<{ size: number; contentType?: string }> {
    const client = this.store!.client;
    try {
      const st = await this.timed(client.statObject(ref.bucket, ref.key), ref);
      const type = (st.metaData as Record<string, unknown> | undefined)?.['content-type'];
      return { size: st.size, contentType: typeof type === 'string' ? type : undefined };
    } catch (err) {
      throw await this.classify(err, ref);
    }
  }

  /** Maps a minio/S3 or network error to an origin error (see the class doc). */
  private async classify(err: unknown, ref: S3ObjectRef): Promise<Error> {
    if (err instanceof PermanentOriginError || err instanceof RetryableOriginError) return err;
    const code = s3Code(err);
    const where = s3Uri(ref);
    if (code === 'NoSuchBucket')
      return new PermanentOriginError(`Origin bucket not found (s3://${ref.bucket})`);
    if (code === 'NoSuchKey') return new PermanentOriginError(`Origin not found (${where})`);
    if (code === 'NotFound') {
      // A HEAD's 404 has no body: it does not say whether the bucket or the key is missing. Ask.
      const bucketThere = await this.timed(this.store!.client.bucketExists(ref.bucket), ref).catch(
        () => true,
      );
      return new PermanentOriginError(
        bucketThere ? `Origin not found (${where})` : `Origin bucket not found (s3://${ref.bucket})`,
      );
    }
    if (code && DENIED_S3_CODES.has(code))
      return new PermanentOriginError(`Origin refused the platform's S3 credentials (${code}): ${where}`);
    if (code && PERMANENT_S3_CODES.has(code))
      return new PermanentOriginError(`Origin ${where} cannot be read: S3 answered ${code}`);
    // minio retries a 408/429/5xx answer once itself, then throws a plain Error naming only the status.
    const retried = /Retryable HTTP status: (\d{3})/.exec(err instanceof Error ? err.message : '');
    if (retried) return new RetryableOriginError(`S3 answered HTTP ${retried[1]} for ${where}`);
    const classified = classifyOriginError(err);
    if (classified.permanent || /^(E[A-Z]+|UND_ERR_\w+)$/.test(code ?? '')) return classified;
    return new RetryableOriginError(
      code ? `S3 answered ${code} for ${where}` : `S3 request for ${where} failed: ${classified.message}`,
    );
  }

  /**
   * `promise`, or a retryable timeout after `timeoutMs`. A result that lands after the timeout is handed to
   * `onLate` (a stream is destroyed, so no connection leaks).
   */
  private timed<T>(promise: Promise<T>, ref: S3ObjectRef, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(
          Object.assign(
            new RetryableOriginError(
              `Origin timed out: S3 did not answer within ${this.opts.timeoutMs} ms for ${s3Uri(ref)}`,
            ),
            { code: 'ETIMEDOUT' },
          ),
        );
      }, this.opts.timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          if (done) onLate?.(value);
          else resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!done) reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
