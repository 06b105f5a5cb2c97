import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { Client as FtpClient, FTPError } from 'basic-ftp';
import type { OrchestratorEnv } from '../orchestrator.env';
import type { FetchedOrigin, FetchLimits, OriginAccess, OriginFetcher } from './origin-fetcher';
import {
  OriginError,
  OriginTooLargeError,
  PermanentOriginError,
  redactUrl,
  RetryableOriginError,
} from './origin-errors';
import {
  decodeOriginPath,
  isUnreachable,
  loginCredentials,
  originTimeout,
  transportOriginError,
} from './remote-file-origin';
import type { SsrfGuard } from './ssrf-guard';

/** Options of {@link FtpOriginFetcher}. */
export interface FtpOriginFetcherOptions {
  /**
   * Milliseconds basic-ftp waits for any control-connection answer (connect and greeting included) and for data
   * progress while the consumer is ready for more (`VELLUM_ORIGIN_TIMEOUT_MS`).
   */
  timeoutMs: number;
  /**
   * Extra CA certificates (PEM) trusted for `ftps://` origins besides Node's bundled roots (`VELLUM_FTPS_CA_FILE`):
   * for servers with a private CA or a self-signed certificate. Certificates are always verified.
   */
  extraCa?: string;
}

/** The password sent with the anonymous login (RFC 1635: an e-mail-like string). */
const ANONYMOUS = { user: 'anonymous', password: 'anonymous@' } as const;

/**
 * The path to send in `SIZE` and `RETR` (see {@link FtpOriginFetcher}): RFC 1738 §3.2.2 — relative to the login
 * directory, unless the first segment is `%2F` (`ftp://h/%2Fdata/a.tif` → `/data/a.tif`); a trailing `;type=i|a|d`
 * is dropped (transfers are always binary).
 */
