import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** How {@link streamExactly} ended: `sent` bytes written; on failure who cut it short, and the error. */
export type StreamOutcome =
  | { sent: number; ended: 'complete' }
  | { sent: number; ended: 'client-aborted' | 'store-failed'; error: unknown };

/**
 * Pipes exactly `length` bytes of `source` (an object-store stream) to `res` (headers already sent). Never rejects:
 * with the headers gone, a failure can only cut the response short, so `res` is destroyed (the client sees a
 * truncated body). A client that goes away destroys `source` (pipeline), so no store stream or socket is left open;
 * a source longer than `length` (a store ignoring part of a range) is cut at `length`, a shorter one ends the
 * response with an error. Used by the `file` channel and the named-query PDF/ZIP.
 * @returns bytes sent and how it ended (`client-aborted`: the client closed first; `store-failed`: anything else).
 */
export async function streamExactly(source: Readable, res: Writable, length: number): Promise<StreamOutcome> {
  let sent = 0;
  const exactly = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const room = length - sent;
      if (chunk.length >= room) {
        sent += room;
        yield chunk.subarray(0, room);
        return;
      }
      sent += chunk.length;
      yield chunk;
    }
    if (sent < length) throw new Error(`the store sent ${sent} of ${length} bytes`);
  };
  // Set synchronously when the store's stream fails, before pipeline destroys the response because of it.
  let storeFailed = false;
  source.once('error', () => {
    storeFailed = true;
  });
  try {
    await pipeline(source, exactly, res);
    return { sent, ended: 'complete' };
  } catch (error) {
    res.destroy();
    const aborted = !storeFailed && (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
    return { sent, ended: aborted ? 'client-aborted' : 'store-failed', error };
  } finally {
    if (!source.destroyed) source.destroy();
  }
}
