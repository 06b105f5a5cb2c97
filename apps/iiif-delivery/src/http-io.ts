import type { IncomingMessage, ServerResponse } from 'node:http';
import { isNotModified } from './http-cache';

/** The parts of an Express request the controllers use (typed without @types/express). */
export type HttpRequest = IncomingMessage & { path: string; originalUrl: string };
export type HttpResponse = ServerResponse;

/** `Cache-Control` of open image responses (SPEC.md §5: public and long). */
export const CACHE_OPEN_IMAGE = 'public, max-age=31536000';
/** `Cache-Control` of open info.json documents (they change when an asset is reingested or edited). */
export const CACHE_OPEN_INFO = 'public, max-age=86400';
/** `Cache-Control` of responses for assets with roles (SPEC.md §5: `private`). */
export const CACHE_RESTRICTED = 'private, max-age=3600';

/** Caching metadata of a response (validators and headers). */
export interface CachedResponseMeta {
  etag: string;
  lastModified?: Date;
  cacheControl: string;
  /** Extra headers (Link, Vary...). */
  headers?: Record<string, string>;
}

/** Sets the validators (`ETag`, `Last-Modified`), `Cache-Control` and the extra headers of `meta` on `res`. */
export function setCacheHeaders(res: HttpResponse, meta: CachedResponseMeta): void {
  res.setHeader('ETag', meta.etag);
  if (meta.lastModified) res.setHeader('Last-Modified', meta.lastModified.toUTCString());
  res.setHeader('Cache-Control', meta.cacheControl);
  for (const [k, v] of Object.entries(meta.headers ?? {})) res.setHeader(k, v);
}

/**
 * Answers 304 (with the validators and caching headers) when the request's conditionals say the client's copy
 * is current (RFC 9110 §13.1). Returns true when a 304 was sent; the caller then must not produce a body.
 */
export function answerIfNotModified(req: HttpRequest, res: HttpResponse, meta: CachedResponseMeta): boolean {
  if (!isNotModified(req.headers, meta.etag, meta.lastModified)) return false;
  setCacheHeaders(res, meta);
  res.statusCode = 304;
  res.end();
  return true;
}

/** Sends `body` (200) with `contentType`, the validators and the caching headers of `meta`. */
export function sendCached(
  res: HttpResponse,
  meta: CachedResponseMeta,
  contentType: string,
  body: Buffer | string,
): void {
  setCacheHeaders(res, meta);
  sendBody(res, contentType, body);
}

/** Sends `body` (200) with its content type and length. */
export function sendBody(res: HttpResponse, contentType: string, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

/** Sends a redirect with an absolute Location. */
export function redirect(res: HttpResponse, status: 301 | 302 | 303, location: string): void {
  res.statusCode = status;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', 0);
  res.end();
}

/**
 * A version slug equal to the default version (`/iiif-img/v3/...` when 3.0 is the default) is not canonical:
 * answers 302 to the same URL without the slug, keeping the query string (SPEC.md §5). `prefix` is the route
 * prefix (`iiif-img`, `thumbs`); `base` the public base URL of this request.
 */
export function redirectToUnversioned(
  req: HttpRequest,
  res: HttpResponse,
  prefix: string,
  base: string,
): void {
  const rest = req.path.split('/').slice(3).join('/');
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
  redirect(res, 302, `${base}/${prefix}/${rest}${query}`);
}
