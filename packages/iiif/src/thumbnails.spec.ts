import { IiifError } from './errors';
import {
  sizesFromPairs,
  sizesToPairs,
  splitOpenAuth,
  thumbnailSizesFor,
  thumbnailSourceFor,
} from './thumbnails';
import type { Size } from './types';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

const DEFAULT = ['!1024,1024', '!400,400', '!200,200', '!100,100'];
const sz = (...pairs: Array<[number, number]>): Size[] => pairs.map(([width, height]) => ({ width, height }));

describe('thumbnailSizesFor', () => {
  it.each<[number, number, { maxWidth?: number } | undefined, Size[]]>([
    [4000, 3000, undefined, sz([1024, 768], [400, 300], [200, 150], [100, 75])],
    [3000, 4000, undefined, sz([768, 1024], [300, 400], [150, 200], [75, 100])],
    [800, 600, undefined, sz([800, 600], [400, 300], [200, 150], [100, 75])],
    [300, 200, undefined, sz([300, 200], [200, 133], [100, 67])],
    [50, 40, undefined, sz([50, 40])],
    [1000, 333, undefined, sz([1000, 333], [400, 133], [200, 67], [100, 33])],
    [4000, 3000, { maxWidth: 300 }, sz([300, 225], [200, 150], [100, 75])],
    [4000, 3000, { maxWidth: 2000 }, sz([1024, 768], [400, 300], [200, 150], [100, 75])],
    [24000, 10, undefined, sz([1024, 1], [400, 1], [200, 1], [100, 1])],
  ])('default policy of %dx%d with %j', (w, h, opts, expected) => {
    expect(thumbnailSizesFor(DEFAULT, w, h, opts)).toEqual(expected);
  });

  it.each<[string, Size]>([
    ['200,', { width: 200, height: 100 }],
    [',200', { width: 400, height: 200 }],
    ['max', { width: 1000, height: 500 }],
    ['full', { width: 1000, height: 500 }],
    ['2000,', { width: 1000, height: 500 }],
    [',2000', { width: 1000, height: 500 }],
    ['pct:10', { width: 100, height: 50 }],
    ['pct:150', { width: 1000, height: 500 }],
    ['^!2000,2000', { width: 1000, height: 500 }],
    ['^200,', { width: 200, height: 100 }],
    ['100,100', { width: 100, height: 100 }],
    ['2000,100', { width: 200, height: 100 }],
    ['!300,100', { width: 200, height: 100 }],
  ])('%s of 1000x500', (s, expected) => {
    expect(thumbnailSizesFor([s], 1000, 500)).toEqual([expected]);
  });

  it('deduplicates and orders largest first', () => {
    expect(thumbnailSizesFor(['!100,100', 'max', '!2000,2000', '100,'], 1000, 500)).toEqual(
      sz([1000, 500], [100, 50]),
    );
  });

  it('accepts the readonly policy arrays other packages export', () => {
    const readonlyPolicy: readonly string[] = DEFAULT;
    expect(thumbnailSizesFor(readonlyPolicy, 100, 100)).toEqual(sz([100, 100]));
  });

  it.each(['abc', '', 'pct:0', '0,', ',', '!100,', 'pct:0.01'])('rejects %j with 400', (s) => {
    expect(statusOf(() => thumbnailSizesFor([s], 1000, 500))).toBe(400);
  });
});

describe('splitOpenAuth', () => {
  const sizes = sz([1024, 768], [400, 300], [200, 150]);
  it.each<[number | undefined, Size[], Size[]]>([
    [undefined, sizes, []],
    [400, sz([400, 300], [200, 150]), sz([1024, 768])],
    [399, sz([200, 150]), sz([1024, 768], [400, 300])],
    [0, [], sizes],
    [5000, sizes, []],
  ])('openMax %s', (openMax, open, auth) => {
    expect(splitOpenAuth(sizes, openMax)).toEqual({ open, auth });
  });

  it('uses the longest edge', () => {
    expect(splitOpenAuth(sz([300, 400]), 350)).toEqual({ open: [], auth: sz([300, 400]) });
  });
});

describe('thumbnailSourceFor', () => {
  const sizes = sz([1024, 768], [400, 300], [200, 150]);
  it.each<[[number, number], Size | undefined]>([
    [[200, 150], { width: 200, height: 150 }],
    [[300, 225], { width: 400, height: 300 }],
    [[400, 300], { width: 400, height: 300 }],
    [[401, 300], { width: 1024, height: 768 }],
    [[100, 100], { width: 200, height: 150 }],
    [[2000, 1500], undefined],
  ])('%j → %j', ([w, h], expected) => {
    expect(thumbnailSourceFor({ w, h }, sizes)).toEqual(expected);
  });
});

describe('sizesFromPairs / sizesToPairs', () => {
  it('round-trips the derivatives JSON shape', () => {
    const pairs: Array<[number, number]> = [
      [1024, 768],
      [400, 300],
    ];
    expect(sizesFromPairs(pairs)).toEqual(sz([1024, 768], [400, 300]));
    expect(sizesToPairs(sizesFromPairs(pairs))).toEqual(pairs);
  });
});
