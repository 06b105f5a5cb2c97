import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { jsonNestingDepth, problem, ProblemException } from '@vellum/common';
import { isStreamedJsonUpload } from '../assets/upload/upload-request';

/** Options of {@link jsonBodyOptions}. */
export interface JsonBodyLimits {
  /** Largest body in bytes (`VELLUM_MAX_BODY_BYTES`); larger → 413. */
  maxBytes: number;
  /** Deepest nesting of arrays/objects (`VELLUM_MAX_JSON_DEPTH`); deeper → 400. */
  maxDepth: number;
}

/** Media types parsed as JSON: everything but multipart (SPEC.md §3.1; `curl -d '{...}'` works as with the DLCS). */
export function isJsonBody(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  return !type.startsWith('multipart/');
}

/** A ProblemException body-parser keeps as is (it reads `status`; its own default for `verify` errors is 403). */
function parserProblem(status: number, title: string, detail: string, type: string): ProblemException {
  const ex = new ProblemException(problem(status, title, detail, { type }));
  Object.assign(ex, { status, type });
  return ex;
}

/**
 * Checks a request body before JSON parsing (body-parser's `verify` hook, SPEC.md §3.1):
 * - a charset other than UTF-8, declared (`charset=utf-16`) or recognisable from a UTF-16/32 byte-order mark or
 *   NUL bytes at the start (RFC 8259 §8.1: JSON exchanged between systems is UTF-8) → 415 `unsupported-charset`;
 * - bytes that are not valid UTF-8 → 400 `invalid-utf8` (instead of a silent U+FFFD);
 * - arrays/objects nested deeper than `maxDepth` → 400 `json-too-deep` (a 6 KB body can nest 3,000 levels, enough
 *   to overflow the stack of recursive code after the parser). One linear scan of the raw bytes.
 * @throws ProblemException with a `status` body-parser honours.
 */
export function verifyJsonBody(buf: Buffer, encoding: string, maxDepth: number): void {
  const charset = encoding.toLowerCase().replace(/^utf8$/, 'utf-8');
  if (charset !== 'utf-8') {
    throw parserProblem(
      415,
      'Unsupported Media Type',
      `JSON bodies must be UTF-8 (RFC 8259 §8.1); this one declares charset "${encoding}".`,
      'unsupported-charset',
    );
  }
  const bom16 =
    buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff));
  const nulStart = buf.length >= 2 && (buf[0] === 0 || buf[1] === 0);
  if (bom16 || nulStart) {
    throw parserProblem(
      415,
      'Unsupported Media Type',
      'The body looks like UTF-16 or UTF-32; JSON bodies must be UTF-8 (RFC 8259 §8.1).',
      'unsupported-charset',
    );
  }
  if (!isUtf8(buf)) {
    throw parserProblem(400, 'Invalid request body', 'The body is not valid UTF-8.', 'invalid-utf8');
  }
  if (jsonNestingDepth(buf, maxDepth) > maxDepth) {
    throw parserProblem(
      400,
      'Invalid request body',
      `The JSON body nests arrays/objects deeper than ${maxDepth} levels.`,
      'json-too-deep',
    );
  }
}

/**
 * Options for `useBodyParser('json', ...)` (body-parser 2): the size limit, every content type but multipart, and
 * {@link verifyJsonBody} (charset, UTF-8, depth). An asset `PUT`/`POST` whose JSON body is larger than the limit or
 * chunked is left unread for the upload reader (it may carry a base64 `file` of any size; see
 * `isStreamedJsonUpload`).
 */
export function jsonBodyOptions(limits: JsonBodyLimits) {
  return {
    limit: limits.maxBytes,
    type: (req: IncomingMessage) => isJsonBody(req) && !isStreamedJsonUpload(req, limits.maxBytes),
    verify: (_req: IncomingMessage, _res: unknown, buf: Buffer, encoding: string) =>
      verifyJsonBody(buf, encoding, limits.maxDepth),
  };
}
