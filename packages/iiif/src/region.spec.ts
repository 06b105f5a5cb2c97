import { IiifError } from './errors';
import { canonicalRegion, parseRegion, resolveRegion } from './region';
import type { RegionRequest } from './types';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseRegion (IIIF Image API 2.1/3.0 §4.1)', () => {
  it.each<[string, RegionRequest]>([
    ['full', { kind: 'full' }],
    ['square', { kind: 'square' }],
    ['0,0,10,10', { kind: 'pixels', x: 0, y: 0, w: 10, h: 10 }],
    ['125,15,120,140', { kind: 'pixels', x: 125, y: 15, w: 120, h: 140 }],
    ['125,15,200,200', { kind: 'pixels', x: 125, y: 15, w: 200, h: 200 }],
    ['010,0,1,1', { kind: 'pixels', x: 10, y: 0, w: 1, h: 1 }],
    ['5000,5000,99999,99999', { kind: 'pixels', x: 5000, y: 5000, w: 99999, h: 99999 }],
    ['pct:41.6,7.5,40,70', { kind: 'percent', x: 41.6, y: 7.5, w: 40, h: 70 }],
    ['pct:10,10,80,80', { kind: 'percent', x: 10, y: 10, w: 80, h: 80 }],
    ['pct:0,0,100,100', { kind: 'percent', x: 0, y: 0, w: 100, h: 100 }],
    ['pct:0,0,150,150', { kind: 'percent', x: 0, y: 0, w: 150, h: 150 }],
    ['pct:.5,0.5,10.25,1.', { kind: 'percent', x: 0.5, y: 0.5, w: 10.25, h: 1 }],
    ['pct:99.9,99.9,0.1,0.1', { kind: 'percent', x: 99.9, y: 99.9, w: 0.1, h: 0.1 }],
  ])('parses %s', (s, expected) => {
    expect(parseRegion(s)).toEqual(expected);
  });

  it.each([
    '',
    'abc',
    'FULL',
    'Full',
    'squares',
    'full,',
    '10,10,0,10',
    '10,10,10,0',
    '0,0,0,0',
    '-1,0,10,10',
    '0,-1,10,10',
    '0,0,-10,10',
    '1.5,0,10,10',
    '0,0,10.0,10',
    '10,10,10',
    '10,10,10,10,10',
    '10,10,10,10,',
    '10,,10,10',
    ',10,10,10',
    ' 10,10,10,10',
    '10,10,10,10 ',
    '+1,0,10,10',
    '1e2,0,10,10',
    '0x10,0,1,1',
    'Infinity,0,1,1',
    'pct:101,0,10,10',
    'pct:0,101,10,10',
    'pct:100,0,10,10',
    'pct:0,100,10,10',
    'pct:10,10,0,10',
    'pct:10,10,10,0',
    'pct:-1,0,10,10',
    'pct:1e1,0,10,10',
    'pct:10.5.5,0,1,1',
    'pct:a,b,c,d',
    'pct:',
    'pct:10,10,10',
    'pct:10,10,10,10,',
    'PCT:10,10,10,10',
    'pct: 10,10,10,10',
    'px:0,0,1,1',
    'square,',
  ])('rejects %j with 400', (s) => {
    expect(statusOf(() => parseRegion(s))).toBe(400);
  });
});

describe('resolveRegion', () => {
  it.each<[string, number, number, [number, number, number, number]]>([
    ['full', 1000, 1000, [0, 0, 1000, 1000]],
    ['full', 300, 200, [0, 0, 300, 200]],
    // square: side = shorter edge, centred on the longer axis
    ['square', 1000, 800, [100, 0, 800, 800]],
    ['square', 600, 1000, [0, 200, 600, 600]],
    ['square', 500, 500, [0, 0, 500, 500]],
    ['square', 1001, 800, [100, 0, 800, 800]],
    ['square', 1, 7, [0, 3, 1, 1]],
    // pixels, cropped at the edges (3.0 §4.1 example 5: returned image is 175,185)
    ['125,15,120,140', 300, 200, [125, 15, 120, 140]],
    ['125,15,200,200', 300, 200, [125, 15, 175, 185]],
    ['0,0,5000,5000', 300, 200, [0, 0, 300, 200]],
    ['999,999,10,10', 1000, 1000, [999, 999, 1, 1]],
    ['299,199,1,1', 300, 200, [299, 199, 1, 1]],
    // percent (3.0 §4.1 examples 4 and 6)
    ['pct:41.6,7.5,40,70', 300, 200, [125, 15, 120, 140]],
    ['pct:41.6,7.5,66.6,100', 300, 200, [125, 15, 175, 185]],
    ['pct:10,10,80,80', 1000, 1000, [100, 100, 800, 800]],
    ['pct:0,0,100,100', 1000, 1000, [0, 0, 1000, 1000]],
    ['pct:0,0,150,150', 1000, 1000, [0, 0, 1000, 1000]],
    ['pct:50,50,50,50', 999, 999, [500, 500, 499, 499]],
    ['pct:0,0,50,50', 999, 999, [0, 0, 500, 500]],
    ['pct:0,0,0.01,0.01', 100, 100, [0, 0, 1, 1]],
    ['pct:33.3333,0,33.3333,100', 300, 10, [100, 0, 100, 10]],
  ])('%s of %dx%d', (s, w, h, [ex, ey, ew, eh]) => {
    expect(resolveRegion(parseRegion(s), w, h)).toEqual({ x: ex, y: ey, w: ew, h: eh });
  });

  it('adjacent percent regions share edges', () => {
    const a = resolveRegion(parseRegion('pct:0,0,33.3,100'), 1001, 10);
    const b = resolveRegion(parseRegion('pct:33.3,0,33.3,100'), 1001, 10);
    expect(a.x + a.w).toBe(b.x);
  });

  it.each<[string, number, number]>([
    ['1000,0,10,10', 1000, 1000],
    ['0,1000,10,10', 1000, 1000],
    ['5000,5000,10,10', 1000, 1000],
    ['300,0,1,1', 300, 200],
    ['pct:99.99,0,1,1', 100, 100],
    ['pct:0,99.9,1,1', 100, 100],
  ])('%s of %dx%d is entirely outside: 400', (s, w, h) => {
    expect(statusOf(() => resolveRegion(parseRegion(s), w, h))).toBe(400);
  });

  it('rejects a zero-sized pixel region given as a request object', () => {
    expect(statusOf(() => resolveRegion({ kind: 'pixels', x: 0, y: 0, w: 0, h: 5 }, 10, 10))).toBe(400);
  });
});

describe('canonicalRegion (3.0 §4.8, 2.1 §4.7)', () => {
  it.each<[string, number, number, string]>([
    ['full', 1000, 800, 'full'],
    ['0,0,1000,800', 1000, 800, 'full'],
    ['0,0,5000,5000', 1000, 800, 'full'],
    ['pct:0,0,100,100', 1000, 800, 'full'],
    ['square', 500, 500, 'full'],
    ['square', 1000, 800, '100,0,800,800'],
    ['125,15,200,200', 300, 200, '125,15,175,185'],
    ['pct:10,10,80,80', 1000, 1000, '100,100,800,800'],
    ['0,0,999,800', 1000, 800, '0,0,999,800'],
  ])('%s of %dx%d → %s', (s, w, h, expected) => {
    expect(canonicalRegion(resolveRegion(parseRegion(s), w, h), w, h)).toBe(expected);
  });
});
