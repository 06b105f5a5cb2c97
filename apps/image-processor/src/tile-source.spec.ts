import type { TiffPage } from './tiff-inspect';
import { tileReadiness, type TileSourceFacts } from './tile-source';

/** A JPEG-tiled YCbCr page, as libvips writes pyramid levels. */
const page = (width: number, height: number, tile = 256, over: Partial<TiffPage> = {}): TiffPage => ({
  width,
  height,
  tileWidth: tile,
  tileHeight: tile,
  compression: 7,
  photometric: 6,
  hasJpegTables: true,
  bitsPerSample: 8,
  samplesPerPixel: 3,
  planarConfiguration: 1,
  orientation: 1,
  ...over,
});

/** The levels of pyramid-tiled.tif (4655×3118, 256-px tiles, floor-halving down to one tile). */
const SEURAT = [
  page(4655, 3118),
  page(2327, 1559),
  page(1163, 779),
  page(581, 389),
  page(290, 194),
  page(145, 97),
];

const tiff = (pages: TiffPage[], over: Partial<TileSourceFacts> = {}): TileSourceFacts => ({
  format: 'tiff',
  width: pages[0]?.width ?? 1,
  height: pages[0]?.height ?? 1,
  orientation: 1,
  space: 'srgb',
  pages,
  platformTileSize: 512,
  ...over,
});

describe('tileReadiness (SPEC.md §4.3 use-original, §5/§10 one stored tile per canonical tile)', () => {
  it('a libvips-style pyramid with 256-px JPEG tiles is ready, with its own tile size', () => {
    expect(tileReadiness(tiff(SEURAT))).toEqual({
      ready: true,
      tileSize: 256,
      levels: SEURAT.map((p) => ({ width: p.width, height: p.height })),
    });
  });

  it('512-px tiles, and extra levels that keep halving (down to 1 px) are fine; only the advertised ones are levels', () => {
    const pages = [page(1000, 600, 512), page(500, 300, 512), page(250, 150, 512), page(125, 75, 512)];
    expect(tileReadiness(tiff(pages))).toEqual({
      ready: true,
      tileSize: 512,
      levels: [
        { width: 1000, height: 600 },
        { width: 500, height: 300 },
      ],
    });
  });

  it('RGB-coded and grey JPEG tiles are servable too', () => {
    const rgb = SEURAT.map((p) => ({ ...p, photometric: 2 }));
    expect(tileReadiness(tiff(rgb))).toMatchObject({ ready: true });
    const grey = SEURAT.map((p) => ({ ...p, photometric: 1, samplesPerPixel: 1 }));
    expect(tileReadiness(tiff(grey))).toMatchObject({ ready: true });
  });

  it.each<[string, TileSourceFacts, RegExp]>([
    [
      'a flat strip TIFF',
      tiff([page(1165, 859, 0, { tileWidth: undefined, tileHeight: undefined })]),
      /not tiled/,
    ],
    ['missing levels', tiff(SEURAT.slice(0, 3)), /3 page\(s\), but 6 levels/],
    [
      'ceil-rounded levels',
      tiff([page(4655, 3118), page(2328, 1559), ...SEURAT.slice(2)]),
      /page 1 is 2328×1559, not 2327×1559/,
    ],
    [
      'an extra page that is not a level (a label image)',
      tiff([...SEURAT, page(400, 300)]),
      /page 6 is 400×300/,
    ],
    [
      'non-square tiles',
      tiff([page(4655, 3118, 256, { tileHeight: 128 }), ...SEURAT.slice(1)]),
      /not square/,
    ],
    [
      'tiles of different sizes per level',
      tiff([...SEURAT.slice(0, 5), page(145, 97, 128)]),
      /page 5 has 128×128 tiles/,
    ],
    ['LZW tiles', tiff(SEURAT.map((p) => ({ ...p, compression: 5 }))), /compression 5 is not JPEG/],
    ['16-bit tiles', tiff(SEURAT.map((p) => ({ ...p, compression: 1, bitsPerSample: 16 }))), /compression 1/],
    [
      'alpha (4 samples)',
      tiff(SEURAT.map((p) => ({ ...p, photometric: 2, samplesPerPixel: 4 }))),
      /photometric 2 with 4 samples/,
    ],
    [
      'CMYK JPEG tiles',
      tiff(SEURAT.map((p) => ({ ...p, photometric: 5, samplesPerPixel: 4 }))),
      /photometric 5/,
    ],
    ['planar', tiff(SEURAT.map((p) => ({ ...p, planarConfiguration: 2 }))), /planar/],
    ['a rotated page', tiff(SEURAT, { orientation: 6 }), /orientation 6/],
    ['tiles too small', tiff([page(100, 100, 32)]), /tile edge 32 px/],
    ['page 0 not the image', tiff(SEURAT, { width: 4000 }), /page 0 is 4655×3118/],
    ['no pages', tiff([], { width: 10, height: 10 }), /no pages/],
    [
      'a JPEG larger than one tile',
      { ...tiff([]), format: 'jpeg', width: 513, height: 200, pages: undefined },
      /not a single 512-px tile/,
    ],
    [
      'a small CMYK JPEG',
      { ...tiff([]), format: 'jpeg', width: 300, height: 200, space: 'cmyk', pages: undefined },
      /cmyk/,
    ],
    [
      'a JPEG 2000',
      { ...tiff([]), format: 'jp2', width: 300, height: 200, pages: undefined },
      /JP2 origin is not a pyramidal tiled TIFF/,
    ],
    ['a PNG', { ...tiff([]), format: 'png', width: 300, height: 200, pages: undefined }, /PNG origin/],
  ])('not ready: %s', (_label, facts, reason) => {
    const r = tileReadiness(facts);
    expect(r.ready).toBe(false);
    if (!r.ready) expect(r.reason).toMatch(reason);
  });

  it('a small sRGB or grey JPEG (one tile) is ready with the platform tile size', () => {
    const jpeg = { ...tiff([]), format: 'jpeg' as const, width: 512, height: 300, pages: undefined };
    expect(tileReadiness(jpeg)).toEqual({
      ready: true,
      tileSize: 512,
      levels: [{ width: 512, height: 300 }],
    });
    expect(tileReadiness({ ...jpeg, space: 'b-w' })).toMatchObject({ ready: true });
  });
});
