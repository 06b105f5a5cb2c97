import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import {
  discard,
  type FetchedOrigin,
  type FetchLimits,
  type OriginAccess,
  type OriginFetcher,
} from './origin-fetcher';
import {
  classifyHttpStatus,
  OriginTooLargeError,
  PermanentOriginError,
  redactUrl,
  RetryableOriginError,
} from './origin-errors';
import type { SsrfGuard } from './ssrf-guard';

/** Options of {@link HttpOriginFetcher}. */
export interface HttpOriginFetcherOptions {
  /** Milliseconds for each of: connecting plus waiting for response headers, and any gap between body chunks. */
  timeoutMs: number;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** `User-Agent` sent to origins. */
  userAgent?: string;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** An `Authorization: Basic` value (RFC 7617, UTF-8). */
function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A timeout of ours: retryable, with a Node-style code for logs. */
function timeoutError(message: string): RetryableOriginError {
  return Object.assign(new RetryableOriginError(`Origin timed out: ${message}`), { code: 'ETIMEDOUT' });
}

/**
 * Fetches `http://` and `https://` origins (SPEC.md §4.2): a streaming GET through Node's own HTTP client
 * (`node:http`/`node:https`, keep-alive agents), with a connect-plus-headers timeout and a body idle timeout
 * (`timeoutMs` each), at most `maxRedirects` redirects (each target checked again), and the SSRF guard run both
 * before each request (clear error) and as the socket's DNS lookup, so the connection is pinned to an address the
 * guard approved (no DNS-rebinding window between check and connect).
 *
 * Authentication: a `basic-http-authentication` strategy (`access.credentials`, SPEC.md §1, §4.2) is sent as
 * `Authorization: Basic`; without one, userinfo in the URL is. Either is sent only to the origin (scheme, host and
 * port) the fetch started at: a redirect to another origin is followed without it (as curl does without
 * `--location-trusted`), so an origin cannot hand the credentials to a third party. A 401/403 to a request that
 * carried credentials is "Origin refused the credentials (401): <URL without credentials>", permanent.
 *
 * Node's client reads bodies delimited by `Content-Length`, chunked encoding or the connection closing alike,
 * whether the origin keeps the connection alive or closes it after each response, and applies backpressure by
 * pausing the socket. (It replaced undici 7, whose HTTP/1 parser asserted `!paused` and killed the process when an
 * origin closed the connection while a slow store write held the body back: nodejs/undici#5360, fixed only in
 * undici 8, which needs Node 22.)
 *
 * Errors: HTTP 4xx (but 408/425/429) → {@link PermanentOriginError}; 5xx, 408, 425, 429 → RetryableOriginError;
 * SSRF refusal, too many redirects, a redirect to another scheme, a declared length above the limit → permanent;
 * timeouts → RetryableOriginError; network errors are thrown raw (Node codes) for `classifyOriginError`. A body that
 * stops early (connection reset or closed before `Content-Length` bytes) fails the returned stream with
 * `ECONNRESET`.
 */
export class HttpOriginFetcher implements OriginFetcher {
  readonly schemes = ['http', 'https'] as const;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly guard: SsrfGuard,
    opts: HttpOriginFetcherOptions,
  ) {
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.userAgent = opts.userAgent ?? 'Vellum-ingest-orchestrator/0.1';
    this.timeoutMs = opts.timeoutMs;
    const agentOptions = { keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 16, timeout: 4000 };
    this.agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  }

