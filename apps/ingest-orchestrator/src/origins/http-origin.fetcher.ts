import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent, request } from 'undici';
import { discard, type FetchedOrigin, type FetchLimits, type OriginFetcher } from './origin-fetcher';
import { classifyHttpStatus, OriginTooLargeError, PermanentOriginError, redactUrl } from './origin-errors';
import type { SsrfGuard } from './ssrf-guard';

/** Options of {@link HttpOriginFetcher}. */
export interface HttpOriginFetcherOptions {
  /** Milliseconds for each of: connecting, waiting for response headers, and any gap between body chunks. */
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

/**
 * Fetches `http://` and `https://` origins (SPEC.md §4.2): a streaming GET through undici with connect, header
 * and body-idle timeouts, at most `maxRedirects` redirects (each target checked again), and the SSRF guard run
 * both before each request (clear error) and as the socket's DNS lookup, so the connection is pinned to an
 * address the guard approved (no DNS-rebinding window between check and connect).
 *
 * Errors: HTTP 4xx (but 408/425/429) → {@link PermanentOriginError}; 5xx, 408, 425, 429 → RetryableOriginError;
 * SSRF refusal, too many redirects, a redirect to another scheme, a declared length above the limit → permanent;
 * network errors are thrown raw (undici/Node codes) for `classifyOriginError`.
 */
export class HttpOriginFetcher implements OriginFetcher {
  readonly schemes = ['http', 'https'] as const;
  private readonly agent: Agent;
  private readonly maxRedirects: number;
  private readonly userAgent: string;

  constructor(
    private readonly guard: SsrfGuard,
    opts: HttpOriginFetcherOptions,
  ) {
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.userAgent = opts.userAgent ?? 'Vellum-ingest-orchestrator/0.1';
    this.agent = new Agent({
      connect: { timeout: opts.timeoutMs, lookup: this.guardedLookup },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 4000,
    });
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
  async fetch(url: URL, limits: FetchLimits): Promise<FetchedOrigin> {
    let current = new URL(url.href);
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw new PermanentOriginError(
          `Origin redirected to unsupported scheme ${current.protocol.replace(/:$/, '')}`,
        );
      }
      await this.guard.resolve(current.hostname);
      const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: '*/*' };
      if (current.username || current.password) {
        const user = decodeURIComponent(current.username);
        const pass = decodeURIComponent(current.password);
        headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      }
      const target = new URL(current.href);
      target.username = '';
      target.password = '';
      const res = await request(target, { method: 'GET', headers, dispatcher: this.agent });
      if (res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304) {
        const location = res.headers.location;
        discard(res.body);
        const loc = Array.isArray(location) ? location[0] : location;
        if (!loc)
          throw new PermanentOriginError(
            `Origin ${redactUrl(current)} answered HTTP ${res.statusCode} without a Location`,
          );
        if (hop >= this.maxRedirects)
          throw new PermanentOriginError(
            `Origin ${redactUrl(url)} redirected more than ${this.maxRedirects} times`,
          );
        const next = new URL(loc, target);
        // Credentials never follow a redirect to another origin.
        if (next.origin === current.origin) {
          next.username = current.username;
          next.password = current.password;
        }
        current = next;
        continue;
      }
      const statusError = classifyHttpStatus(res.statusCode, current.href);
      if (statusError) {
        discard(res.body);
        throw statusError;
      }
      const lengthHeader = res.headers['content-length'];
      const contentLength =
        typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      if (contentLength !== undefined && contentLength > limits.maxBytes) {
        discard(res.body);
        throw new OriginTooLargeError(limits.maxBytes);
      }
      const type = res.headers['content-type'];
      return {
        body: res.body,
        contentType: typeof type === 'string' ? type : undefined,
        contentLength,
        finalUrl: redactUrl(current),
      };
    }
  }

  /** Closes pooled connections (application shutdown). */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
