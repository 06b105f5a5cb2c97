/**
 * HTTP range requests for the `file` channel (RFC 9110 §14, SPEC.md §5 "`/file/{c}/{s}/{id}` ... Range support"):
 * which part of an object of `size` bytes a `GET` answers. Pure: no framework, no I/O.
 *
 * Written here rather than taken from `range-parser` (what Express uses): that library answers a suffix range
 * longer than the object (`bytes=-500` of a 300-byte file) as unsatisfiable, where RFC 9110 §14.1.2 says the
 * whole representation is the range, and it cannot tell a non-`bytes` unit from an unsatisfiable range.
 */

/** What a GET answers, given its `Range` and `If-Range` headers. */
export type RangeDecision =
  /** 200 with the whole representation (no `Range`, one we ignore, or an `If-Range` that does not match). */
  | { kind: 'whole' }
  /** 206 with bytes `start..end` (inclusive, 0-based; `end` < size). */
  | { kind: 'partial'; start: number; end: number }
  /** 416 with `Content-Range: bytes *\/size`: no requested range overlaps the representation. */
  | { kind: 'unsatisfiable' };

/** The validators of the current representation, for `If-Range`. */
export interface RangeValidators {
  /** Strong entity tag, quoted, e.g. `"abc"`. */
  etag: string;
  /** `Last-Modified` as sent (compared to the second). */
  lastModified?: Date;
}

/** One satisfiable range, inclusive byte positions. */
interface ByteSpan {
  start: number;
  end: number;
}

/** More range-specs than this in one header: ignored as abusive (the whole representation is sent). */
const MAX_RANGE_SPECS = 100;

/** `first-"-"[last]` or `"-"suffix` (RFC 9110 §14.1.2), digits only. */
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * True when `If-Range` lets the `Range` apply (RFC 9110 §13.1.5): an entity tag must match `etag` by the strong
 * comparison (a weak tag never matches); an HTTP-date must equal `lastModified` to the second; anything else
 * (unparseable, no `Last-Modified`) does not match, so the whole representation is sent.
 * @param ifRange the header value; `undefined` (absent) always matches.
 */
export function ifRangeMatches(ifRange: string | undefined, validators: RangeValidators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  const date = Date.parse(value);
  if (Number.isNaN(date) || !validators.lastModified) return false;
  return Math.floor(validators.lastModified.getTime() / 1000) === Math.floor(date / 1000);
}

/**
 * The satisfiable spans of a `bytes=` range-set against `size` bytes, in request order; `null` when the set is
 * syntactically invalid (then the header is ignored). An int-range `a-b` (b ≥ a) is satisfiable when a < size and
 * is clamped to `size - 1`; a suffix-range `-n` when n > 0, and is the last n bytes (all of them when n ≥ size).
 */
function spansOf(rangeSet: string, size: number): ByteSpan[] | null {
  const specs = rangeSet.split(',').map((s) => s.trim());
  // The list rule (RFC 9110 §5.6.1) allows empty elements; at least one must be present.
  const present = specs.filter((s) => s !== '');
  if (present.length === 0 || present.length > MAX_RANGE_SPECS) return null;
  const spans: ByteSpan[] = [];
  for (const spec of present) {
    const m = RANGE_SPEC.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return null;
    if (m[1] === '') {
      const suffix = Number(m[2]);
      if (suffix > 0 && size > 0) spans.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === '' ? Infinity : Number(m[2]);
    if (last < first) return null;
    if (first < size) spans.push({ start: first, end: Math.min(last, size - 1) });
  }
  return spans;
}

/** Merges overlapping or adjacent spans (sorted by start). */
function merged(spans: ByteSpan[]): ByteSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: ByteSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end + 1) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/**
 * The answer to a GET of an object of `size` bytes (RFC 9110 §14.2):
 * - no `Range`, a range unit other than `bytes`, or an invalid range-set (`bytes=abc`, `bytes=9-5`, `bytes=`) →
 *   `whole` (a server MAY ignore an invalid Range);
 * - one satisfiable range, or several that merge into one (overlapping or adjacent, e.g. `0-9,5-19`) →
 *   `partial`: `bytes=a-b` (b clamped to `size - 1`), `bytes=a-`, suffix `bytes=-n` (the last n bytes, all of
 *   them when n ≥ size);
 * - several disjoint ranges → `whole`: a decision of Vellum, allowed by RFC 9110 §14.2 (a server may ignore
 *   Range), rather than `multipart/byteranges`, which viewers (PDF.js, media elements) do not need;
 * - no satisfiable range (`bytes=size-`, `bytes=-0`, any range of an empty object) → `unsatisfiable`;
 * - `If-Range` not matching ({@link ifRangeMatches}) → `whole`, whatever the Range.
 * @param size bytes of the representation (≥ 0).
 */
export function decideRange(
  size: number,
  range: string | undefined,
  ifRange: string | undefined,
  validators: RangeValidators,
): RangeDecision {
  if (range === undefined) return { kind: 'whole' };
  const eq = range.indexOf('=');
  if (eq < 0 || range.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'whole' };
  const spans = spansOf(range.slice(eq + 1), size);
  if (spans === null) return { kind: 'whole' };
  if (!ifRangeMatches(ifRange, validators)) return { kind: 'whole' };
  if (spans.length === 0) return { kind: 'unsatisfiable' };
  const one = merged(spans);
  if (one.length !== 1) return { kind: 'whole' };
  return { kind: 'partial', start: one[0].start, end: one[0].end };
}
