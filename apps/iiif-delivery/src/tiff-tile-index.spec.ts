import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { levelDimensions, scaleFactorsFor } from '@vellum/iiif';
import { fixturePath } from '@vellum/testing';
import sharp from 'sharp';
import { passthroughIneligibility } from './stored-jpeg-tile';
import { readTiffTileIndex, type RangeReader, TiffFormatError } from './tiff-tile-index';

/** The image-processor's pyramid options (apps/image-processor/README.md "Pyramid layout"). */
const PYRAMID = {
  tile: true,
  pyramid: true,
  tileWidth: 512,
  tileHeight: 512,
  compression: 'jpeg',
  quality: 85,
} as const;

function reader(buf: Buffer): RangeReader {
  return async (offset, length) => buf.subarray(offset, offset + length);
}

describe('readTiffTileIndex', () => {
  let pyramid: Buffer;
  let W = 0;
  let H = 0;

  beforeAll(async () => {
    const meta = await sharp(fixturePath('photo-large.jpg')).metadata();
    W = meta.width;
    H = meta.height;
    pyramid = await sharp(fixturePath('photo-large.jpg')).tiff(PYRAMID).toBuffer();
  });

  it('indexes every page of a libvips pyramid: floor-rounded levels, 512 JPEG tiles, YCbCr, shared tables', async () => {
    const index = await readTiffTileIndex(reader(pyramid), pyramid.length);
    expect(index).toMatchObject({ littleEndian: true, bigTiff: false });
    const factors = scaleFactorsFor(W, H, 512);
    expect(index.pages).toHaveLength(factors.length);
    index.pages.forEach((page, k) => {
      const level = levelDimensions(W, H, factors[k]);
      expect(factors[k]).toBe(2 ** k);
      expect(page).toMatchObject({
        width: level.w,
        height: level.h,
        tileWidth: 512,
        tileHeight: 512,
        tilesAcross: Math.ceil(level.w / 512),
        tilesDown: Math.ceil(level.h / 512),
        compression: 7,
        photometric: 6,
        samplesPerPixel: 3,
        bitsPerSample: 8,
        planarConfiguration: 1,
      });
      expect(page.tileOffsets).toHaveLength(page.tilesAcross * page.tilesDown);
      expect(page.tileByteCounts).toHaveLength(page.tilesAcross * page.tilesDown);
      // Every tile is an abbreviated JPEG stream (SOI ... EOI) inside the file.
      for (let i = 0; i < page.tileOffsets.length; i++) {
        const at = page.tileOffsets[i];
        const end = at + page.tileByteCounts[i];
        expect(pyramid.readUInt16BE(at)).toBe(0xffd8);
        expect(pyramid.readUInt16BE(end - 2)).toBe(0xffd9);
      }
      expect(page.jpegTables?.readUInt16BE(0)).toBe(0xffd8);
      expect(passthroughIneligibility(page)).toBeUndefined();
    });
  });

  it('reads through positioned reads only (never the whole file)', async () => {
    const lengths: number[] = [];
    await readTiffTileIndex(async (offset, length) => {
      lengths.push(length);
      return pyramid.subarray(offset, offset + length);
    }, pyramid.length);
    expect(Math.max(...lengths)).toBeLessThan(4096);
  });

  it('reads BigTIFF', async () => {
    const big = await sharp(fixturePath('photo-large.jpg'))
      .resize(1200)
      .tiff({ ...PYRAMID, bigtiff: true })
      .toBuffer();
    expect(big.readUInt16LE(2)).toBe(43);
    const index = await readTiffTileIndex(reader(big), big.length);
    expect(index.bigTiff).toBe(true);
    expect(index.pages.map((p) => [p.width, p.compression, p.tileWidth])).toEqual([
      [1200, 7, 512],
      [600, 7, 512],
      [300, 7, 512],
    ]);
  });

  it('marks a deflate-compressed pyramid as not servable as JPEG', async () => {
    const deflate = await sharp(fixturePath('photo-large.jpg'))
      .resize(1200)
      .tiff({ ...PYRAMID, compression: 'deflate' })
      .toBuffer();
    const index = await readTiffTileIndex(reader(deflate), deflate.length);
    expect(index.pages[0].compression).toBe(8);
    expect(passthroughIneligibility(index.pages[0])).toMatch(/not JPEG/);
  });

  it('rejects truncated files and non-TIFF bytes with a TiffFormatError', async () => {
    const truncated = pyramid.subarray(0, Math.floor(pyramid.length / 2));
    await expect(readTiffTileIndex(reader(truncated), truncated.length)).rejects.toThrow(TiffFormatError);
    await expect(readTiffTileIndex(reader(truncated), truncated.length)).rejects.toThrow(/truncated/);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await expect(readTiffTileIndex(reader(jpeg), jpeg.length)).rejects.toThrow(/not a TIFF/);
    await expect(readTiffTileIndex(reader(Buffer.alloc(3)), 3)).rejects.toThrow(TiffFormatError);
    // An IFD chain that points back at itself.
    const loop = Buffer.from(pyramid.subarray(0, 8));
    const ifd = Buffer.alloc(2 + 12 + 4);
    ifd.writeUInt16LE(1, 0);
    ifd.writeUInt16LE(256, 2); // ImageWidth SHORT 1 = 10
    ifd.writeUInt16LE(3, 4);
    ifd.writeUInt32LE(1, 6);
    ifd.writeUInt16LE(10, 10);
    ifd.writeUInt32LE(8, 14);
    loop.writeUInt32LE(8, 4);
    const looped = Buffer.concat([loop, ifd]);
    await expect(readTiffTileIndex(reader(looped), looped.length)).rejects.toThrow(/ImageLength|loops/);
  });

  it('works on a file through a kept-open handle', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vellum-tiff-index-'));
    try {
      const file = path.join(dir, 'p.tif');
      await writeFile(file, pyramid);
      const { PyramidFile } = await import('./pyramid-file');
      const f = await PyramidFile.open(file);
      expect(f.index.pages[0].width).toBe(W);
      await f.close();
      await writeFile(file, pyramid.subarray(0, 1000));
      await expect(PyramidFile.open(file)).rejects.toThrow(TiffFormatError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
