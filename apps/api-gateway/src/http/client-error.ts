import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem, PROBLEM_CONTENT_TYPE } from '@vellum/common';

/**
 * Answers requests that Node's HTTP parser rejects before any app code runs (headers or URL over the 16 KiB limit
 * → 431, malformed request line or headers → 400) with a problem document instead of Node's empty default
 * (SPEC.md §3.1: every error is `application/problem+json`). The connection is closed afterwards, as Node does.
 */
export function installClientErrorProblems(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    // `instance`: the request path from the raw request line when there is one (without the query, truncated).
    const target = err.rawPacket?.subarray(0, 2048).toString('latin1').split(' ', 2)[1] ?? '/';
    const instance = target.split('?', 1)[0].slice(0, 200) || '/';
    const body = JSON.stringify({
      ...problem(
        status,
        tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
        tooLarge
          ? 'The request line and headers exceed the server limit (16 KiB); send long values in the body.'
          : 'The request could not be parsed as HTTP.',
      ),
      instance,
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
