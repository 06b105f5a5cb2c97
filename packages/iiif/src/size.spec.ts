import { IiifError } from './errors';
import { canonicalSize, parseSize, resolveSize } from './size';
import type { IiifVersion } from './types';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseSize / resolveSize / canonicalSize dispatch by version', () => {
  it.each<[string, IiifVersion, number | undefined]>([
    ['full', 3, 400],
    ['full', 2, undefined],
    ['max', 3, undefined],
    ['max', 2, undefined],
    ['^max', 3, undefined],
    ['^max', 2, 400],
    ['^!100,100', 3, undefined],
    ['^!100,100', 2, 400],
    ['pct:150', 3, 400],
    ['pct:150', 2, undefined],
    ['10,', 3, undefined],
    ['10,', 2, undefined],
    [',', 3, 400],
    [',', 2, 400],
    ['0,', 3, 400],
    ['0,', 2, 400],
    ['pct:0', 3, 400],
    ['pct:0', 2, 400],
  ])('parseSize(%j, v%d) → %s', (s, v, status) => {
    expect(statusOf(() => parseSize(s, v))).toBe(status);
  });

  it('v3 refuses upscaling without ^, v2 allows it (sizeAboveFull); both only within limits', () => {
    const region = { w: 300, h: 200 };
    const limits = { maxWidth: 1000 };
    expect(statusOf(() => resolveSize(parseSize('600,', 3), region, 3, limits))).toBe(400);
    expect(resolveSize(parseSize('600,', 2), region, 2, limits)).toEqual({ w: 600, h: 400 });
    expect(resolveSize(parseSize('^600,', 3), region, 3, limits)).toEqual({ w: 600, h: 400 });
    expect(statusOf(() => resolveSize(parseSize('600,', 2), region, 2))).toBe(501);
    expect(statusOf(() => resolveSize(parseSize('^600,', 3), region, 3))).toBe(501);
  });

  it('v3 !w,h must not upscale (400 without ^), v2 !w,h fits the box (within limits)', () => {
    const region = { w: 300, h: 200 };
    expect(statusOf(() => resolveSize(parseSize('!600,600', 3), region, 3, { maxWidth: 1000 }))).toBe(400);
    expect(resolveSize(parseSize('^!600,600', 3), region, 3, { maxWidth: 1000 })).toEqual({ w: 600, h: 400 });
    expect(resolveSize(parseSize('!600,600', 2), region, 2, { maxWidth: 1000 })).toEqual({ w: 600, h: 400 });
  });

  it.each<[IiifVersion, [number, number], string]>([
    [3, [300, 200], 'max'],
    [2, [300, 200], 'full'],
    [3, [150, 100], '150,100'],
    [2, [150, 100], '150,'],
    [3, [600, 400], '^600,400'],
    [2, [600, 400], '600,'],
  ])('canonicalSize v%d of %j → %s', (v, [w, h], expected) => {
    expect(canonicalSize({ w, h }, { x: 0, y: 0, w: 300, h: 200 }, v)).toBe(expected);
  });

  it('canonicalSize honours limits (v3 max capped)', () => {
    expect(canonicalSize({ w: 200, h: 133 }, { x: 0, y: 0, w: 300, h: 200 }, 3, { maxWidth: 200 })).toBe(
      'max',
    );
    expect(canonicalSize({ w: 200, h: 133 }, { x: 0, y: 0, w: 300, h: 200 }, 2, { maxWidth: 200 })).toBe(
      '200,',
    );
  });
});
