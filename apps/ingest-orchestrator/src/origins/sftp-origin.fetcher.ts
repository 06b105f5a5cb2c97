import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { OrchestratorEnv } from '../orchestrator.env';
import type { FetchedOrigin, FetchLimits, OriginAccess, OriginFetcher } from './origin-fetcher';
import {
  OriginTooLargeError,
  PermanentOriginError,
  redactUrl,
  RetryableOriginError,
  type OriginError,
} from './origin-errors';
import {
  decodeOriginPath,
  idleGuarded,
  isUnreachable,
  loginCredentials,
  originTimeout,
  transportOriginError,
  type LoginCredentials,
} from './remote-file-origin';
import type { ResolvedAddress, SsrfGuard } from './ssrf-guard';

/** Options of {@link SftpOriginFetcher}. */
export interface SftpOriginFetcherOptions {
  /**
   * Milliseconds for each of: the TCP connect plus SSH handshake and authentication, any gap in the body while the
   * consumer waits for bytes, and (as keepalives) a server that stops answering (`VELLUM_ORIGIN_TIMEOUT_MS`).
   */
  timeoutMs: number;
  /**
   * Host-key fingerprints (`SHA256:<base64, unpadded>`, as `ssh-keygen -lf` prints them) a server must present one
   * of (`VELLUM_SFTP_HOST_FINGERPRINTS`). Empty: any host key is accepted (see the class doc).
   */
  hostFingerprints?: readonly string[];
}

/** `SHA256:<unpadded base64>` of a raw SSH public key blob: the fingerprint OpenSSH prints. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The path to ask the SFTP server for (see {@link SftpOriginFetcher}): absolute, or relative after `/~/`. */
export function sftpPath(url: URL, label: string): string {
  const path = decodeOriginPath(url.pathname, label);
  return path.startsWith('/~/') ? path.slice(3) : path;
}

/** The raw ssh2 error the connection reported, with its `level` (`client-authentication`, `client-timeout`...). */
type SshError = Error & { level?: string; code?: unknown };

/**
 * Fetches `sftp://[user[:password]@]host[:port]/path` origins (SPEC.md §4.2) with `ssh2-sftp-client`: one SSH
 * connection per fetch, to an address the SSRF guard approved (the name is resolved and checked once and the
 * connection dials those addresses, the next only when one refuses at once, so no second lookup can swap them);
 * `stat` gives `contentLength`, then the file is streamed with `createReadStream`. The connection is ended when the
 * body ends, fails or is destroyed.
 *
 * Path: percent-decoded; absolute as written (`sftp://h/data/a.tif` reads `/data/a.tif`), and relative to the
 * login directory after `/~/` (`sftp://h/~/a.tif` reads `a.tif` in the user's home), as curl and the SSH URI draft
 * (draft-ietf-secsh-scp-sftp-ssh-uri) treat them. Port 22 unless given.
 *
 * Credentials: the `sftp` strategy's `{user, password}` or `{user, privateKey[, passphrase]}`; else the URL's
 * userinfo (password only); no user at all is a permanent error (SFTP has no anonymous login).
 *
 * Host keys: when `hostFingerprints` is empty, any host key is accepted. The transport is still encrypted, and a
 * private-key login reveals nothing to an impostor, but a password login could be captured by a machine-in-the-middle
 * on the path to the origin; configure `VELLUM_SFTP_HOST_FINGERPRINTS` to pin the keys of the servers you fetch from
 * (a server whose key is not listed is refused, permanently). There is no known_hosts file and no trust on first use.
 *
 * Errors (always naming the origin, never a credential): no such file → permanent "Origin not found (url)";
 * permission denied → permanent; not a regular file → permanent; credentials refused → permanent "Origin refused the
 * credentials (url)"; unusable private key or wrong passphrase → permanent; unlisted host key → permanent; declared
 * size above the limit → {@link OriginTooLargeError}; refused/reset/unreachable connections, handshake or idle
 * timeouts and a connection lost mid-body → retryable.
 */
export class SftpOriginFetcher implements OriginFetcher {
  readonly schemes = ['sftp'] as const;
  private readonly timeoutMs: number;
  private readonly fingerprints: ReadonlySet<string>;

  constructor(
    private readonly guard: SsrfGuard,
    opts: SftpOriginFetcherOptions,
  ) {
    this.timeoutMs = opts.timeoutMs;
    this.fingerprints = new Set(opts.hostFingerprints ?? []);
  }

