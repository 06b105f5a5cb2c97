import { decideRange, ifRangeMatches, type RangeDecision } from './byte-range';

const ETAG = '"abc123"';
const MODIFIED = new Date('2024-05-01T10:00:00Z');
const V = { etag: ETAG, lastModified: MODIFIED };
const whole: RangeDecision = { kind: 'whole' };
const unsatisfiable: RangeDecision = { kind: 'unsatisfiable' };
const part = (start: number, end: number): RangeDecision => ({ kind: 'partial', start, end });

describe('decideRange (RFC 9110 §14)', () => {
  it.each<[string | undefined, number, RangeDecision]>([
    // No Range, or one to ignore: the whole representation.
    [undefined, 1000, whole],
    ['', 1000, whole],
    ['bytes', 1000, whole],
    ['bytes=', 1000, whole],
    ['bytes=,', 1000, whole],
    ['bytes=abc', 1000, whole],
    ['bytes=-', 1000, whole],
    ['bytes=1-2-3', 1000, whole],
    ['bytes=--5', 1000, whole],
    ['bytes=5-2', 1000, whole],
    ['bytes=0-9,5-2', 1000, whole],
    ['bytes=0x10-20', 1000, whole],
    ['bytes=+1-2', 1000, whole],
    ['items=0-9', 1000, whole],
    ['items=5000-', 1000, whole],
    // One range.
    ['bytes=0-99', 1000, part(0, 99)],
    ['BYTES=0-99', 1000, part(0, 99)],
    [' bytes = 0-99 ', 1000, part(0, 99)],
    ['bytes=0-0', 1000, part(0, 0)],
    ['bytes=999-999', 1000, part(999, 999)],
    ['bytes=500-', 1000, part(500, 999)],
    ['bytes=0-', 1000, part(0, 999)],
    ['bytes=100-99999999999999999999', 1000, part(100, 999)],
    ['bytes=-100', 1000, part(900, 999)],
    ['bytes=-1', 1000, part(999, 999)],
    // A suffix longer than the representation selects all of it (RFC 9110 §14.1.2).
    ['bytes=-1000', 1000, part(0, 999)],
    ['bytes=-5000', 1000, part(0, 999)],
    // Several ranges merging into one (overlapping or adjacent), in any order; empty list elements allowed.
    ['bytes=0-9,5-19', 1000, part(0, 19)],
    ['bytes=10-19,0-9', 1000, part(0, 19)],
    ['bytes=0-9, ,10-19', 1000, part(0, 19)],
    ['bytes=0-9,1000-1010', 1000, part(0, 9)],
    // Several disjoint ranges: the whole representation (no multipart/byteranges).
    ['bytes=0-9,20-29', 1000, whole],
    ['bytes=0-0,-1', 1000, whole],
    // Nothing satisfiable.
    ['bytes=1000-', 1000, unsatisfiable],
    ['bytes=1000-2000', 1000, unsatisfiable],
    ['bytes=-0', 1000, unsatisfiable],
    ['bytes=1000-,2000-', 1000, unsatisfiable],
    ['bytes=0-', 0, unsatisfiable],
    ['bytes=-5', 0, unsatisfiable],
  ])('Range %p of %d bytes → %p', (range, size, expected) => {
    expect(decideRange(size, range, undefined, V)).toEqual(expected);
  });

  it('bounds the number of range specs it looks at (more than 100 → the whole representation)', () => {
    const many = Array.from({ length: 101 }, (_, i) => `${i}-${i}`).join(',');
    expect(decideRange(1000, `bytes=${many}`, undefined, V)).toEqual(whole);
    const merged = Array.from({ length: 100 }, (_, i) => `${i}-${i}`).join(',');
    expect(decideRange(1000, `bytes=${merged}`, undefined, V)).toEqual(part(0, 99));
  });

  it.each<[string, RangeDecision]>([
    [ETAG, part(0, 99)],
    ['"other"', whole],
    [`W/${ETAG}`, whole],
    [MODIFIED.toUTCString(), part(0, 99)],
    [new Date(MODIFIED.getTime() + 1000).toUTCString(), whole],
    [new Date(MODIFIED.getTime() - 1000).toUTCString(), whole],
    ['not a date', whole],
  ])('If-Range %p → %p', (ifRange, expected) => {
    expect(decideRange(1000, 'bytes=0-99', ifRange, V)).toEqual(expected);
  });

  it('a non-matching If-Range sends the whole representation even for an unsatisfiable range', () => {
    expect(decideRange(1000, 'bytes=5000-', '"other"', V)).toEqual(whole);
    expect(decideRange(1000, 'bytes=5000-', ETAG, V)).toEqual(unsatisfiable);
  });
});

describe('ifRangeMatches (RFC 9110 §13.1.5)', () => {
  it('an absent If-Range always matches', () => {
    expect(ifRangeMatches(undefined, V)).toBe(true);
  });

  it('a date never matches without Last-Modified', () => {
    expect(ifRangeMatches(MODIFIED.toUTCString(), { etag: ETAG })).toBe(false);
  });

  it('compares dates to the second', () => {
    const withMs = { etag: ETAG, lastModified: new Date(MODIFIED.getTime() + 999) };
    expect(ifRangeMatches(MODIFIED.toUTCString(), withMs)).toBe(true);
  });
});
