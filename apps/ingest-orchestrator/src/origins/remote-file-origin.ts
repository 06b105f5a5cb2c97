import { Readable } from 'node:stream';
import type { OriginAccess } from './origin-fetcher';
import {
  classifyOriginError,
  PermanentOriginError,
  RetryableOriginError,
  type OriginError,
} from './origin-errors';

/**
 * What the `sftp://` and `ftp://`/`ftps://` fetchers share (SPEC.md §1 "Origin strategy", §4.2): where the
 * credentials come from, how the URL's path is decoded, how network failures are named, and an idle timeout
 * for a body stream that does not fire while the consumer holds the stream back.
 */

/** A user and a secret to log in with (a password, or for sftp a private key with its optional passphrase). */
export interface LoginCredentials {
  user: string;
  password?: string;
  /** sftp only: an OpenSSH or PEM private key. */
  privateKey?: string;
  /** sftp only, with `privateKey`. */
  passphrase?: string;
}

/**
 * The credentials to fetch `url` with (SPEC.md §1, §4.2):
 * - the origin strategy's `credentials` when `access.strategy` is `strategy` (`sftp` or `ftp`); they win over any
 *   userinfo in the URL;
 * - else, for no strategy or `default`, the URL's userinfo, percent-decoded (`sftp://user:pass@host/...`);
 *   `undefined` when the URL has no user name;
 * - any other strategy (e.g. `basic-http-authentication` matching an `sftp://` origin) is a configuration mistake:
 *   a permanent error naming the origin and the strategy.
 * @param label the redacted origin, for messages.
 * @throws PermanentOriginError for a foreign strategy, a userinfo that is not valid percent-encoding, or a user
 *   name or password holding control characters (they could smuggle protocol commands). No message quotes a secret.
 */
export function loginCredentials(
  url: URL,
  access: OriginAccess | undefined,
  strategy: 'sftp' | 'ftp',
  label: string,
): LoginCredentials | undefined {
  let creds: LoginCredentials | undefined;
  if (access && access.strategy !== 'default') {
    if (access.strategy !== strategy)
      throw new PermanentOriginError(
        `The origin strategy ${access.strategy} cannot fetch ${label}: use a ${strategy} (or default) strategy`,
      );
    creds = access.credentials ? { ...access.credentials } : undefined;
  }
  if (!creds && url.username) {
    try {
      creds = { user: decodeURIComponent(url.username) };
      if (url.password) creds.password = decodeURIComponent(url.password);
    } catch {
      throw new PermanentOriginError(`The user information of ${label} is not valid percent-encoding`);
    }
  }
  if (creds && (hasControl(creds.user) || (creds.password !== undefined && hasControl(creds.password))))
    throw new PermanentOriginError(`The user name or password for ${label} contains control characters`);
  return creds;
}

/** Matches one SSH host-key fingerprint as OpenSSH prints it: `SHA256:` and 43 unpadded base64 characters. */
export const SSH_FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** True when `s` holds a C0 control character (U+0000 to U+001F) or DEL (U+007F). */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Percent-decodes a URL path (`/a%20b/c.tif` → `/a b/c.tif`).
 * @throws PermanentOriginError when it is not valid percent-encoding (UTF-8), holds control characters (CR/LF
 *   would smuggle FTP commands; NUL ends a C string on the server), or names no file (empty, or ending in `/`).
 */
export function decodeOriginPath(rawPath: string, label: string): string {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new PermanentOriginError(`The path of ${label} is not valid percent-encoding`);
  }
  if (hasControl(path)) throw new PermanentOriginError(`The path of ${label} contains control characters`);
  if (path === '' || path.endsWith('/'))
    throw new PermanentOriginError(`Origin ${label} names a directory, not a file`);
  return path;
}

/** What the network error codes of a failed connection mean, for messages. */
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
};

/**
 * An error of the transport (socket, DNS, TLS) as an {@link OriginError} that names the origin: refused, reset,
 * unreachable and timed-out connections are retryable; an unknown host and TLS certificate problems are permanent
 * (via {@link classifyOriginError}); anything unrecognised is retryable.
 */
export function transportOriginError(label: string, err: unknown): OriginError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_WORDS[code])
    return Object.assign(
      new RetryableOriginError(`Origin unreachable (${label}): ${NETWORK_WORDS[code]} (${code})`),
      { code },
    );
  const classified = classifyOriginError(err);
  const Ctor = classified.permanent ? PermanentOriginError : RetryableOriginError;
  return new Ctor(`Origin ${label} failed: ${classified.message}`);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/**
 * True when `err` says at once that this address cannot be reached (refused, no route, no such address family):
 * the next address of the host is worth trying (`localhost` → `::1` then `127.0.0.1`). Timeouts are not: trying
 * every address would multiply the wait.
 */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/** A retryable timeout naming the origin, with the Node code `ETIMEDOUT` for logs. */
export function originTimeout(label: string, what: string): RetryableOriginError {
  return Object.assign(new RetryableOriginError(`Origin timed out (${label}): ${what}`), {
    code: 'ETIMEDOUT',
  });
}

/**
 * Re-emits `source` as a new stream that fails with `onIdle()` when no byte arrived for `idleMs` while the
 * consumer was asking for more. The timer runs only while the consumer waits: a consumer that holds the stream back
 * (backpressure from a slow store) never trips it. Destroying the returned stream destroys `source`; an error of
 * `source` fails the returned stream with `mapError(err)`.
 *
 * @param idleMs milliseconds; 0 disables the timer.
 */
export function idleGuarded(
  source: Readable,
  idleMs: number,
  onIdle: () => Error,
  mapError: (err: Error) => Error = (e) => e,
): Readable {
  let timer: NodeJS.Timeout | undefined;
  const disarm = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const out: Readable = new Readable({
    read() {
      source.resume();
      arm();
    },
    destroy(err, callback) {
      disarm();
      source.destroy();
      callback(err);
    },
  });
  const arm = (): void => {
    if (idleMs <= 0 || timer || out.destroyed) return;
    timer = setTimeout(() => {
      timer = undefined;
      out.destroy(onIdle());
    }, idleMs);
    timer.unref();
  };
  source.pause();
  source.on('data', (chunk: Buffer) => {
    disarm();
    if (out.push(chunk)) arm();
    else source.pause();
  });
  source.once('end', () => {
    disarm();
    out.push(null);
  });
  // `on`, not `once`: a source may report more than one failure (a read and then its close, once the connection is
  // gone), and an unheard 'error' would crash the process.
  source.on('error', (err: Error) => {
    disarm();
    out.destroy(mapError(err));
  });
  // A source that closes without `end` or `error` (aborted underneath) must not leave the consumer waiting.
  source.once('close', () => {
    if (!source.readableEnded && !out.destroyed)
      out.destroy(Object.assign(new Error('the origin stream closed early'), { code: 'ECONNRESET' }));
  });
  return out;
}
