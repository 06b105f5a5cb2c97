import type { Readable } from 'node:stream';
import type { ByteRange } from '@vellum/storage';
import { deliveryError } from '../delivery-errors';
import {
  answerIfNotModified,
  type CachedResponseMeta,
  type HttpRequest,
  type HttpResponse,
  setCacheHeaders,
  streamExactly,
  type StreamOutcome,
} from '../http-io';
import { decideRange, type RangeDecision } from './byte-range';

/**
 * One stored object answered with HTTP range support: the flow the `file` and `iiif-av` channels share (SPEC.md
 * §5; RFC 9110 §13, §14). Framework-free apart from the Node request/response.
 */

/** How a ranged request was answered (the `kind` label of the channels' request counters). */
export type RangedRequestKind = 'whole' | 'partial' | 'head' | 'not-modified' | 'unsatisfiable';

/** What {@link sendRanged} serves. */
export interface RangedObject {
  /** Bytes of the representation (the stored object's current size). */
  size: number;
  /** Validators, `Cache-Control` and extra headers (custom headers, CORS-independent safety headers...). */
  meta: CachedResponseMeta;
  contentType: string;
  /** Representation headers set on 200/206/HEAD only (e.g. `Content-Disposition`). */
  headers?: Record<string, string>;
  /** What the 416 message says is too short, e.g. `the original of asset 1/2/x`. */
  describe: string;
  /**
   * Opens the object, or the inclusive byte `range` of it. Called before any header is set, so it may throw a
   * problem (404, 503) that is still answered as one.
   */
  open(range?: ByteRange): Promise<Readable>;
}

/** What {@link sendRanged} did: how it answered, and (for a body) how its stream ended. */
export interface RangedOutcome {
  kind: RangedRequestKind;
  /** Body bytes to send (0 for HEAD and 304). */
  length: number;
  /** Absent when no body was streamed. */
  stream?: StreamOutcome;
}

/** The first value of a request header. */
function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Answers `GET`/`HEAD` of `object` on `res`:
 * - `If-None-Match` / `If-Modified-Since` → 304 (before `Range`);
 * - `Range` on GET ({@link decideRange}): one range → 206 with `Content-Range`; none satisfiable → throws a 416
 *   problem with `Content-Range: bytes *\/size` and `Accept-Ranges: bytes`; several disjoint, invalid or another
 *   unit → 200 whole; `If-Range` honoured. HEAD ignores `Range` (RFC 9110 §14.2);
 * - always `Accept-Ranges: bytes`, `Content-Length`, `Content-Type` and the validators of `object.meta`.
 * The body is streamed with {@link streamExactly} from a ranged read of the store (never buffered whole); after
 * the headers a failure can only cut the response short (reported in `stream.ended`).
 * @param record called once with the kind, before the body (also for the 416, before the throw).
 * @throws ProblemException 416 (unsatisfiable range); whatever `object.open` throws (404, 503).
 */
export async function sendRanged(
  req: HttpRequest,
  res: HttpResponse,
  object: RangedObject,
  record: (kind: RangedRequestKind) => void,
): Promise<RangedOutcome> {
  const meta: CachedResponseMeta = {
    ...object.meta,
    headers: { ...object.meta.headers, 'Accept-Ranges': 'bytes' },
  };
  if (answerIfNotModified(req, res, meta)) {
    record('not-modified');
    return { kind: 'not-modified', length: 0 };
  }
  const head = req.method === 'HEAD';
  const size = object.size;
  const decision: RangeDecision = head
    ? { kind: 'whole' }
    : decideRange(size, header(req, 'range'), header(req, 'if-range'), meta);
  if (decision.kind === 'unsatisfiable') {
    record('unsatisfiable');
    throw deliveryError(
      416,
      `Range ${header(req, 'range')} is outside the ${size} bytes of ${object.describe}`,
      {
        'Content-Range': `bytes */${size}`,
        'Accept-Ranges': 'bytes',
      },
    );
  }
  const partial = decision.kind === 'partial';
  const start = partial ? decision.start : 0;
  const length = partial ? decision.end - decision.start + 1 : size;
  const body =
    head || length === 0 ? undefined : await object.open(partial ? { start, end: decision.end } : undefined);
  setCacheHeaders(res, meta);
  res.statusCode = partial ? 206 : 200;
  res.setHeader('Content-Type', object.contentType);
  res.setHeader('Content-Length', length);
  for (const [k, v] of Object.entries(object.headers ?? {})) res.setHeader(k, v);
  if (partial) res.setHeader('Content-Range', `bytes ${start}-${decision.end}/${size}`);
  const kind: RangedRequestKind = head ? 'head' : partial ? 'partial' : 'whole';
  record(kind);
  if (!body) {
    res.end();
    return { kind, length: head ? 0 : length };
  }
  return { kind, length, stream: await streamExactly(body, res, length) };
}
