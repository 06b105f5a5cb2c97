import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { PermanentOriginError } from './origin-errors';

/**
 * SSRF guard for origin fetches (SPEC.md §4.2 "Safety"): an origin whose host resolves to a loopback,
 * link-local, private, unique-local, multicast, reserved or unspecified address is refused, unless the host
 * name or a CIDR containing the address is on the allow-list (`VELLUM_ORIGIN_ALLOWLIST`).
 *
 * Pure address arithmetic (no I/O) except {@link SsrfGuard.resolve}, which calls `dns.lookup(all: true)`.
 */

/** A parsed IP address: family and its value as an unsigned integer (32 or 128 bits). */
export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

/** Thrown (as a permanent origin error) when an origin resolves to a forbidden address. */
export class SsrfRefusedError extends PermanentOriginError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: string,
  ) {
    super(
      `Origin host ${host} resolves to ${address} (${addressClass}), which is not allowed; ` +
        'add the host or a CIDR to VELLUM_ORIGIN_ALLOWLIST to permit it',
    );
    this.name = 'SsrfRefusedError';
  }
}

/**
 * Parses an IP literal: dotted IPv4 (`127.0.0.1`), IPv6 (`::1`, `[::1]`, `::ffff:127.0.0.1`, with or without a
 * zone id `%eth0`), and the legacy IPv4 forms WHATWG URL parsing accepts: decimal (`2130706433`), hex (`0x7f000001`),
 * octal (`0177.0.0.1`) and shortened (`127.1`). Returns `null` for anything else (a host name).
 */
export function parseIp(input: string): ParsedIp | null {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0) return null;
  if (s.includes(':')) return parseIpv6(s);
  return parseIpv4(s);
}

function parseIpv4Part(part: string): bigint | null {
  if (part === '') return null;
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0n : BigInt(part);
  if (/^0[0-7]+$/.test(part)) return BigInt('0o' + part.slice(1));
  if (/^(0|[1-9][0-9]*)$/.test(part)) return BigInt(part);
  return null;
}

