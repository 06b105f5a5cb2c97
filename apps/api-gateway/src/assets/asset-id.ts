/**
 * Asset id rules (SPEC.md §1 "Asset"): the id must be usable as one URL path segment: RFC 3986 unreserved +
 * sub-delims (+ `:` and `@`, which pchar allows), no `/`, no `\`, no whitespace, 1..200 characters.
 */
export const MAX_ASSET_ID_LENGTH = 200;

/** RFC 3986 §3.3 pchar without pct-encoded: unreserved / sub-delims / ":" / "@". */
const SEGMENT_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;

/**
 * Checks an asset id.
 * @returns `null` when valid, otherwise a human-readable reason (used in 400 problem documents).
 */
export function assetIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return 'id must be a string';
  if (id.length === 0) return 'id must not be empty';
  if (id.length > MAX_ASSET_ID_LENGTH) return `id must be at most ${MAX_ASSET_ID_LENGTH} characters`;
  if (/\s/.test(id)) return 'id must not contain whitespace';
  if (id.includes('/')) return 'id must not contain "/"';
  if (id.includes('\\')) return 'id must not contain "\\"';
  if (id === '.' || id === '..') return 'id must not be "." or ".."';
  if (!SEGMENT_CHARS.test(id)) {
    return "id may only contain RFC 3986 unreserved characters and sub-delims (A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @)";
  }
  return null;
}
