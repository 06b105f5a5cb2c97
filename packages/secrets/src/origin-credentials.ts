import { isSealed, type SecretBox } from './secret-box';

/**
 * Credentials embedded in an origin URI (`https://user:password@host/path`, SPEC.md §1 "Origin"), kept out of
 * the database in plain text and out of every response and log line (SPEC.md §4.2 "no credentials ever logged
 * or returned", §10 "origin credentials encrypted at rest").
 *
 * Stored form: the origin exactly as sent, except that its userinfo is replaced by
 * `vellum-sealed:<sealed userinfo>` (see {@link SecretBox}; the sealed value uses only URL-unreserved characters,
 * so the stored form is still a URI with the same scheme, host, path and query). An origin without userinfo is
 * stored unchanged. Rendered form (API responses, events): the userinfo replaced by `xxx`.
 */
export const SEALED_USER = 'vellum-sealed';
/** What rendered origins show instead of their credentials. */
export const CREDENTIALS_MASK = 'xxx';
const CONTEXT = 'origin';

/** An absolute URI split around its userinfo (RFC 3986 §3.2.1), or null when it has none. */
interface SplitUri {
  /** `scheme://` */
  before: string;
  /** `user:password` as written (still %-encoded). */
  userinfo: string;
  /** `host[:port]/path?query#fragment` */
  after: string;
}

/** Splits textually (no normalisation), so the rest of the URI is kept byte for byte. */
function splitUserinfo(uri: string): SplitUri | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(uri);
  if (!m) return null;
  const at = m[2].lastIndexOf('@');
  if (at < 0) return null;
  return { before: m[1], userinfo: m[2].slice(0, at), after: m[2].slice(at + 1) + m[3] };
}

/** True when the origin carries userinfo (`user[:password]@`). */
export function hasCredentials(origin: string): boolean {
  return splitUserinfo(origin) !== null;
}

/** True when a stored origin carries sealed credentials. */
export function hasSealedCredentials(stored: string): boolean {
  const s = splitUserinfo(stored);
  return (
    !!s && s.userinfo.startsWith(`${SEALED_USER}:`) && isSealed(s.userinfo.slice(SEALED_USER.length + 1))
  );
}

/** The stored form of an origin: its userinfo sealed, or the origin unchanged when it has none. */
export function sealOrigin(origin: string, box: SecretBox): string {
  const s = splitUserinfo(origin);
  if (!s) return origin;
  return `${s.before}${SEALED_USER}:${box.seal(s.userinfo, CONTEXT)}@${s.after}`;
}

/**
 * The origin to fetch, from its stored form: the plain URI with its real credentials. This is what the
 * ingest-orchestrator must call on `asset.origin` before fetching. A stored origin without sealed credentials is
 * returned unchanged (origins written before sealing existed included).
 * @throws SecretBoxError when the credentials cannot be opened (unknown key: configure the previous key).
 */
export function revealOrigin(stored: string, box: SecretBox): string {
  if (!hasSealedCredentials(stored)) return stored;
  const s = splitUserinfo(stored)!;
  return `${s.before}${box.open(s.userinfo.slice(SEALED_USER.length + 1), CONTEXT)}@${s.after}`;
}

/** The origin as responses and events show it: any userinfo replaced by `xxx` (`https://xxx@host/...`). */
export function renderOrigin(storedOrPlain: string): string {
  const s = splitUserinfo(storedOrPlain);
  return s ? `${s.before}${CREDENTIALS_MASK}@${s.after}` : storedOrPlain;
}

/**
 * An origin for a log line: no userinfo, and every query value replaced by `xxx` (query strings often carry
 * tokens: `?token=...`, `X-Amz-Signature=...`); unparseable input is reduced to its scheme.
 */
export function redactOrigin(origin: string): string {
  try {
    const url = new URL(origin);
    url.username = '';
    url.password = '';
    for (const k of [...new Set(url.searchParams.keys())]) url.searchParams.set(k, CREDENTIALS_MASK);
    url.hash = '';
    return url.toString();
  } catch {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(origin);
    return scheme ? `${scheme[1]}:[unparseable]` : '[unparseable]';
  }
}

/**
 * The stored origin for a write (SPEC.md §3.4 `origin`): the rendered value sent back unchanged (userinfo `xxx`,
 * everything else equal) keeps the stored credentials, as does the same plain origin; otherwise the sent origin
 * is sealed anew.
 * @param sent the origin in the request.
 * @param current the asset's stored origin, if any.
 */
export function storedOriginFor(sent: string, current: string | null | undefined, box: SecretBox): string {
  if (current && hasSealedCredentials(current)) {
    if (sent === renderOrigin(current)) return current;
    try {
      if (sent === revealOrigin(current, box)) return current;
    } catch {
      // Sealed with a key this box no longer holds: the sent origin replaces it.
    }
  }
  return sealOrigin(sent, box);
}
