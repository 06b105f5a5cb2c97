import { IiifError } from '../errors';
import type { SizeLimits, SizeRequest } from '../types';
import { canonicalSizeV2, parseSizeV2, resolveSizeV2 } from './size';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseSizeV2 (IIIF Image API 2.1 §4.2)', () => {
  it.each<[string, SizeRequest]>([
    ['full', { kind: 'max', upscale: false }],
    ['max', { kind: 'max', upscale: false }],
    ['150,', { kind: 'width', w: 150, upscale: true }],
    [',150', { kind: 'height', h: 150, upscale: true }],
    ['pct:50', { kind: 'percent', n: 50, upscale: true }],
    ['pct:150', { kind: 'percent', n: 150, upscale: true }],
    ['pct:0.5', { kind: 'percent', n: 0.5, upscale: true }],
    ['225,100', { kind: 'exact', w: 225, h: 100, upscale: true }],
    ['!225,100', { kind: 'confined', w: 225, h: 100, upscale: true }],
  ])('parses %s', (s, expected) => {
    expect(parseSizeV2(s)).toEqual(expected);
  });

  it.each([
    '^max',
    '^150,',
    '^,150',
    '^pct:50',
    '^225,100',
    '^!225,100',
    '',
    'FULL',
    'Full',
    'full,',
    'abc',
    '10',
    ',',
    '0,',
    ',0',
    '0,0',
    '!10,',
    '!,10',
    '!0,10',
    'pct:0',
    'pct:',
    'pct:-5',
    'pct:abc',
    '-10,',
    '10.5,',
    '1e2,',
    '10,10,10',
  ])('rejects %j with 400', (s) => {
    expect(statusOf(() => parseSizeV2(s))).toBe(400);
  });
});

describe('resolveSizeV2', () => {
  const region = { w: 300, h: 200 };
  it.each<[string, SizeLimits | undefined, [number, number]]>([
    ['full', undefined, [300, 200]],
    ['max', undefined, [300, 200]],
    ['full', { maxWidth: 200 }, [200, 133]],
    ['max', { maxWidth: 200 }, [200, 133]],
    ['max', { maxWidth: 200, maxHeight: 100 }, [150, 100]],
    ['max', { maxArea: 30000 }, [212, 141]],
    ['150,', undefined, [150, 100]],
    ['600,', { maxWidth: 1000 }, [600, 400]],
    [',150', undefined, [225, 150]],
    [',400', { maxWidth: 1000 }, [600, 400]],
    ['pct:50', undefined, [150, 100]],
    ['pct:150', { maxWidth: 1000 }, [450, 300]],
    ['225,100', undefined, [225, 100]],
    ['600,600', { maxWidth: 1000 }, [600, 600]],
    ['!225,100', undefined, [150, 100]],
    ['!600,600', { maxWidth: 1000 }, [600, 400]],
    ['!600,600', { maxWidth: 500 }, [500, 333]],
    ['!600,600', { maxWidth: 600, maxHeight: 300 }, [450, 300]],
    ['500,', { maxWidth: 500 }, [500, 333]],
  ])('%s of 300x200 with limits %j', (s, limits, [w, h]) => {
    expect(resolveSizeV2(parseSizeV2(s), region, limits)).toEqual({ w, h });
  });

  it.each<[string, SizeLimits | undefined]>([
    ['600,', { maxWidth: 500 }],
    [',400', { maxWidth: 500 }],
    ['600,600', { maxWidth: 500 }],
    ['pct:200', { maxArea: 100000 }],
    ['300,200', { maxArea: 50000 }],
    ['pct:0.1', undefined],
  ])('%s of 300x200 with limits %j → 400', (s, limits) => {
    expect(statusOf(() => resolveSizeV2(parseSizeV2(s), region, limits))).toBe(400);
  });
});

describe('resolveSizeV2 above the region without limits (sizeAboveFull needs limits)', () => {
  const region = { w: 300, h: 200 };
  it.each(['600,', ',400', 'pct:150', '600,600', '301,200'])('%s of 300x200 → 501', (s) => {
    expect(statusOf(() => resolveSizeV2(parseSizeV2(s), region))).toBe(501);
  });
  it('caps !w,h at the region size', () => {
    expect(resolveSizeV2(parseSizeV2('!600,600'), region)).toEqual({ w: 300, h: 200 });
  });
});

describe('canonicalSizeV2 (2.1 §4.7)', () => {
  it.each<[[number, number], [number, number], string]>([
    [[300, 200], [300, 200], 'full'],
    [[150, 100], [300, 200], '150,'],
    [[600, 400], [300, 200], '600,'],
    [[200, 133], [300, 200], '200,'],
    [[225, 100], [300, 200], '225,100'],
    [[500, 167], [1000, 333], '500,'],
    [[500, 166], [1000, 333], '500,166'],
  ])('%j of %j → %s', ([w, h], [rw, rh], expected) => {
    expect(canonicalSizeV2({ w, h }, { w: rw, h: rh })).toBe(expected);
  });
});
