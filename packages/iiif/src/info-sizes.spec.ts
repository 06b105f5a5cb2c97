import {
  advertisedSizes,
  buildImageInfoV2,
  buildImageInfoV3,
  scaleFactorsFor,
  thumbnailSizesFor,
} from './index';
import type { Size } from './types';

/** The `thumbs/default` policy (SPEC.md §1). */
const DEFAULT_THUMBNAIL_SIZES = ['!1024,1024', '!400,400', '!200,200', '!100,100'];

/**
 * OpenSeadragon's reading of info.json `sizes` (openseadragon IIIFTileSource): when their count is maxLevel or
 * maxLevel + 1 they are taken, sorted, as the level sizes (the full size appended when absent); otherwise the
 * levels are computed from the scale factors. Returns the level widths it would use, smallest first.
 */
function osdLevelWidths(info: {
  width: number;
  sizes?: Size[];
  tiles?: Array<{ scaleFactors: number[] }>;
}): number[] {
  const sf = info.tiles?.[0]?.scaleFactors ?? [1];
  const maxLevel = Math.round(Math.log2(Math.max(...sf)));
  const sizes = info.sizes ?? [];
  if (sizes.length === maxLevel || sizes.length === maxLevel + 1) {
    const levels = [...sizes].sort((a, b) => a.width - b.width).map((s) => s.width);
    if (sizes.length === maxLevel) levels.push(info.width);
    return levels;
  }
  return Array.from({ length: maxLevel + 1 }, (_, l) => Math.ceil(info.width / 2 ** (maxLevel - l)));
}

const trueLevelWidths = (width: number, sf: number[]) =>
  [...sf].sort((a, b) => b - a).map((s) => Math.ceil(width / s));

describe('advertised sizes stay unambiguous for OpenSeadragon (Mirador, UV)', () => {
  it('adds the level sizes when 4 thumbnails would be read as the 4 levels of a 5312×2988 image', () => {
    const width = 5312;
    const height = 2988;
    const scaleFactors = scaleFactorsFor(width, height, 512);
    expect(scaleFactors).toEqual([1, 2, 4, 8, 16]);
    const thumbs = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, width, height);
    expect(thumbs).toHaveLength(4);
    const sizes = advertisedSizes({ id: 'x', width, height, tileSize: 512, scaleFactors, sizes: thumbs });
    expect(sizes).toEqual(expect.arrayContaining(thumbs));
    expect(sizes).toEqual(
      expect.arrayContaining([
        { width: 2656, height: 1494 },
        { width: 332, height: 187 },
      ]),
    );
    const info = buildImageInfoV3({
      id: 'x',
      width,
      height,
      tileSize: 512,
      scaleFactors,
      sizes: thumbs,
    }) as never;
    expect(osdLevelWidths(info)).toEqual(trueLevelWidths(width, scaleFactors));
  });

  it('never adds a size over sizeBound (a restricted image: only its open sizes), dropping sizes instead', () => {
    // 5312×2988, 512-px tiles: scale factors up to 16, maxLevel 4; four open thumbnails would be misread.
    const input = {
      id: 'x',
      width: 5312,
      height: 2988,
      tileSize: 512,
      scaleFactors: [1, 2, 4, 8, 16],
      sizes: [
        { width: 100, height: 56 },
        { width: 200, height: 113 },
        { width: 256, height: 144 },
        { width: 400, height: 225 },
      ],
    };
    const bounded = advertisedSizes({ ...input, sizeBound: 256 });
    expect(bounded.every((s) => Math.max(s.width, s.height) <= 256)).toBe(true);
    expect(bounded.length).toBeLessThan(4);
    expect(advertisedSizes(input).some((s) => s.width > 400)).toBe(true);
  });

  it('leaves sizes alone when no client would misread them, and without tiles', () => {
    const thumbs = [{ width: 400, height: 300 }];
    // 1000×750: scale factors [1, 2], maxLevel 1: a single size would be read as level 0.
    expect(
      advertisedSizes({
        id: 'x',
        width: 1000,
        height: 750,
        tileSize: 512,
        scaleFactors: [1, 2],
        sizes: thumbs,
      }),
    ).toEqual([
      { width: 400, height: 300 },
      { width: 500, height: 375 },
      { width: 1000, height: 750 },
    ]);
    const three = [
      { width: 100, height: 75 },
      { width: 200, height: 150 },
      { width: 400, height: 300 },
    ];
    expect(
      advertisedSizes({
        id: 'x',
        width: 1000,
        height: 750,
        tileSize: 512,
        scaleFactors: [1, 2],
        sizes: three,
      }),
    ).toEqual(three);
    expect(
      advertisedSizes({ id: 'x', width: 1000, height: 750, tileSize: 0, scaleFactors: [], sizes: thumbs }),
    ).toEqual(thumbs);
    expect(
      advertisedSizes({ id: 'x', width: 1000, height: 750, tileSize: 512, scaleFactors: [1, 2] }),
    ).toEqual([]);
  });

  it('is read correctly for every image size from 100 to 12,000 px with the default thumbnails (v3 and v2)', () => {
    const wrong: string[] = [];
    for (let width = 100; width <= 12_000; width += 37) {
      for (const ratio of [0.3, 0.75, 1, 1.33, 2.5]) {
        const height = Math.max(1, Math.round(width * ratio));
        const scaleFactors = scaleFactorsFor(width, height, 512);
        const sizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, width, height);
        const input = { id: 'x', width, height, tileSize: 512, scaleFactors, sizes };
        for (const info of [buildImageInfoV3(input), buildImageInfoV2(input)] as never[]) {
          if (osdLevelWidths(info).join() !== trueLevelWidths(width, scaleFactors).join())
            wrong.push(`${width}×${height}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
