import type { Response } from 'express';
import { escapeHtml, pickLanguage, sendPage } from '../http/html';
import type { ResolvedAccessService } from './access-services.repository';

/** Texts of an access service in the caller's best language (IIIF Auth 2.0 §2.2 `label`, `heading`, `note`, `confirmLabel`). */
export function serviceTexts(
  resolved: ResolvedAccessService,
  acceptLanguage: string | undefined,
): { label: string; heading: string; note?: string; confirmLabel: string } {
  const s = resolved.service;
  const label = pickLanguage(s.label, acceptLanguage) ?? s.name;
  return {
    label,
    heading: pickLanguage(s.heading, acceptLanguage) ?? label,
    note: pickLanguage(s.note, acceptLanguage),
    confirmLabel: pickLanguage(s.confirmLabel, acceptLanguage) ?? 'Continue',
  };
}

/** The paragraph of a note (plain text, escaped), or nothing. */
function noteHtml(note: string | undefined): string {
  return note ? `<p>${escapeHtml(note)}</p>\n` : '';
}

/** The clickthrough page: heading, note and one confirm button posting back with the CSRF token. */
export function sendClickthroughPage(
  res: Response,
  resolved: ResolvedAccessService,
  acceptLanguage: string | undefined,
  csrf: string,
  cookies: string[],
): void {
  const t = serviceTexts(resolved, acceptLanguage);
  sendPage(res, {
    heading: t.heading,
    cookies,
    bodyHtml: `${noteHtml(t.note)}<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit">${escapeHtml(t.confirmLabel)}</button>
</form>`,
  });
}

/** The built-in login form (username, password), with a generic error message after a failure. */
export function sendLoginPage(
  res: Response,
  resolved: ResolvedAccessService,
  acceptLanguage: string | undefined,
  csrf: string,
  cookies: string[],
  opts: { status?: number; error?: string; username?: string } = {},
): void {
  const t = serviceTexts(resolved, acceptLanguage);
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>\n` : '';
  sendPage(res, {
    status: opts.status,
    heading: t.heading,
    cookies,
    bodyHtml: `${noteHtml(t.note)}${error}<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label>Username <input name="username" autocomplete="username" required value="${escapeHtml(opts.username ?? '')}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${escapeHtml(t.confirmLabel === 'Continue' ? 'Sign in' : t.confirmLabel)}</button>
</form>`,
  });
}

/**
 * The end of an access service interaction (IIIF Auth 2.0 §2.2: the window closes itself, then the client asks
 * the token service): says access was granted and calls `window.close()`.
 */
export function sendGrantedPage(res: Response, cookies: string[]): void {
  sendPage(res, {
    heading: 'Access granted',
    cookies,
    bodyHtml: '<p>You may close this window and return to the viewer.</p>',
    script: 'window.close();',
  });
}

/** An error page of the access service (no stack trace, no internal detail). */
export function sendErrorPage(
  res: Response,
  status: number,
  heading: string,
  note: string,
  opts: { cookies?: string[]; headers?: Record<string, string> } = {},
): void {
  for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
  sendPage(res, { status, heading, cookies: opts.cookies, bodyHtml: `<p>${escapeHtml(note)}</p>` });
}
