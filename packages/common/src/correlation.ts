import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Response header that carries the correlation id (also accepted on requests). */
export const CORRELATION_HEADER = 'X-Correlation-Id';
/** Alternative request header accepted when `X-Correlation-Id` is absent. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const storage = new AsyncLocalStorage<string>();

/** Accepted incoming ids: 1–128 chars of `A–Z a–z 0–9 . _ : / + = -` (anything else is replaced by a fresh UUID). */
const SAFE_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * The correlation id of the current async context (SPEC §9: "a correlation id carried from the HTTP request
 * through every message"). Backed by AsyncLocalStorage, so it survives `await`, timers and event emitters
 * created inside the context.
 */
export const correlation = {
  /** Runs `fn` with `id` as the current correlation id; returns what `fn` returns (a Promise stays a Promise). */
  run<R>(id: string, fn: () => R): R {
    return storage.run(id, fn);
  },
  /** The current correlation id, or `undefined` outside any {@link correlation.run} / HTTP request. */
  get(): string | undefined {
    return storage.getStore();
  },
  /**
   * The current correlation id, or a fresh UUID v4 when there is none. A fresh id is NOT stored in the context
   * (call `correlation.run(id, ...)` for that), so two calls outside a context return different ids.
   */
  getOrCreate(): string {
    return storage.getStore() ?? randomUUID();
  },
};

/** Returns a UUID v4 (the format minted for requests and messages that arrive without an id). */
export function newCorrelationId(): string {
  return randomUUID();
}

/**
 * The correlation id a request asks for: `X-Correlation-Id`, else `X-Request-Id`, when it is a safe token
 * (1–128 chars of `[A-Za-z0-9._:/+=-]`); otherwise `undefined`.
 */
export function correlationIdFromHeaders(headers: IncomingMessage['headers']): string | undefined {
  for (const name of ['x-correlation-id', 'x-request-id']) {
    const raw = headers[name];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value && SAFE_ID.test(value)) return value;
  }
  return undefined;
}

type ReqWithId = IncomingMessage & { id?: unknown };

/**
 * Resolves (once per request) the id used both as pino-http's request id (`req.id`) and as the correlation id:
 * an id already on `req.id`, else the request headers, else a fresh UUID. Sets `req.id` and the
 * `X-Correlation-Id` response header. Used as pino-http's `genReqId` and by {@link correlationMiddleware}, so
 * whichever runs first decides and both agree.
 */
export function assignRequestCorrelationId(req: IncomingMessage, res: ServerResponse): string {
  const r = req as ReqWithId;
  const id =
    typeof r.id === 'string' && r.id ? r.id : (correlationIdFromHeaders(req.headers) ?? randomUUID());
  r.id = id;
  if (!res.headersSent) res.setHeader(CORRELATION_HEADER, id);
  return id;
}

/**
 * Connect/Express middleware: takes `X-Correlation-Id` (or `X-Request-Id`) from the request or mints a UUID,
 * echoes it in the `X-Correlation-Id` response header, and runs the rest of the request inside
 * `correlation.run(id, ...)`. Registered for every route by `VellumCommonModule`.
 */
export function correlationMiddleware(
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  const id = assignRequestCorrelationId(req, res);
  storage.run(id, next);
}
