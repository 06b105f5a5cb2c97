/**
 * The rules for customer-defined HTTP response headers (SPEC.md §3.3 "Custom headers", §5): which names and
 * values a customer may set. The management API refuses the others (400) and iiif-delivery skips them, so a
 * header can never break the responses delivery owns. Pure: no framework.
 */

/** An HTTP field name: an RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never a response. */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * Headers iiif-delivery sets itself and a customer may not override: framing and representation
 * (`Content-*`, `Accept-Ranges`), CORS (`Access-Control-*`), cookies, validators and conditional answers
 * (`ETag`, `Last-Modified`, `Vary`, `Age`, `Date`), redirects and auth challenges, and `Link` (the IIIF profile).
 */
export const DELIVERY_OWNED_HEADERS: readonly string[] = [
  'accept-ranges',
  'age',
  'allow',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-range',
  'content-security-policy',
  'content-type',
  'date',
  'etag',
  'expires',
  'host',
  'last-modified',
  'link',
  'location',
  'retry-after',
  'server',
  'set-cookie',
  'set-cookie2',
  'vary',
  'www-authenticate',
];

/** Header name prefixes owned by delivery (`Access-Control-*`: CORS is `*` on every public response, SPEC.md §5). */
export const DELIVERY_OWNED_PREFIXES: readonly string[] = ['access-control-'];

/** Longest custom header name and value, characters. */
export const CUSTOM_HEADER_NAME_MAX = 100;
export const CUSTOM_HEADER_VALUE_MAX = 4096;

/**
 * Why `name` cannot be a custom header name, or null when it can: not an RFC 9110 token, longer than
 * {@link CUSTOM_HEADER_NAME_MAX}, a hop-by-hop header, or one delivery owns (case-insensitive).
 */
export function customHeaderNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > CUSTOM_HEADER_NAME_MAX) return `must be at most ${CUSTOM_HEADER_NAME_MAX} characters`;
  if (!TOKEN.test(name))
    return "must be an HTTP header name (an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)";
  const lower = name.toLowerCase();
  if (HOP_BY_HOP_HEADERS.includes(lower)) return `"${name}" is a hop-by-hop header and cannot be set`;
  if (DELIVERY_OWNED_HEADERS.includes(lower) || DELIVERY_OWNED_PREFIXES.some((p) => lower.startsWith(p)))
    return `"${name}" is set by the delivery service and cannot be overridden`;
  return null;
}

/**
 * Why `value` cannot be a custom header value, or null when it can: CR, LF or NUL (response splitting), other
 * control characters than tab, characters outside Latin-1 (Node refuses them in headers), leading or trailing
 * white space, or longer than {@link CUSTOM_HEADER_VALUE_MAX}. RFC 9110 §5.5.
 */
export function customHeaderValueProblem(value: string): string | null {
  if (/[\r\n]/.test(value)) return 'must not contain CR or LF';
  if (value.length > CUSTOM_HEADER_VALUE_MAX) return `must be at most ${CUSTOM_HEADER_VALUE_MAX} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (/[\u0100-\uffff]/.test(value)) return 'must contain only Latin-1 characters (use ASCII)';
  if (value !== value.trim()) return 'must not start or end with white space';
  return null;
}