/** IPv4 in any of the inet_aton forms (1 to 4 parts, each decimal, octal or hex), as WHATWG URL does. */
function parseIpv4(s: string): ParsedIp | null {
  const parts = s.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: bigint[] = [];
  for (const p of parts) {
    const n = parseIpv4Part(p);
    if (n === null) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  let value = 0n;
  for (let i = 0; i < nums.length; i++) {
    if (nums[i] > 255n) return null;
    value |= nums[i] << BigInt(8 * (3 - i));
  }
  const lastBits = BigInt(8 * (4 - nums.length));
  if (last >= 1n << lastBits) return null;
  value |= last;
  return { family: 4, value };
}

function parseIpv6(s: string): ParsedIp | null {
  if (isIP(s) !== 6) return null;
  let head = s;
  let tailV4: bigint | null = null;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (!v4) return null;
    tailV4 = v4.value;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  const toGroups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  let groups: string[];
  if (halves.length === 2) {
    const left = toGroups(halves[0]);
    const right = toGroups(halves[1]);
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  } else {
    groups = toGroups(head);
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt('0x' + (g || '0'));
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return { family: 6, value };
}

/** Formats a parsed address back to text (IPv4 dotted; IPv6 as eight full hex groups). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((ip.value >> sh) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.value >> BigInt(16 * i)) & 0xffffn).toString(16));
  return groups.join(':');
}

/** Parses `a.b.c.d/n`, `x::/n` or a single address (a /32 or /128). Returns `null` when not a CIDR. */
export function parseCidr(input: string): Cidr | null {
  const [addr, bitsText, ...rest] = input.trim().split('/');
  if (rest.length > 0) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > max ||
    (bitsText !== undefined && !/^\d+$/.test(bitsText))
  )
    return null;
  return { family: ip.family, base: maskOf(ip.value, bits, max), bits };
}

function maskOf(value: bigint, bits: number, max: number): bigint {
  if (bits === 0) return 0n;
  const hostBits = BigInt(max - bits);
  return (value >> hostBits) << hostBits;
}

function inCidr(ip: ParsedIp, cidr: Cidr): boolean {
  if (ip.family !== cidr.family) return false;
  const max = ip.family === 4 ? 32 : 128;
  return maskOf(ip.value, cidr.bits, max) === cidr.base;
}

const c = (text: string): Cidr => parseCidr(text)!;

/** IPv4 ranges refused by default, with the class named in errors (IANA special-purpose registry). */
const FORBIDDEN_V4: Array<[Cidr, string]> = [
  [c('0.0.0.0/8'), 'unspecified ("this network")'],
  [c('10.0.0.0/8'), 'private'],
  [c('100.64.0.0/10'), 'shared address space (carrier-grade NAT)'],
  [c('127.0.0.0/8'), 'loopback'],
  [c('169.254.0.0/16'), 'link-local'],
  [c('172.16.0.0/12'), 'private'],
  [c('192.0.0.0/24'), 'IETF protocol assignments'],
  [c('192.0.2.0/24'), 'documentation'],
  [c('192.88.99.0/24'), '6to4 relay anycast'],
  [c('192.168.0.0/16'), 'private'],
  [c('198.18.0.0/15'), 'benchmarking'],
  [c('198.51.100.0/24'), 'documentation'],
  [c('203.0.113.0/24'), 'documentation'],
  [c('224.0.0.0/4'), 'multicast'],
  [c('240.0.0.0/4'), 'reserved'],
  [c('255.255.255.255/32'), 'broadcast'],
];

/** IPv6 ranges refused by default. Embedded IPv4 forms are handled separately (see {@link embeddedIpv4}). */
const FORBIDDEN_V6: Array<[Cidr, string]> = [
  [c('::/128'), 'unspecified'],
  [c('::1/128'), 'loopback'],
  [c('::/96'), 'IPv4-compatible (deprecated)'],
  [c('100::/64'), 'discard-only'],
  [c('2001:db8::/32'), 'documentation'],
  [c('2001::/23'), 'IETF protocol assignments'],
  [c('fc00::/7'), 'unique-local'],
  [c('fe80::/10'), 'link-local'],
  [c('fec0::/10'), 'site-local (deprecated)'],
  [c('ff00::/8'), 'multicast'],
];

const V4_MAPPED = c('::ffff:0:0/96');
const V4_TRANSLATED = c('::ffff:0:0:0/96');
const NAT64 = c('64:ff9b::/96');
const NAT64_LOCAL = c('64:ff9b:1::/48');
const SIX_TO_FOUR = c('2002::/16');

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-translated, NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`).
 */
export function embeddedIpv4(ip: ParsedIp): ParsedIp | null {
  if (ip.family !== 6) return null;
  if (inCidr(ip, V4_MAPPED) || inCidr(ip, V4_TRANSLATED) || inCidr(ip, NAT64) || inCidr(ip, NAT64_LOCAL)) {
    return { family: 4, value: ip.value & 0xffffffffn };
  }
  if (inCidr(ip, SIX_TO_FOUR)) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return null;
}

/**
 * The class of a forbidden address (`loopback`, `private`, `link-local`, `unique-local`, `multicast`,
 * `unspecified`, ...), or `null` when the address is a public unicast address. IPv4 embedded in IPv6
 * (mapped, NAT64, 6to4) is judged by its IPv4 address.
 *
 * @param address an IP literal in any form {@link parseIp} accepts.
 * @throws Error when `address` is not an IP literal.
 */
export function forbiddenAddressClass(address: string | ParsedIp): string | null {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (!ip) throw new Error(`Not an IP address: ${typeof address === 'string' ? address : formatIp(address)}`);
  if (ip.family === 4) {
    for (const [cidr, name] of FORBIDDEN_V4) if (inCidr(ip, cidr)) return name;
    return null;
  }
  const v4 = embeddedIpv4(ip);
  if (v4) {
    const cls = forbiddenAddressClass(v4);
    return cls === null ? null : `${cls} (IPv4 embedded in IPv6)`;
  }
  for (const [cidr, name] of FORBIDDEN_V6) if (inCidr(ip, cidr)) return name;
  return null;
}

/** The parsed `VELLUM_ORIGIN_ALLOWLIST`: host names (exact, case-insensitive) and CIDRs. */
export interface OriginAllowList {
  hosts: Set<string>;
  cidrs: Cidr[];
}

/**
 * Parses a comma-separated allow-list of host names and CIDRs (`127.0.0.1/32,localhost,::1,10.0.0.0/8`).
 * Entries that parse as an IP or CIDR are CIDRs; anything else is a host name (lower-cased, trailing dot removed).
 */
export function parseAllowList(text: string | undefined): OriginAllowList {
  const list: OriginAllowList = { hosts: new Set(), cidrs: [] };
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const cidr = parseCidr(entry);
    if (cidr) list.cidrs.push(cidr);
    else list.hosts.add(normaliseHostName(entry));
  }
  return list;
}

function normaliseHostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** One resolved address a connection may use. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: LookupFn = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

/**
 * Decides whether an origin host may be contacted. Injectable seam: tests pass their own `lookup`.
 */
export class SsrfGuard {
  constructor(
    private readonly allowList: OriginAllowList,
    private readonly lookup: LookupFn = systemLookup,
  ) {}

  /** True when the host name itself is allow-listed. */
  isHostAllowed(host: string): boolean {
    return this.allowList.hosts.has(normaliseHostName(host));
  }

  /** True when an allow-listed CIDR contains the address. */
  isAddressAllowListed(ip: ParsedIp): boolean {
    if (this.allowList.cidrs.some((cidr) => inCidr(ip, cidr))) return true;
    const v4 = embeddedIpv4(ip);
    return v4 !== null && this.allowList.cidrs.some((cidr) => inCidr(v4, cidr));
  }

  /**
   * Checks one address of `host`.
   * @throws SsrfRefusedError when the address is forbidden and neither the host nor a CIDR allows it.
   */
  checkAddress(host: string, address: string): void {
    if (this.isHostAllowed(host)) return;
    const ip = parseIp(address);
    if (!ip) throw new SsrfRefusedError(host, address, 'not an IP address');
    if (this.isAddressAllowListed(ip)) return;
    const cls = forbiddenAddressClass(ip);
    if (cls !== null) throw new SsrfRefusedError(host, address, cls);
  }

  /**
   * Resolves `host` (an IP literal in any form, or a name via `dns.lookup(all)`) and checks every address;
   * one forbidden address refuses the host (a name must not be half-public, half-private).
   *
   * @returns the addresses a connection may be pinned to (non-empty).
   * @throws SsrfRefusedError; the lookup's own error (e.g. `ENOTFOUND`) when the name does not resolve.
   */
  async resolve(host: string): Promise<ResolvedAddress[]> {
    const name = normaliseHostName(host);
    const literal = parseIp(name);
    const addresses: ResolvedAddress[] = literal
      ? [{ address: literal.family === 4 ? formatIp(literal) : name, family: literal.family }]
      : await this.lookup(name);
    if (addresses.length === 0)
      throw Object.assign(new Error(`Origin host ${host} has no addresses`), { code: 'ENOTFOUND' });
    for (const a of addresses) this.checkAddress(name, a.address);
    return addresses;
  }
}
