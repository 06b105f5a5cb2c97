import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import proxyaddr from 'proxy-addr';

/**
 * The parts of a request the public-URL helpers read: its headers and its socket's addresses. A Node
 * `IncomingMessage` (and so an Express or Nest request) fits; no framework is needed.
 */
export interface RequestLike {
  headers: IncomingHttpHeaders;
  socket: {
    /** The peer: the client, or the proxy that forwarded the request. */
    remoteAddress?: string;
    /** The address and port the connection arrived at (the fallback host). */
    localAddress?: string;
    localPort?: number;
    /** Set on TLS sockets. */
    encrypted?: boolean;
  };
}

/** Decides whether an address is a trusted proxy (`hop` 0 = the socket's peer, 1 = the next `X-Forwarded-For` entry...). */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Default of `VELLUM_TRUSTED_PROXIES`: proxies on this machine (127.0.0.0/8, ::1). */
export const DEFAULT_TRUSTED_PROXIES = 'loopback';

/**
 * Compiles a `VELLUM_TRUSTED_PROXIES` value (SPEC.md §5) with `proxy-addr`, the library Express uses for its
 * `trust proxy` setting: a comma-separated list of IP addresses (`10.0.0.7`, `::1`), CIDR subnets
 * (`10.0.0.0/8`, `fd00::/8`, `10.0.0.0/255.0.0.0`) and the keywords `loopback` (127.0.0.1/8, ::1/128),
 * `linklocal` (169.254.0.0/16, fe80::/10) and `uniquelocal` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 * fc00::/7); `none` trusts nobody. IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`) match their IPv4 ranges.
 *
 * @throws TypeError naming the entry when one is not an address, a subnet or a keyword.
 */
export function trustedProxies(spec: string): TrustProxy {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 1 && entries[0].toLowerCase() === 'none') return () => false;
  if (entries.some((e) => e.toLowerCase() === 'none'))
    throw new TypeError('"none" cannot be combined with other entries');
  return proxyaddr.compile(entries);
}

/**
 * Property decorator of env classes: a valid `VELLUM_TRUSTED_PROXIES` list (see {@link trustedProxies}); the
 * message names the bad entry.
 */
export function IsTrustedProxies(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustedProxies',
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string') return false;
          try {
            trustedProxies(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage(args): string {
          let why = 'is not a list';
          try {
            trustedProxies(String(args?.value));
          } catch (err) {
            why = err instanceof Error ? err.message : String(err);
          }
          return `$property must be a comma-separated list of IP addresses, CIDR subnets or the keywords loopback, linklocal, uniquelocal, none (${why})`;
        },
      },
    },
    options,
  );
}

/** A host as a URL authority holds it: `hostname` (IPv6 without brackets) and an optional port. */
export interface HostPort {
  hostname: string;
  port?: number;
}

