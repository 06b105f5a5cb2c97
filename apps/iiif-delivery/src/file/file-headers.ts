import contentDisposition from 'content-disposition';

/**
 * Representation headers of a `file` channel response (SPEC.md §4.5, §5): the asset's media type as
 * `Content-Type`, an inline `Content-Disposition` naming the asset id, and the headers that keep a customer's file
 * from running as a page of the delivery host. Pure: no framework, no I/O.
 */

/** Sent when a stored media type is not a valid `type/subtype[; params]` (RFC 9110 §8.3.1). */
export const FALLBACK_MEDIA_TYPE = 'application/octet-stream';

/** `type/subtype` of RFC 6838 restricted names, then optional `; name=value` parameters without controls. */
// eslint-disable-next-line no-control-regex
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;[^\u0000-\u001f\u007f]*)?$/i;

/**
 * The `Content-Type` for an asset's `mediaType` (the API validated it on write; this is the last guard before it
 * becomes a header): trimmed, or {@link FALLBACK_MEDIA_TYPE} when it is not a media type.
 */
export function fileContentType(mediaType: string | null | undefined): string {
  const value = (mediaType ?? '').trim();
  return MEDIA_TYPE.test(value) ? value : FALLBACK_MEDIA_TYPE;
}

/**
 * Media types a browser runs as a document with scripts when opened from the delivery host (HTML, XHTML, SVG, any
 * XML, which may carry XHTML or XSLT): they get `Content-Security-Policy: sandbox`, so a customer's file cannot
 * script the delivery origin. PDF is not one of them (a sandboxed PDF does not render in Chrome's viewer, and its
 * scripts run inside the viewer, not in the origin).
 */
export function isActiveContent(contentType: string): boolean {
  const essence = contentType.split(';')[0].trim().toLowerCase();
  return (
    essence === 'text/html' ||
    essence === 'application/xhtml+xml' ||
    essence === 'text/xml' ||
    essence === 'application/xml' ||
    essence === 'text/xsl' ||
    essence.endsWith('+xml')
  );
}

/**
 * `Content-Disposition: inline; filename="<id>"` (RFC 6266) for an asset id. The quoted `filename` is the id with
 * every character outside printable ASCII replaced by `_` (quotes escaped by the `content-disposition` library);
 * `filename*=UTF-8''<percent-encoded id>` is added whenever that differs from the id (or the id holds `%`), so
 * every client gets a safe name and modern ones the exact one. `/` and `\` (never in an id, SPEC.md §1) become
 * `_`; an empty id is named `file`. Never throws.
 */
export function inlineDisposition(assetId: string): string {
  // The library would keep only the part after the last `/` or `\`.
  const name = assetId.replace(/[\\/]/g, '_') || 'file';
  const ascii = name.replace(/[^\u0020-\u007e]/g, '_');
  return contentDisposition(name, { type: 'inline', fallback: ascii });
}

/**
 * Headers every file response carries besides the representation and caching ones: `X-Content-Type-Options:
 * nosniff` (browsers must not guess a scriptable type from the bytes), and `Content-Security-Policy: sandbox` for
 * {@link isActiveContent} types.
 */
export function safetyHeaders(contentType: string): Record<string, string> {
  const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };
  if (isActiveContent(contentType)) headers['Content-Security-Policy'] = 'sandbox';
  return headers;
}
