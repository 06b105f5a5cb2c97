import { IiifError } from '../errors';
import type { SizeLimits, SizeRequest } from '../types';
import { canonicalSizeV3, parseSizeV3, resolveSizeV3 } from './size';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseSizeV3 (IIIF Image API 3.0 §4.2)', () => {
  it.each<[string, SizeRequest]>([
    ['max', { kind: 'max', upscale: false }],
    ['^max', { kind: 'max', upscale: true }],
    ['150,', { kind: 'width', w: 150, upscale: false }],
    ['^360,', { kind: 'width', w: 360, upscale: true }],
    [',150', { kind: 'height', h: 150, upscale: false }],
    ['^,240', { kind: 'height', h: 240, upscale: true }],
    ['pct:50', { kind: 'percent', n: 50, upscale: false }],
    ['pct:100', { kind: 'percent', n: 100, upscale: false }],
    ['pct:0.5', { kind: 'percent', n: 0.5, upscale: false }],
    ['pct:.5', { kind: 'percent', n: 0.5, upscale: false }],
    ['^pct:120', { kind: 'percent', n: 120, upscale: true }],
    ['^pct:50', { kind: 'percent', n: 50, upscale: true }],
    ['225,100', { kind: 'exact', w: 225, h: 100, upscale: false }],
    ['^360,360', { kind: 'exact', w: 360, h: 360, upscale: true }],
    ['!225,100', { kind: 'confined', w: 225, h: 100, upscale: false }],
    ['^!360,360', { kind: 'confined', w: 360, h: 360, upscale: true }],
    ['010,', { kind: 'width', w: 10, upscale: false }],
  ])('parses %s', (s, expected) => {
    expect(parseSizeV3(s)).toEqual(expected);
  });

  it.each([
    'full',
    '^full',
    '',
    '^',
    '^^max',
    'MAX',
    'Max',
    'max,',
    'abc',
    '10',
    ',',
    '^,',
    '0,',
    ',0',
    '0,0',
    '10,0',
    '0,10',
    '^0,',
    '!10,',
    '!,10',
    '!0,10',
    '!10,0',
    '!!10,10',
    '!^10,10',
    '^!^10,10',
    ',^240',
    'pct:0',
    '^pct:0',
    'pct:',
    'pct:-1',
    'pct:abc',
    'pct:50%',
    'pct:1e2',
    'pct:101',
    'pct:100.5',
    '-10,',
    '+10,',
    '10.5,',
    '1e2,',
    '10,10,10',
    ' 10,',
    '10, ',
    '10;10',
    'w,h',
  ])('rejects %j with 400', (s) => {
    expect(statusOf(() => parseSizeV3(s))).toBe(400);
  });
});

describe('resolveSizeV3', () => {
  // The spec's examples use a 300×200 image.
  const region = { w: 300, h: 200 };

  it.each<[string, SizeLimits | undefined, [number, number]]>([
    ['max', undefined, [300, 200]],
    ['max', { maxWidth: 200 }, [200, 133]],
    ['max', { maxWidth: 200, maxHeight: 100 }, [150, 100]],
    ['max', { maxWidth: 1000 }, [300, 200]],
    ['max', { maxArea: 30000 }, [212, 141]],
    ['max', { maxArea: 60000 }, [300, 200]],
    ['^max', { maxWidth: 360 }, [360, 240]],
    ['^max', { maxWidth: 100 }, [100, 67]],
    ['^max', { maxWidth: 600, maxHeight: 300 }, [450, 300]],
    ['^max', undefined, [300, 200]],
    ['150,', undefined, [150, 100]],
    ['^360,', { maxWidth: 1000 }, [360, 240]],
    ['^150,', undefined, [150, 100]],
    ['300,', undefined, [300, 200]],
    [',150', undefined, [225, 150]],
    ['^,240', { maxWidth: 1000 }, [360, 240]],
    ['pct:50', undefined, [150, 100]],
    ['pct:100', undefined, [300, 200]],
    ['^pct:120', { maxWidth: 1000 }, [360, 240]],
    ['pct:0.5', undefined, [2, 1]],
    ['225,100', undefined, [225, 100]],
    ['300,200', undefined, [300, 200]],
    ['^360,360', { maxWidth: 1000 }, [360, 360]],
    ['!225,100', undefined, [150, 100]],
    ['^!360,360', { maxWidth: 1000 }, [360, 240]],
    ['!360,200', undefined, [300, 200]],
    ['!300,999', undefined, [300, 200]],
    ['!1000,100', undefined, [150, 100]],
    ['!100,1000', undefined, [100, 67]],
    ['!250,250', { maxWidth: 200 }, [200, 133]],
    ['!300,1000', { maxArea: 30000 }, [212, 141]],
    ['^!360,360', { maxWidth: 200 }, [200, 133]],
    ['^!1000,1000', { maxArea: 60000 }, [300, 200]],
    ['^360,', { maxWidth: 400 }, [360, 240]],
    ['200,', { maxWidth: 200 }, [200, 133]],
  ])('%s of 300x200 with limits %j', (s, limits, [w, h]) => {
    expect(resolveSizeV3(parseSizeV3(s), region, limits)).toEqual({ w, h });
  });

  it.each<[string, { w: number; h: number }, [number, number]]>([
    ['500,', { w: 1000, h: 333 }, [500, 167]],
    [',167', { w: 1000, h: 333 }, [502, 167]],
    ['!500,500', { w: 1000, h: 333 }, [500, 167]],
    ['!500,100', { w: 1000, h: 333 }, [300, 100]],
    // the aspect-derived edge never rounds to 0
    ['10,', { w: 1000, h: 1 }, [10, 1]],
    [',10', { w: 1, h: 1000 }, [1, 10]],
    ['!10,10', { w: 1000, h: 1 }, [10, 1]],
    ['max', { w: 1, h: 1 }, [1, 1]],
    ['pct:50', { w: 1, h: 3 }, [1, 2]],
  ])('%s of %j', (s, r, [w, h]) => {
    expect(resolveSizeV3(parseSizeV3(s), r)).toEqual({ w, h });
  });

  it.each<[string, SizeLimits | undefined]>([
    // larger than the region without ^
    ['360,', undefined],
    ['301,', undefined],
    [',240', undefined],
    [',201', undefined],
    ['360,360', undefined],
    ['301,200', undefined],
    ['300,201', undefined],
    ['100,250', undefined],
    // beyond the limits (maxHeight defaults to maxWidth)
    ['250,', { maxWidth: 200 }],
    [',150', { maxWidth: 200 }],
    ['^,250', { maxWidth: 300 }],
    ['^360,', { maxWidth: 300 }],
    ['300,200', { maxArea: 50000 }],
    ['pct:100', { maxWidth: 299 }],
    ['^pct:200', { maxArea: 100000 }],
    ['^360,360', { maxWidth: 360, maxHeight: 300 }],
    // a confined box larger than the region on both edges asks for upscaling (size_noup)
    ['!360,360', undefined],
    ['!301,201', undefined],
    ['!1000,1000', { maxWidth: 200 }],
    ['!2000,3000', { maxArea: 40_000_000 }],
    // zero-sized result
    ['pct:0.1', undefined],
  ])('%s of 300x200 with limits %j → 400', (s, limits) => {
    expect(statusOf(() => resolveSizeV3(parseSizeV3(s), region, limits))).toBe(400);
  });
});

