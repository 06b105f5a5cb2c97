import {
  fitWithin,
  largestOpenThumbnail,
  memberImage,
  pdfPageSource,
  zipEntrySource,
} from './projection-sources';

const thumbs = {
  bucket: 'vellum-thumbs',
  open: [
    [400, 225],
    [1024, 576],
    [200, 113],
  ],
  auth: [[2048, 1152]],
  keys: {
    '400,225': '2/1/a/full/400,225/0/default.jpg',
    '1024,576': '2/1/a/full/1024,576/0/default.jpg',
    '200,113': '2/1/a/full/200,113/0/default.jpg',
    '2048,1152': '2/1/a/full/2048,1152/0/default.jpg',
  },
};
const pyramid = { bucket: 'vellum-derivatives', key: '2/1/a/image.tif', size: 10, tileSize: 512 };
const asset = (
  derivatives: unknown,
  roles: string[] = [],
  width: number | null = 5312,
  height: number | null = 2988,
) => ({
  derivatives: derivatives as never,
  width,
  height,
  roles,
});

describe('largestOpenThumbnail', () => {
  it('picks the largest open size that has a key (never an auth one)', () => {
    expect(largestOpenThumbnail({ thumbnails: thumbs })).toEqual({
      bucket: 'vellum-thumbs',
      key: '2/1/a/full/1024,576/0/default.jpg',
      width: 1024,
      height: 576,
    });
  });

  it.each([
    ['no derivatives', null],
    ['no thumbnails', { pyramid }],
    ['no open sizes', { thumbnails: { ...thumbs, open: [] } }],
    ['sizes without keys', { thumbnails: { ...thumbs, keys: {} } }],
    ['malformed sizes', { thumbnails: { ...thumbs, open: [[0, 10], 'x', [10]] } }],
    ['no bucket', { thumbnails: { ...thumbs, bucket: undefined } }],
  ])('is undefined with %s', (_what, d) => {
    expect(largestOpenThumbnail(d)).toBeUndefined();
  });
});

describe('fitWithin', () => {
  it.each([
    [5312, 2988, 1000, 1000, 563],
    [2988, 5312, 1000, 563, 1000],
    [800, 600, 1000, 800, 600],
    [1000, 1000, 1000, 1000, 1000],
    [10000, 1, 1000, 1000, 1],
  ])('%i×%i in %i → %i×%i', (w, h, max, ew, eh) => {
    expect(fitWithin(w, h, max)).toEqual({ width: ew, height: eh });
  });
});

describe('memberImage, pdfPageSource, zipEntrySource', () => {
  it('uses the largest open thumbnail', () => {
    const a = asset({ thumbnails: thumbs, pyramid });
    expect(memberImage(a)).toMatchObject({ kind: 'thumbnail', width: 1024, height: 576 });
    expect(pdfPageSource(a)).toMatchObject({ kind: 'image', image: { kind: 'thumbnail', width: 1024 } });
    expect(zipEntrySource(a)).toMatchObject({ kind: 'thumbnail', key: '2/1/a/full/1024,576/0/default.jpg' });
  });

  it('renders at most 1,000 px from the tile source without a thumbnail', () => {
    const a = asset({ pyramid });
    const render = {
      kind: 'render',
      bucket: 'vellum-derivatives',
      key: '2/1/a/image.tif',
      sourceWidth: 5312,
      sourceHeight: 2988,
      width: 1000,
      height: 563,
    };
    expect(memberImage(a)).toEqual(render);
    expect(pdfPageSource(a)).toEqual({ kind: 'image', image: render });
    expect(zipEntrySource(a)).toEqual(render);
    // A use-original origin is the tile source too; a small one is not upscaled.
    expect(memberImage(asset({ pyramid: { ...pyramid, useOriginal: true } }, [], 640, 480))).toMatchObject({
      kind: 'render',
      width: 640,
      height: 480,
    });
  });

  it('redacts an asset with roles in the PDF, at the size its picture would have', () => {
    expect(pdfPageSource(asset({ thumbnails: thumbs }, ['https://example.org/role/staff']))).toEqual({
      kind: 'redacted',
      width: 1024,
      height: 576,
    });
    expect(pdfPageSource(asset({ pyramid }, ['r']))).toEqual({ kind: 'redacted', width: 1000, height: 563 });
    expect(pdfPageSource(asset(null, ['r'], null, null))).toEqual({
      kind: 'redacted',
      width: 1000,
      height: 1000,
    });
  });

  it('puts a restricted asset in the ZIP only through its open thumbnails', () => {
    expect(zipEntrySource(asset({ thumbnails: thumbs, pyramid }, ['r']))).toMatchObject({
      kind: 'thumbnail',
    });
    expect(zipEntrySource(asset({ pyramid }, ['r']))).toBeUndefined();
  });

  it('gives a text page and no entry to an asset without a picture (AV, files)', () => {
    expect(memberImage(asset({ original: { bucket: 'b', key: 'k' } }, [], null, null))).toEqual({
      kind: 'none',
    });
    expect(pdfPageSource(asset(null, [], null, null))).toEqual({
      kind: 'no-image',
      width: 1000,
      height: 1000,
    });
    expect(pdfPageSource(asset({ transcodes: [] }, [], 1920, 1080))).toEqual({
      kind: 'no-image',
      width: 1000,
      height: 563,
    });
    expect(zipEntrySource(asset(null, [], null, null))).toBeUndefined();
    // A pyramid without dimensions cannot be rendered.
    expect(memberImage(asset({ pyramid }, [], null, null))).toEqual({ kind: 'none' });
  });
});
