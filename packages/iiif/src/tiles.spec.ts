import { parseImageRequest } from './image-request';
import { canonicalTileFor, levelDimensions, scaleFactorsFor, type TileAddress } from './tiles';
import type { IiifVersion } from './types';

describe('scaleFactorsFor (libvips pyramid layers: floor-halving while larger than one tile)', () => {
  it.each<[number, number, number, number[]]>([
    [512, 512, 512, [1]],
    [400, 300, 512, [1]],
    [1, 1, 512, [1]],
    [513, 512, 512, [1, 2]],
    [512, 513, 512, [1, 2]],
    [1024, 1024, 512, [1, 2]],
    [1025, 10, 512, [1, 2]], // floor(1025 / 2) = 512 fits; ceil-halving would need a third level
    [1025, 1025, 512, [1, 2]],
    [2049, 100, 512, [1, 2, 4]],
    [6000, 4000, 512, [1, 2, 4, 8, 16]],
    [4000, 6000, 512, [1, 2, 4, 8, 16]],
    [10000, 10000, 256, [1, 2, 4, 8, 16, 32, 64]],
    [100000, 2, 512, [1, 2]], // stops when an edge reaches 1 pixel
    [1, 5000, 512, [1]],
    [24000, 1, 512, [1]],
  ])('%dx%d tile %d → %j', (w, h, t, expected) => {
    expect(scaleFactorsFor(w, h, t)).toEqual(expected);
  });

  it('the last level fits one tile (or has an edge of 1 px) and the one before does not', () => {
    for (const [w, h] of [
      [6000, 4000],
      [1025, 1025],
      [513, 7],
      [3001, 2999],
      [100000, 3],
    ] as const) {
      const sfs = scaleFactorsFor(w, h, 512);
      const last = levelDimensions(w, h, sfs[sfs.length - 1]);
      expect((last.w <= 512 && last.h <= 512) || last.w === 1 || last.h === 1).toBe(true);
      if (sfs.length > 1) {
        const prev = levelDimensions(w, h, sfs[sfs.length - 2]);
        expect(prev.w > 512 || prev.h > 512).toBe(true);
      }
    }
  });
});

describe('levelDimensions (floor, as libvips)', () => {
  it.each<[number, number, number, [number, number]]>([
    [6000, 4000, 1, [6000, 4000]],
    [6000, 4000, 16, [375, 250]],
    [1025, 1025, 2, [512, 512]],
    [1001, 801, 2, [500, 400]],
    [1001, 801, 4, [250, 200]],
    [1, 1, 4, [1, 1]],
    [3, 100, 8, [1, 12]],
  ])('%dx%d at sf %d → %j', (w, h, sf, [ew, eh]) => {
    expect(levelDimensions(w, h, sf)).toEqual({ w: ew, h: eh });
  });
});

