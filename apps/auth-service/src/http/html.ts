import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/** A IIIF language map (`{"en": ["Terms of use"]}`), as stored for access services and roles. */
export type LanguageMap = Record<string, readonly string[] | string>;

/** `&`, `<`, `>`, `"`, `'` as HTML character references (text and double- or single-quoted attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value as a JavaScript/JSON literal that is safe inside an HTML `<script>` element: `JSON.stringify`, then
 * `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX` escapes, so no input (e.g. a `messageId` of `</script>`) can end
 * the element, open a comment or break a string (IIIF Auth 2.0 §2.3 token service page).
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The language ranges of an `Accept-Language` header (RFC 9110 §12.5.4), best first; `*` kept. */
function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m)?.[1];
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.tag !== '' && x.q > 0 && !Number.isNaN(x.q))
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((x) => x.tag);
}

/**
 * The text of a language map in the best language of `acceptLanguage` (exact tag, then the same primary
 * language), else its first language; several values are joined with a space. `undefined` for an empty or
 * absent map.
 */
export function pickLanguage(map: unknown, acceptLanguage: string | undefined): string | undefined {
  if (!map || typeof map !== 'object' || Array.isArray(map)) return undefined;
  const entries = Object.entries(map as LanguageMap)
    .map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).filter((s) => typeof s === 'string')] as const)
    .filter(([, v]) => v.length > 0);
  if (entries.length === 0) return undefined;
  const text = (v: readonly string[]): string => v.join(' ');
  for (const want of acceptedLanguages(acceptLanguage)) {
    if (want === '*') break;
    const exact = entries.find(([k]) => k.toLowerCase() === want);
    if (exact) return text(exact[1]);
    const primary = want.split('-')[0];
    const near = entries.find(([k]) => k.toLowerCase().split('-')[0] === primary);
    if (near) return text(near[1]);
  }
  return text(entries[0][1]);
}

/** What {@link sendPage} renders. */
export interface PageOptions {
  /** HTTP status; default 200. */
  status?: number;
  /** The `<title>` and `<h1>` (plain text). */
  heading: string;
  /** The body's HTML below the heading (the caller escapes what it embeds). */
  bodyHtml: string;
  /** Inline script source (runs with the page's CSP nonce). */
  script?: string;
  /** `false` (the token service, loaded in an iframe): no frame restrictions; default true (`DENY`). */
  denyFraming?: boolean;
  /** `lang` of the page; default `en`. */
  lang?: string;
  /** Extra `Set-Cookie` values. */
  cookies?: readonly string[];
}

/**
 * Sends a small self-contained HTML page (IIIF Auth 2.0 access, token and logout services): `text/html`,
 * `Cache-Control: no-store`, a Content-Security-Policy allowing only its own inline style and nonce'd script and
 * forms posting back to this service, `X-Frame-Options: DENY` unless `denyFraming` is false.
 */
export function sendPage(res: Response, opts: PageOptions): void {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'nonce-${nonce}'`,
    "form-action 'self'",
    "base-uri 'none'",
    opts.denyFraming === false ? undefined : "frame-ancestors 'none'",
  ]
    .filter(Boolean)
    .join('; ');
  res.status(opts.status ?? 200);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (opts.denyFraming !== false) res.setHeader('X-Frame-Options', 'DENY');
  if (opts.cookies && opts.cookies.length > 0) res.append('Set-Cookie', [...opts.cookies]);
  const script = opts.script ? `\n<script nonce="${nonce}">\n${opts.script}\n</script>` : '';
  res.send(
    `<!DOCTYPE html>
<html lang="${escapeHtml(opts.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(opts.heading)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin:.5rem 0}input{font:inherit}button{font:inherit;padding:.4rem 1rem}.error{color:#a00}</style>
</head>
<body>
<h1>${escapeHtml(opts.heading)}</h1>
${opts.bodyHtml}${script}
</body>
</html>
`,
  );
}