const REG_NAME = /^[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*$/;
const IPV6_LITERAL = /^\[([0-9A-Fa-f:.]+)\]$/;

/**
 * Parses a `Host` or `X-Forwarded-Host` value (`host[:port]`, RFC 9110 §7.2 / RFC 3986 §3.2.2): a DNS-style
 * name (letters, digits, `-`, `_`, dot-separated labels of 1–63 characters, 253 at most), an IPv4 address
 * or a bracketed IPv6 address, and a port 1–65535. Anything else (paths, userinfo, spaces, quotes, empty
 * labels, an empty port) is malformed.
 *
 * @returns the host name in lower case and the port, or `undefined` when malformed.
 */
export function parseHost(value: string | undefined): HostPort | undefined {
  if (value === undefined || value.length === 0 || value.length > 261) return undefined;
  let host = value;
  let port: number | undefined;
  const colon = value.lastIndexOf(':');
  if (colon >= 0 && value.indexOf(']', colon) < 0) {
    const digits = value.slice(colon + 1);
    if (!/^\d{1,5}$/.test(digits)) return undefined;
    port = Number(digits);
    if (port < 1 || port > 65535) return undefined;
    host = value.slice(0, colon);
  }
  const v6 = IPV6_LITERAL.exec(host);
  if (v6) return isIPv6(v6[1]) ? { hostname: v6[1].toLowerCase(), port } : undefined;
  if (host.length > 253 || !REG_NAME.test(host)) return undefined;
  return { hostname: host.toLowerCase(), port };
}

/** `host[:port]` for a URL: IPv6 host names in brackets. */
export function formatHost(hostname: string, port?: number): string {
  const h = hostname.includes(':') ? `[${hostname}]` : hostname;
  return port === undefined ? h : `${h}:${port}`;
}

/** Where a request was addressed to, as its client saw it (see {@link requestOrigin}). */
export interface RequestOrigin extends HostPort {
  protocol: 'http' | 'https';
  /** `protocol://host[:port]`, no trailing slash. */
  origin: string;
  /** Whether `X-Forwarded-Host` or `X-Forwarded-Proto` of a trusted proxy decided it. */
  forwarded: boolean;
}

/** The values of a list header (`a, b`), in order; repeated headers are joined first. */
function listValues(v: string | string[] | undefined): string[] {
  const joined = Array.isArray(v) ? v.join(',') : (v ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * How many proxies in front of this server are trusted: 0 when the socket's peer is not a trusted proxy,
 * else 1 plus the consecutive trusted addresses of `X-Forwarded-For`, read from the right (the order in
 * which the proxies appended them).
 */
function trustedHops(req: RequestLike, trust: TrustProxy): number {
  const addrs = proxyaddr.all(req as IncomingMessage);
  let hops = 0;
  while (hops < addrs.length && addrs[hops] !== undefined && trust(addrs[hops], hops)) hops++;
  return hops;
}

/**
 * The value of a forwarded list header set by the outermost trusted proxy: with `hops` trusted proxies, each
 * having appended its value, that is the `hops`-th value from the right (the last one when fewer are
 * present), so a value a client put in front of the list is never used.
 */
function forwardedValue(v: string | string[] | undefined, hops: number): string | undefined {
  const values = listValues(v);
  if (values.length === 0) return undefined;
  return values[Math.max(0, values.length - hops)];
}

/** The address and port the connection arrived at, as a host. */
function listeningHost(req: RequestLike): HostPort {
  const raw = req.socket.localAddress;
  const address = raw?.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
  return { hostname: address || 'localhost', port: req.socket.localPort };
}

/**
 * The scheme, host and port a request was addressed to, as its client saw it (SPEC.md §5 "this request's
 * public base"):
 * - from the request's `Host` header and the socket's scheme (`https` on TLS sockets, else `http`);
 * - from `X-Forwarded-Proto` (`http`/`https`) and `X-Forwarded-Host` **only** when the socket's peer is a
 *   trusted proxy (`trust`, from `VELLUM_TRUSTED_PROXIES`); of a list, the value of the outermost trusted
 *   proxy (see `forwardedValue`). A forwarded host without a port means the scheme's default port.
 *   Forwarded headers from any other peer are ignored, so no client can make a cached document name another
 *   host;
 * - a malformed host (see {@link parseHost}) is never reflected: a bad `X-Forwarded-Host` falls back to
 *   `Host`, a bad or missing `Host` to the address and port the connection arrived at.
 */
export function requestOrigin(req: RequestLike, trust: TrustProxy): RequestOrigin {
  let protocol: 'http' | 'https' = req.socket.encrypted ? 'https' : 'http';
  let host: HostPort | undefined;
  let forwarded = false;
  const hops = trustedHops(req, trust);
  if (hops > 0) {
    const proto = forwardedValue(req.headers['x-forwarded-proto'], hops)?.toLowerCase();
    if (proto === 'http' || proto === 'https') {
      protocol = proto;
      forwarded = true;
    }
    host = parseHost(forwardedValue(req.headers['x-forwarded-host'], hops));
    if (host) forwarded = true;
  }
  host ??= parseHost(req.headers.host) ?? listeningHost(req);
  return { protocol, ...host, origin: `${protocol}://${formatHost(host.hostname, host.port)}`, forwarded };
}

/** A configured public base URL without its trailing slashes (path prefix kept), e.g. `https://example.org/iiif`. */
export function normaliseBaseUrl(configured: string): string {
  const url = new URL(configured);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The public base URL of a service for one request (SPEC.md §5): `configured` (`VELLUM_DELIVERY_URL`,
 * `VELLUM_API_URL`...) when it is set, path prefix kept; otherwise the request's origin
 * ({@link requestOrigin}). No trailing slash.
 */
export function publicBaseUrl(req: RequestLike, trust: TrustProxy, configured?: string): string {
  return configured ? normaliseBaseUrl(configured) : requestOrigin(req, trust).origin;
}