describe('resolveSizeV3 upscaling without limits (3.0 §4.2, §5.7)', () => {
  const region = { w: 300, h: 200 };
  it.each(['^360,', '^,240', '^pct:120', '^360,360', '^!360,360', '^301,200'])('%s of 300x200 → 501', (s) => {
    expect(statusOf(() => resolveSizeV3(parseSizeV3(s), region))).toBe(501);
  });
  it.each<[string, [number, number]]>([
    ['^max', [300, 200]],
    ['^150,', [150, 100]],
    ['^!100,100', [100, 67]],
    ['^pct:100', [300, 200]],
  ])('%s of 300x200 needs no upscaling → %j', (s, [w, h]) => {
    expect(resolveSizeV3(parseSizeV3(s), region)).toEqual({ w, h });
  });
});

describe('canonicalSizeV3 (3.0 §4.8)', () => {
  const region = { w: 300, h: 200 };
  it.each<[[number, number], SizeLimits | undefined, string]>([
    [[300, 200], undefined, 'max'],
    [[150, 100], undefined, '150,100'],
    [[225, 100], undefined, '225,100'],
    [[360, 240], undefined, '^360,240'],
    [[100, 250], undefined, '^100,250'],
    [[200, 133], { maxWidth: 200 }, 'max'],
    [[150, 100], { maxWidth: 200 }, '150,100'],
    [[360, 240], { maxWidth: 360 }, '^max'],
    [[300, 200], { maxWidth: 360 }, 'max'],
    [[330, 220], { maxWidth: 360 }, '^330,220'],
  ])('%j of 300x200 with %j → %s', ([w, h], limits, expected) => {
    expect(canonicalSizeV3({ w, h }, region, limits)).toBe(expected);
  });

  it.each(['max', '^max', '150,', ',100', 'pct:50', '!225,100', '^!360,360', '^360,', '225,100', '^pct:110'])(
    'canonical form of %s resolves to the same size',
    (s) => {
      const limits = { maxWidth: 360 };
      const out = resolveSizeV3(parseSizeV3(s), region, limits);
      expect(resolveSizeV3(parseSizeV3(canonicalSizeV3(out, region, limits)), region, limits)).toEqual(out);
    },
  );
});

describe('the official validator on its 1000x1000 image (size_noup, size_up) with a 4 MP maxArea', () => {
  const region = { w: 1000, h: 1000 };
  const limits = { maxArea: 4_194_304 };
  it.each(['1500,1500', ',1500', '1500,', '!2000,3000', '!1001,1001'])('%s → 400 (no ^)', (s) => {
    expect(statusOf(() => resolveSizeV3(parseSizeV3(s), region, limits))).toBe(400);
  });
  it('pct:200 → 400 (no ^)', () => {
    expect(statusOf(() => parseSizeV3('pct:200'))).toBe(400);
  });
  it.each<[string, [number, number]]>([
    ['^2000,2000', [2000, 2000]],
    ['^,2000', [2000, 2000]],
    ['^2000,', [2000, 2000]],
    ['^pct:200', [2000, 2000]],
    ['^!2000,500', [500, 500]],
    ['^!2000,3000', [2000, 2000]],
    ['!2000,500', [500, 500]],
    ['!1000,3000', [1000, 1000]],
    ['max', [1000, 1000]],
    // the largest size maxArea allows (3.0 §4.2); the validator's size_up expects 1000x1000 here.
    ['^max', [2048, 2048]],
  ])('%s → %j', (s, [w, h]) => {
    expect(resolveSizeV3(parseSizeV3(s), region, limits)).toEqual({ w, h });
  });
  it.each(['^2049,2048', '^pct:205'])('%s → 400 (over maxArea)', (s) => {
    expect(statusOf(() => resolveSizeV3(parseSizeV3(s), region, limits))).toBe(400);
  });
});