describe('canonicalTileFor', () => {
  const W = 6000;
  const H = 4000;
  const T = 512;
  const SF = [1, 2, 4, 8, 16];
  const tile = (v: IiifVersion, region: string, size: string, rotation = '0', qf = 'default.jpg') =>
    canonicalTileFor(parseImageRequest(v, region, size, rotation, qf), W, H, T, SF);

  it.each<[IiifVersion, string, string, TileAddress]>([
    [3, '0,0,512,512', '512,512', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [3, '0,0,512,512', '512,', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [3, '0,0,512,512', 'max', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [2, '0,0,512,512', '512,', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [2, '0,0,512,512', 'full', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [2, '0,0,512,512', '512,512', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
    [3, '512,0,512,512', '512,512', { scaleFactor: 1, level: 0, col: 1, row: 0, width: 512, height: 512 }],
    [
      3,
      '5632,3584,368,416',
      '368,416',
      { scaleFactor: 1, level: 0, col: 11, row: 7, width: 368, height: 416 },
    ],
    [2, '5632,3584,368,416', '368,', { scaleFactor: 1, level: 0, col: 11, row: 7, width: 368, height: 416 }],
    [
      3,
      '1024,1024,1024,1024',
      '512,512',
      { scaleFactor: 2, level: 1, col: 1, row: 1, width: 512, height: 512 },
    ],
    [2, '1024,1024,1024,1024', '512,', { scaleFactor: 2, level: 1, col: 1, row: 1, width: 512, height: 512 }],
    [3, '1024,1024,1024,1024', ',512', { scaleFactor: 2, level: 1, col: 1, row: 1, width: 512, height: 512 }],
    [
      3,
      '1024,1024,1024,1024',
      '!512,512',
      { scaleFactor: 2, level: 1, col: 1, row: 1, width: 512, height: 512 },
    ],
    [
      3,
      '1024,1024,1024,1024',
      'pct:50',
      { scaleFactor: 2, level: 1, col: 1, row: 1, width: 512, height: 512 },
    ],
    [
      3,
      '5120,3072,880,928',
      '440,464',
      { scaleFactor: 2, level: 1, col: 5, row: 3, width: 440, height: 464 },
    ],
    [3, '0,0,4096,4000', '512,500', { scaleFactor: 8, level: 3, col: 0, row: 0, width: 512, height: 500 }],
    [3, '4096,0,1904,4000', '238,500', { scaleFactor: 8, level: 3, col: 1, row: 0, width: 238, height: 500 }],
    [3, 'full', '375,250', { scaleFactor: 16, level: 4, col: 0, row: 0, width: 375, height: 250 }],
    [2, 'full', '375,', { scaleFactor: 16, level: 4, col: 0, row: 0, width: 375, height: 250 }],
    [3, '0,0,6000,4000', '375,250', { scaleFactor: 16, level: 4, col: 0, row: 0, width: 375, height: 250 }],
    [3, 'pct:0,0,100,100', '375,250', { scaleFactor: 16, level: 4, col: 0, row: 0, width: 375, height: 250 }],
    [3, '0,0,512,512', '512,512', { scaleFactor: 1, level: 0, col: 0, row: 0, width: 512, height: 512 }],
  ])('v%d %s/%s → %j', (v, region, size, expected) => {
    expect(tile(v, region, size)).toEqual(expected);
  });

  it('accepts quality color', () => {
    expect(tile(3, '0,0,512,512', '512,512', '0', 'color.jpg')).not.toBeNull();
  });

  it.each<[IiifVersion, string, string, string, string]>([
    [3, 'full', 'max', '0', 'default.jpg'], // the whole image at full size is not one tile
    [3, '0,0,512,512', '512,512', '90', 'default.jpg'],
    [3, '0,0,512,512', '512,512', '!0', 'default.jpg'],
    [3, '0,0,512,512', '512,512', '360', 'default.jpg'],
    [3, '0,0,512,512', '512,512', '0', 'gray.jpg'],
    [3, '0,0,512,512', '512,512', '0', 'bitonal.jpg'],
    [3, '0,0,512,512', '512,512', '0', 'default.png'],
    [3, '0,0,512,512', '512,512', '0', 'default.webp'],
    [3, '1,0,512,512', '512,512', '0', 'default.jpg'], // misaligned
    [3, '0,0,511,512', '511,512', '0', 'default.jpg'], // not the grid cell
    [3, '0,0,1024,512', '512,256', '0', 'default.jpg'], // half a cell at sf 2
    [3, '0,0,512,512', '256,256', '0', 'default.jpg'], // wrong size for the region
    [3, '0,0,512,512', '511,', '0', 'default.jpg'],
    [3, '0,0,1024,1024', '512,511', '0', 'default.jpg'],
    [3, '0,0,1024,1024', '1024,1024', '0', 'default.jpg'],
    [3, '0,0,8192,8192', '512,', '0', 'default.jpg'], // sf 16 region would be 6000x4000
    [3, 'square', '512,512', '0', 'default.jpg'],
    [3, '7000,0,512,512', '512,512', '0', 'default.jpg'], // outside
  ])('v%d %s/%s/%s/%s → null', (v, region, size, rot, qf) => {
    expect(tile(v, region, size, rot, qf)).toBeNull();
  });

  it('ignores scale factors that are not advertised', () => {
    const req = parseImageRequest(3, '0,0,2048,2048', '512,512', '0', 'default.jpg');
    expect(canonicalTileFor(req, W, H, T, [1, 2])).toBeNull();
    expect(canonicalTileFor(req, W, H, T, [1, 2, 4])).toMatchObject({ scaleFactor: 4, level: 2 });
  });

  it('a small image is one tile at sf 1: full/max (v3), full/full (v2), full/w, and full/w,h', () => {
    const sfs = scaleFactorsFor(400, 300, 512);
    const expected = { scaleFactor: 1, level: 0, col: 0, row: 0, width: 400, height: 300 };
    for (const [v, size] of [
      [3, 'max'],
      [2, 'full'],
      [2, 'max'],
      [2, '400,'],
      [3, '400,300'],
    ] as const) {
      expect(
        canonicalTileFor(parseImageRequest(v, 'full', size, '0', 'default.jpg'), 400, 300, 512, sfs),
      ).toEqual(expected);
    }
  });

  it('returns null where the floor-sized layer lacks the last ceil-sized pixel column/row', () => {
    // 1025x1025: layer 1 is 512x512 but the IIIF grid at sf 2 has a 1-px column 1
    const sfs = scaleFactorsFor(1025, 1025, 512);
    const at = (r: string, s: string) =>
      canonicalTileFor(parseImageRequest(3, r, s, '0', 'default.jpg'), 1025, 1025, 512, sfs);
    expect(at('0,0,1024,1024', '512,512')).toMatchObject({ scaleFactor: 2, col: 0, row: 0 });
    expect(at('1024,0,1,1024', '1,512')).toBeNull();
    expect(at('1024,0,1,512', '1,512')).toEqual({
      scaleFactor: 1,
      level: 0,
      col: 2,
      row: 0,
      width: 1,
      height: 512,
    });
    // 1001x801: the single top tile would be 501x401 but the stored layer is 500x400
    const odd = scaleFactorsFor(1001, 801, 512);
    expect(
      canonicalTileFor(parseImageRequest(3, 'full', '501,401', '0', 'default.jpg'), 1001, 801, 512, odd),
    ).toBeNull();
  });

  /** The tile requests a deep-zoom client makes (IIIF Image API 3.0 Implementation Notes §3). */
  function clientTiles(v: IiifVersion, w: number, h: number, t: number, sfs: number[]) {
    const out: Array<{ region: string; size: string; sf: number; col: number; row: number }> = [];
    for (const sf of sfs) {
      const span = t * sf;
      for (let row = 0; row * span < h; row++) {
        for (let col = 0; col * span < w; col++) {
          const x = col * span;
          const y = row * span;
          const rw = Math.min(span, w - x);
          const rh = Math.min(span, h - y);
          const sw = Math.ceil(rw / sf);
          const sh = Math.ceil(rh / sf);
          const region = rw === w && rh === h ? 'full' : `${x},${y},${rw},${rh}`;
          let size: string;
          if (v === 3) size = sw === w && sh === h ? 'max' : `${sw},${sh}`;
          else size = sw === w ? 'full' : `${sw},`;
          out.push({ region, size, sf, col, row });
        }
      }
    }
    return out;
  }

  it.each<[number, number]>([
    [4096, 2048],
    [6144, 4096],
    [512, 512],
    [300, 200],
    [2048, 8192],
  ])('every client tile of %dx%d (edges multiples of the top sf) maps to its stored tile', (w, h) => {
    const sfs = scaleFactorsFor(w, h, 512);
    for (const v of [2, 3] as const) {
      for (const c of clientTiles(v, w, h, 512, sfs)) {
        const got = canonicalTileFor(
          parseImageRequest(v, c.region, c.size, '0', 'default.jpg'),
          w,
          h,
          512,
          sfs,
        );
        expect(got).toMatchObject({ scaleFactor: c.sf, col: c.col, row: c.row });
      }
    }
  });

  it.each<[number, number]>([
    [6000, 4000],
    [1025, 1025],
    [3001, 2999],
    [777, 513],
  ])('client tiles of %dx%d map to a stored tile exactly when the layer holds their pixels', (w, h) => {
    const sfs = scaleFactorsFor(w, h, 512);
    for (const v of [2, 3] as const) {
      for (const c of clientTiles(v, w, h, 512, sfs)) {
        const got = canonicalTileFor(
          parseImageRequest(v, c.region, c.size, '0', 'default.jpg'),
          w,
          h,
          512,
          sfs,
        );
        const layer = levelDimensions(w, h, c.sf);
        const lastW = Math.ceil(Math.min(512 * c.sf, w - c.col * 512 * c.sf) / c.sf);
        const lastH = Math.ceil(Math.min(512 * c.sf, h - c.row * 512 * c.sf) / c.sf);
        const held = c.col * 512 + lastW <= layer.w && c.row * 512 + lastH <= layer.h;
        if (held) expect(got).not.toBeNull();
        if (c.sf === 1) expect(got).not.toBeNull();
        if (got) {
          // Whatever tile is returned holds exactly the requested pixels: same output size, same region
          // (a 1-px edge request can be the same region and size at several scale factors).
          expect([got.width, got.height]).toEqual([lastW, lastH]);
          const span = 512 * got.scaleFactor;
          expect([got.col * span, got.row * span]).toEqual([c.col * 512 * c.sf, c.row * 512 * c.sf]);
          const gotLayer = levelDimensions(w, h, got.scaleFactor);
          expect(got.col * 512 + got.width).toBeLessThanOrEqual(gotLayer.w);
          expect(got.row * 512 + got.height).toBeLessThanOrEqual(gotLayer.h);
        }
      }
    }
  });
});