export function ftpPath(url: URL, label: string): string {
  const raw = url.pathname.replace(/;type=[aid]$/i, '');
  const absolute = /^\/%2F/i.test(raw);
  const path = decodeOriginPath(absolute ? raw.slice(1) : raw, label);
  return absolute ? path : path.replace(/^\//, '');
}

/**
 * Fetches `ftp://[user[:password]@]host[:port]/path` origins, and `ftps://` ones over explicit TLS (`AUTH TLS`
 * on the plain FTP port, then protected data connections: RFC 4217), with `basic-ftp` (SPEC.md §4.2). SPEC.md names
 * no FTPS form, so `ftps://` means explicit TLS here (port 21 unless given); implicit TLS (port 990) is not supported.
 *
 * One control connection per fetch, to an address the SSRF guard approved (the next one when an address refuses);
 * passive mode (EPSV, else PASV), and the data connection always goes to the control connection's address, whatever
 * a PASV reply names (no FTP bounce to another host). Binary mode. `SIZE` gives `contentLength` (a server without `SIZE` gives none), then `RETR` streams
 * the file; the body is ended only when the server confirmed the whole transfer, and failed otherwise (a transfer
 * cut short never looks complete). The connection is closed when the body ends, fails or is destroyed.
 *
 * Path: RFC 1738, relative to the login directory (`ftp://h/data/a.tif` is `data/a.tif` there; an anonymous login
 * directory is usually the server's root), absolute when the first segment is `%2F`. Percent-decoded; CR, LF and
 * other control characters refused.
 *
 * Credentials: the `ftp` strategy's `{user, password}`; else the URL's userinfo; else anonymous
 * (`anonymous` / `anonymous@`). TLS certificates are verified against Node's roots plus `extraCa`, for the host
 * name of the URL.
 *
 * Errors (naming the origin, never a credential): 550 → permanent "Origin not found (url)"; 530 (and 331/332 left
 * unanswered) → permanent "Origin refused the credentials (url)"; other 5xx → permanent; 4xx (421 service not
 * available, 425/426 data connection trouble, 450/451/452) → retryable; refused/reset/unreachable connections and
 * timeouts → retryable; an untrusted or mismatched TLS certificate → permanent; declared size above the limit →
 * {@link OriginTooLargeError}.
 */
export class FtpOriginFetcher implements OriginFetcher {
  readonly schemes = ['ftp', 'ftps'] as const;
  private readonly timeoutMs: number;
  private readonly ca?: string[];

  constructor(
    private readonly guard: SsrfGuard,
    opts: FtpOriginFetcherOptions,
  ) {
    this.timeoutMs = opts.timeoutMs;
    if (opts.extraCa) this.ca = [...rootCertificates, opts.extraCa];
  }

  /**
   * Logs in, asks the size and starts the download; resolves once the first bytes arrived (or the transfer ended).
   * @throws PermanentOriginError | RetryableOriginError (see the class doc); the SSRF guard's refusal; DNS errors.
   */
  async fetch(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<FetchedOrigin> {
    const label = redactUrl(url);
    const secure = url.protocol === 'ftps:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw new PermanentOriginError(`Origin ${label} names no host`);
    const port = url.port ? Number(url.port) : 21;
    const path = ftpPath(url, label);
    const creds = loginCredentials(url, access, 'ftp', label) ?? ANONYMOUS;
    const addresses = await this.guard.resolve(host);

    const secureOptions: ConnectionOptions = {};
    if (this.ca) secureOptions.ca = this.ca;
    // The certificate is checked for the URL's host (SNI too), not for the address dialled.
    if (isIP(host)) secureOptions.host = host;
    else secureOptions.servername = host;

    let client!: FtpClient;
    let size: number | undefined;
    for (let i = 0; ; i++) {
      client = new FtpClient(this.timeoutMs);
      try {
        await this.login(
          client,
          addresses[i].address,
          port,
          creds,
          secure ? secureOptions : undefined,
          label,
        );
        break;
      } catch (err) {
        client.close();
        if (i + 1 < addresses.length && isUnreachable(err)) continue;
        throw this.classify(label, err);
      }
    }
    try {
      size = await this.sizeOf(client, path);
      if (size !== undefined && size > limits.maxBytes) throw new OriginTooLargeError(limits.maxBytes);
    } catch (err) {
      client.close();
      throw this.classify(label, err);
    }

    const body = new PassThrough();
    let started!: () => void;
    const firstBytes = new Promise<void>((resolve) => (started = resolve));
    // basic-ftp ends its destination even when the transfer failed: this sink forwards bytes into `body` (with
    // backpressure) and leaves ending or failing `body` to the transfer's outcome.
    const sink = new Writable({
      write(chunk: Buffer, _enc, callback) {
        started();
        if (body.destroyed) return callback();
        if (body.write(chunk)) callback();
        else body.once('drain', () => callback());
      },
      final(callback) {
        callback();
      },
    });
    const transfer = client.downloadTo(sink, path);
    body.once('close', () => client.close());
    // Until the body is handed over, a failure is thrown from fetch() and the body just discarded.
    let handedOver = false;
    transfer.then(
      () => {
        client.close();
        body.end();
      },
      (err: unknown) => {
        client.close();
        body.destroy(handedOver ? this.classify(label, err) : undefined);
      },
    );
    try {
      await Promise.race([firstBytes, transfer]);
    } catch (err) {
      throw this.classify(label, err);
    }
    handedOver = true;
    return { body, contentLength: size, finalUrl: label };
  }

  /**
   * What basic-ftp's `access()` does, in steps, so that a refused `AUTH TLS` is told apart from refused credentials:
   * connect (greeting), `AUTH TLS` when `tls` is given, `OPTS UTF8 ON`, `USER`/`PASS`, then `TYPE I`, `STRU F` and
   * (with TLS) `PBSZ 0`, `PROT P`.
   * @throws PermanentOriginError when the server refuses `AUTH TLS`; basic-ftp's errors otherwise.
   */
  private async login(
    client: FtpClient,
    address: string,
    port: number,
    creds: { user: string; password?: string },
    tls: ConnectionOptions | undefined,
    label: string,
  ): Promise<void> {
    await client.connect(address, port);
    if (tls) {
      try {
        // `host` (when not set to the URL's IP) is the address dialled: data connections resume the session for it.
        await client.useTLS({ ...tls, host: tls.host ?? address });
      } catch (err) {
        if (err instanceof FTPError && typeof err.code === 'number')
          throw new PermanentOriginError(
            `Origin ${label} does not offer explicit TLS (AUTH TLS answered FTP ${err.code})`,
          );
        throw err;
      }
    }
    await client.sendIgnoringError('OPTS UTF8 ON');
    await client.login(creds.user, creds.password ?? '');
    await client.useDefaultSettings();
  }

  /** `SIZE path` in bytes; undefined when the server does not implement it (500/502/504). */
  private async sizeOf(client: FtpClient, path: string): Promise<number | undefined> {
    try {
      return await client.size(path);
    } catch (err) {
      if (err instanceof FTPError && [500, 501, 502, 504].includes(err.code)) return undefined;
      throw err;
    }
  }

  /** Any failure of a fetch as an {@link OriginError} naming the origin (see the class doc). */
  private classify(label: string, err: unknown): OriginError {
    if (err instanceof OriginError) return err;
    // A number: an FTP reply. (basic-ftp wraps a socket error from another realm, as under jest, in an FTPError
    // carrying the socket's string code: that is a transport error.)
    if (err instanceof FTPError && typeof err.code === 'number') {
      const code = err.code;
      if (code === 550) return new PermanentOriginError(`Origin not found (${label})`);
      if (code === 530 || code === 331 || code === 332)
        return new PermanentOriginError(`Origin refused the credentials (${label})`);
      if (code >= 400 && code < 500)
        return new RetryableOriginError(`Origin ${label} answered FTP ${code} (temporary failure)`);
      return new PermanentOriginError(`Origin ${label} answered FTP ${code}`);
    }
    const message = err instanceof Error ? err.message : String(err);
    if (/^Timeout \(/.test(message))
      return originTimeout(
        label,
        `no answer within ${this.timeoutMs} ms (${message.replace(/^Timeout /, '')})`,
      );
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code)))
      return new PermanentOriginError(
        `The TLS certificate of ${label} is not trusted (${code}); add its CA to VELLUM_FTPS_CA_FILE if it is right`,
      );
    if (typeof code === 'string') return transportOriginError(label, err);
    return Object.assign(new RetryableOriginError(`Origin ${label} failed: ${message}`), {
      code: 'ECONNRESET',
    });
  }
}

/**
 * The fetcher as the orchestrator's environment configures it (`VELLUM_ORIGIN_TIMEOUT_MS`, `VELLUM_FTPS_CA_FILE`).
 * @throws Error naming `VELLUM_FTPS_CA_FILE` and the path when the file cannot be read (a boot failure).
 */
export function ftpOriginFetcherFromEnv(
  guard: SsrfGuard,
  env: Pick<OrchestratorEnv, 'VELLUM_ORIGIN_TIMEOUT_MS' | 'VELLUM_FTPS_CA_FILE'>,
): FtpOriginFetcher {
  let extraCa: string | undefined;
  if (env.VELLUM_FTPS_CA_FILE) {
    try {
      extraCa = readFileSync(env.VELLUM_FTPS_CA_FILE, 'utf8');
    } catch (err) {
      throw new Error(
        `VELLUM_FTPS_CA_FILE: cannot read ${env.VELLUM_FTPS_CA_FILE} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  }
  return new FtpOriginFetcher(guard, { timeoutMs: env.VELLUM_ORIGIN_TIMEOUT_MS, extraCa });
}