  /**
   * Connects, stats and opens the file.
   * @throws PermanentOriginError | RetryableOriginError (see the class doc); the SSRF guard's refusal; DNS errors.
   */
  async fetch(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<FetchedOrigin> {
    const label = redactUrl(url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw new PermanentOriginError(`Origin ${label} names no host`);
    const port = url.port ? Number(url.port) : 22;
    const path = sftpPath(url, label);
    const creds = loginCredentials(url, access, 'sftp', label);
    if (!creds)
      throw new PermanentOriginError(
        `Origin ${label} needs a user: give it in the URL (sftp://user@host/...) or in an sftp origin strategy`,
      );
    const addresses = await this.guard.resolve(host);
    const { client, end } = await this.connect(addresses, port, creds, label);

    try {
      const stats = await client.stat(path);
      if (!stats.isFile) throw new PermanentOriginError(`Origin ${label} is not a regular file`);
      if (stats.size > limits.maxBytes) throw new OriginTooLargeError(limits.maxBytes);
      const source = client.createReadStream(path) as unknown as Readable;
      const body = idleGuarded(
        source,
        this.timeoutMs,
        () => originTimeout(label, `no data for ${this.timeoutMs} ms`),
        (err) => this.fileError(label, err),
      );
      body.once('close', end);
      return { body, contentLength: stats.size, finalUrl: label };
    } catch (err) {
      end();
      throw this.fileError(label, err);
    }
  }

  /**
   * Opens an SSH connection and its SFTP channel to the first of `addresses` that answers (the next is tried only when
   * one refuses at once, see {@link isUnreachable}).
   * @returns the client and `end()`, which closes it (idempotent, never throws).
   */
  private async connect(
    addresses: readonly ResolvedAddress[],
    port: number,
    creds: LoginCredentials,
    label: string,
  ): Promise<{ client: SftpClient; end: () => void }> {
    for (let i = 0; ; i++) {
      let raw: SshError | undefined;
      let refusedKey: string | undefined;
      // ssh2-sftp-client's default callbacks log to the console; failures are reported through its promises instead.
      const client = new SftpClient('vellum-origin', {
        error: () => undefined,
        end: () => undefined,
        close: () => undefined,
      });
      client.on('error', (err: SshError) => {
        raw ??= err;
      });
      const end = (): void => {
        client.end().catch(() => undefined);
      };
      let sock: Socket | undefined;
      try {
        sock = await this.dial(addresses[i], port);
        await client.connect({
          sock,
          username: creds.user,
          password: creds.password,
          privateKey: creds.privateKey,
          passphrase: creds.passphrase,
          readyTimeout: this.timeoutMs,
          keepaliveInterval: Math.max(250, Math.floor(this.timeoutMs / 4)),
          keepaliveCountMax: 4,
          tryKeyboard: false,
          hostVerifier: (key: Buffer): boolean => {
            if (this.fingerprints.size === 0) return true;
            const fp = sshFingerprint(key);
            if (this.fingerprints.has(fp)) return true;
            refusedKey = fp;
            return false;
          },
        });
        return { client, end };
      } catch (err) {
        end();
        // A connect that failed part-way (handshake timeout, refused login) must not leave the socket open.
        sock?.destroy();
        const cause = raw ?? (err as SshError);
        if (i + 1 < addresses.length && !refusedKey && isUnreachable(cause)) continue;
        throw this.connectError(label, cause, refusedKey);
      }
    }
  }

  /**
   * Opens the TCP connection to one approved address, with Nagle's algorithm off: SFTP reads are small requests each
   * waiting for its answer, and with Nagle on, delayed ACKs held every request back by ~40 ms (1.5 MB/s instead of
   * ~80 MB/s over loopback).
   * @throws the socket's error (`ECONNREFUSED`...), or `ETIMEDOUT` after `timeoutMs`.
   */
  private dial(address: ResolvedAddress, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: address.address, port, family: address.family, noDelay: true });
      const timer = setTimeout(() => {
        sock.destroy(
          Object.assign(new Error(`connect timed out after ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        );
      }, this.timeoutMs);
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(sock);
      });
    });
  }

  /** Classifies a failed connect (TCP, handshake, host key, authentication). */
  private connectError(label: string, err: SshError, refusedKey: string | undefined): OriginError {
    if (refusedKey)
      return new PermanentOriginError(
        `Origin ${label} presented host key ${refusedKey}, which is not in VELLUM_SFTP_HOST_FINGERPRINTS`,
      );
    if (err.level === 'client-authentication')
      return new PermanentOriginError(`Origin refused the credentials (${label})`);
    if (err.level === 'client-timeout')
      return originTimeout(label, `no SSH handshake within ${this.timeoutMs} ms`);
    if (/privateKey|passphrase|private key/i.test(err.message) && typeof err.code !== 'string')
      return new PermanentOriginError(
        `The private key for ${label} cannot be used (malformed, unsupported, or a wrong passphrase)`,
      );
    return transportOriginError(label, err);
  }

  /** Classifies a failure to stat or read the file (SFTP status codes: 2 no such file, 3 permission denied). */
  private fileError(label: string, err: unknown): Error {
    if (err instanceof PermanentOriginError || err instanceof RetryableOriginError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT' || code === 2) return new PermanentOriginError(`Origin not found (${label})`);
    if (code === 'EACCES' || code === 3) return new PermanentOriginError(`Origin access denied (${label})`);
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return transportOriginError(label, err);
    const detail = err instanceof Error ? err.message.replace(/^\w+: /, '') : String(err);
    return Object.assign(new RetryableOriginError(`Origin ${label} failed: ${detail}`), {
      code: 'ECONNRESET',
    });
  }
}

/**
 * The fetcher as the orchestrator's environment configures it (`VELLUM_ORIGIN_TIMEOUT_MS`,
 * `VELLUM_SFTP_HOST_FINGERPRINTS`).
 */
export function sftpOriginFetcherFromEnv(
  guard: SsrfGuard,
  env: Pick<OrchestratorEnv, 'VELLUM_ORIGIN_TIMEOUT_MS' | 'VELLUM_SFTP_HOST_FINGERPRINTS'>,
): SftpOriginFetcher {
  return new SftpOriginFetcher(guard, {
    timeoutMs: env.VELLUM_ORIGIN_TIMEOUT_MS,
    hostFingerprints: env.VELLUM_SFTP_HOST_FINGERPRINTS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  });
}
