import { createHash } from 'node:crypto';

/**
 * HTTP caching helpers (RFC 9110 §13, §8.8): strong ETags from a stable description of a response, and the
 * conditional-request decision.
 */

/** A strong ETag `"<27 chars of base64url sha256>"` of the given parts (joined with NUL). */
export function etagOf(...parts: string[]): string {
  return `"${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 27)}"`;
}

/**
 * True when the client's cached copy is current (answer 304): `If-None-Match` (weak comparison, `*` matches)
 * takes precedence; otherwise `If-Modified-Since` ≥ `lastModified` (to the second).
 */
export function isNotModified(
  headers: Record<string, string | string[] | undefined>,
  etag: string,
  lastModified?: Date,
): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    const value = Array.isArray(inm) ? inm.join(',') : inm;
    const bare = etag.replace(/^W\//, '');
    return value.split(',').some((t) => {
      const tag = t.trim();
      return tag === '*' || tag.replace(/^W\//, '') === bare;
    });
  }
  const ims = headers['if-modified-since'];
  if (ims !== undefined && lastModified) {
    const since = Date.parse(Array.isArray(ims) ? ims[0] : ims);
    if (!Number.isNaN(since)) return Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}