  /** `net.connect`'s `lookup`: resolves through the guard, so only approved addresses are ever dialled. */
  private readonly guardedLookup = (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: LookupCallback,
  ): void => {
    this.guard.resolve(hostname).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => a.family === options.family)
            : addresses;
        const list = wanted.length > 0 ? wanted : addresses;
        if (options.all)
          callback(
            null,
            list.map((a) => ({ address: a.address, family: a.family })),
          );
        else callback(null, list[0].address, list[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };

  /**
   * Opens the origin and returns its body as a stream.
   * @throws PermanentOriginError | RetryableOriginError | network errors (see class doc).
   */
  async fetch(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<FetchedOrigin> {
    const strategyAuth =
      access?.strategy === 'basic-http-authentication' && access.credentials
        ? basicAuth(access.credentials.user, access.credentials.password ?? '')
        : undefined;
    const urlAuth =
      url.username || url.password
        ? basicAuth(decodeURIComponent(url.username), decodeURIComponent(url.password))
        : undefined;
    const authorization = strategyAuth ?? urlAuth;
    // The origin the credentials belong to; `URL.origin` is scheme://host:port, without userinfo.
    const home = url.origin;
    let current = new URL(url.href);
    current.username = '';
    current.password = '';
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw new PermanentOriginError(
          `Origin redirected to unsupported scheme ${current.protocol.replace(/:$/, '')}`,
        );
      }
      await this.guard.resolve(current.hostname);
      const headers: Record<string, string> = {
        'user-agent': this.userAgent,
        accept: '*/*',
        'accept-encoding': 'identity',
      };
      const withCredentials = authorization !== undefined && current.origin === home;
      if (withCredentials) headers.authorization = authorization;
      const target = current;
      const res = await this.get(target, headers);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && status !== 304) {
        const location = res.headers.location;
        discard(res);
        if (!location)
          throw new PermanentOriginError(
            `Origin ${redactUrl(current)} answered HTTP ${status} without a Location`,
          );
        if (hop >= this.maxRedirects)
          throw new PermanentOriginError(
            `Origin ${redactUrl(url)} redirected more than ${this.maxRedirects} times`,
          );
        const next = new URL(location, target);
        // Userinfo in a Location is never used: credentials come from the strategy or the first URL only.
        next.username = '';
        next.password = '';
        current = next;
        continue;
      }
      if (withCredentials && (status === 401 || status === 403)) {
        discard(res);
        throw new PermanentOriginError(`Origin refused the credentials (${status}): ${redactUrl(current)}`);
      }
      const statusError = classifyHttpStatus(status, current.href);
      if (statusError) {
        discard(res);
        throw statusError;
      }
      const lengthHeader = res.headers['content-length'];
      const contentLength =
        typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      if (contentLength !== undefined && contentLength > limits.maxBytes) {
        discard(res);
        throw new OriginTooLargeError(limits.maxBytes);
      }
      const type = res.headers['content-type'];
      return {
        body: res,
        contentType: typeof type === 'string' ? type : undefined,
        contentLength,
        finalUrl: redactUrl(current),
      };
    }
  }

  /**
   * One GET: resolves with the response once its headers arrived (within `timeoutMs` of the request), then fails
   * the body stream with `ETIMEDOUT` if it ever goes `timeoutMs` without a byte.
   */
  private get(target: URL, headers: Record<string, string>): Promise<IncomingMessage> {
    const isHttps = target.protocol === 'https:';
    const client = isHttps ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const req = client.request(target, {
        method: 'GET',
        headers,
        agent: isHttps ? this.agents.https : this.agents.http,
        lookup: this.guardedLookup,
      });
      const headersTimer = setTimeout(() => {
        req.destroy(
          timeoutError(`timed out after ${this.timeoutMs} ms waiting for the origin's response headers`),
        );
      }, this.timeoutMs);
      req.setTimeout(this.timeoutMs, () => {
        const err = timeoutError(
          response
            ? `the response body stalled (no data for ${this.timeoutMs} ms)`
            : `no response headers within ${this.timeoutMs} ms`,
        );
        if (response) response.destroy(err);
        else req.destroy(err);
      });
      req.once('error', (err) => {
        clearTimeout(headersTimer);
        if (!response) reject(err);
      });
      req.once('response', (res) => {
        clearTimeout(headersTimer);
        response = res;
        resolve(res);
      });
      req.end();
    });
  }

  /** Closes pooled connections (application shutdown). */
  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
    return Promise.resolve();
  }
}
