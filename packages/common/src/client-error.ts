import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem, PROBLEM_CONTENT_TYPE } from './problem';

/** The status Node itself would answer for a request its HTTP parser rejected (its `socketOnError` defaults). */
function statusFor(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const DETAILS: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request headers did not arrive in time.',
  413: 'The chunk extensions of the request body are too large.',
  431: 'The request headers are larger than this server accepts.',
};

/**
 * The raw HTTP/1.1 response (status line, headers, problem document) answered to a request Node's parser
 * rejected: `application/problem+json` (SPEC.md §3.1 shape), `Connection: close`, `Cache-Control: no-store`,
 * plus `headers` (e.g. `Access-Control-Allow-Origin: *` for public services). `instance` is the request's path as
 * far as it could be read (see {@link requestPathOf}), else `/`.
 */
export function clientErrorResponse(
  code: string | undefined,
  headers: Record<string, string> = {},
  instance = '/',
): string {
  const status = statusFor(code);
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({ ...problem(status, title, DETAILS[status]), instance });
  const lines = [
    `HTTP/1.1 ${status} ${title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The path of a rejected request from the raw bytes Node's parser saw (`err.rawPacket`): the request line's
 * target without its query, printable ASCII only, at most 200 characters; `/` when there is none.
 */
export function requestPathOf(raw: Buffer | undefined): string {
  const target = raw?.subarray(0, 2048).toString('latin1').split('\r\n', 1)[0]?.split(' ')[1] ?? '';
  const path = target
    .split('?', 1)[0]
    .replace(/[^\x21-\x7e]/g, '')
    .slice(0, 200);
  return path.startsWith('/') ? path : '/';
}

/**
 * Answers the requests Node's HTTP server rejects before any route runs (headers over `--max-http-header-size`,
 * 16 KiB by default → 431; malformed HTTP → 400; header timeout → 408) with a problem document instead of
 * Node's bare status line (SPEC.md §3.1: every bad input gets the problem shape). Installed once on every
 * service's server by `bootstrapService`, through the server's `clientError` event (which replaces Node's
 * default answer); like Node, it answers only when nothing of a response was sent on the connection yet, and
 * only closes connections reset by the peer.
 *
 * @param headers extra response headers, e.g. `{ 'Access-Control-Allow-Origin': '*' }`.
 */
export function installClientErrorHandler(server: Server, headers: Record<string, string> = {}): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    // `_httpMessage` is the in-flight ServerResponse on this socket (what Node's own handler checks).
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code, headers, requestPathOf(err.rawPacket)));
  });
}
