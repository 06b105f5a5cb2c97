import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { canonicalTileFor, parseImageRequest, scaleFactorsFor } from '@vellum/iiif';
import { fixturePath } from '@vellum/testing';
import sharp from 'sharp';
import type { DeliveryEnv } from './env';
import { cropJpegTopLeft } from './jpeg-crop';
import type { PyramidLease } from './pyramid-cache.service';
import { PyramidFile } from './pyramid-file';
import { ADOBE_APP14_RGB, assembleJpeg, StoredTileError, tableSegments } from './stored-jpeg-tile';
import { type OutputSpec, TileRenderer } from './tile-renderer.service';

const PYRAMID = {
  tile: true,
  pyramid: true,
  tileWidth: 512,
  tileHeight: 512,
  compression: 'jpeg',
  quality: 85,
} as const;

/** Mean absolute difference per channel value of two decoded images of the same size. */
async function mad(
  a: Buffer | sharp.Sharp,
  b: Buffer | sharp.Sharp,
): Promise<{ mad: number; width: number; height: number }> {
  const ra = await (Buffer.isBuffer(a) ? sharp(a) : a)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rb = await (Buffer.isBuffer(b) ? sharp(b) : b)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect([ra.info.width, ra.info.height, ra.info.channels]).toEqual([
    rb.info.width,
    rb.info.height,
    rb.info.channels,
  ]);
  let sum = 0;
  for (let i = 0; i < ra.data.length; i++) sum += Math.abs(ra.data[i] - rb.data[i]);
  return { mad: sum / ra.data.length, width: ra.info.width, height: ra.info.height };
}

describe('stored JPEG tiles', () => {
  let dir: string;
  let ycc: string;
  let rgb: string;
  let deflate: string;
  let W = 0;
  let H = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-stored-tiles-'));
    const meta = await sharp(fixturePath('photo-large.jpg')).metadata();
    W = meta.width;
    H = meta.height;
    ycc = path.join(dir, 'ycc.tif');
    rgb = path.join(dir, 'rgb.tif');
    deflate = path.join(dir, 'deflate.tif');
    await writeFile(ycc, await sharp(fixturePath('photo-large.jpg')).tiff(PYRAMID).toBuffer());
    // libvips writes quality ≥ 90 as RGB-coded JPEG tiles (photometric 2).
    await writeFile(
      rgb,
      await sharp(fixturePath('photo-large.jpg'))
        .resize(1500)
        .tiff({ ...PYRAMID, quality: 95 })
        .toBuffer(),
    );
    await writeFile(
      deflate,
      await sharp(fixturePath('photo-large.jpg'))
        .resize(1500)
        .tiff({ ...PYRAMID, compression: 'deflate' })
        .toBuffer(),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('assembles interior tiles of several levels into JPEGs that decode to the pixels of the TIFF page', async () => {
    const file = await PyramidFile.open(ycc);
    try {
      for (const [level, col, row] of [
        [0, 0, 0],
        [0, 3, 2],
        [0, 9, 4],
        [1, 2, 1],
        [2, 1, 0],
      ]) {
        const jpeg = await file.readTileJpeg(level, col, row);
        expect(jpeg.readUInt16BE(0)).toBe(0xffd8);
        expect(jpeg.readUInt16BE(jpeg.length - 2)).toBe(0xffd9);
        expect(jpeg.includes(ADOBE_APP14_RGB)).toBe(false);
        const fromTiff = sharp(ycc, { page: level }).extract({
          left: col * 512,
          top: row * 512,
          width: 512,
          height: 512,
        });
        const diff = await mad(jpeg, fromTiff);
        expect({ level, col, row, ...diff }).toEqual({ level, col, row, mad: 0, width: 512, height: 512 });
      }
    } finally {
      await file.close();
    }
  });

  it('adds an Adobe APP14 (transform 0) to RGB-coded tiles so they decode as RGB', async () => {
    const file = await PyramidFile.open(rgb);
    try {
      expect(file.index.pages[0].photometric).toBe(2);
      const jpeg = await file.readTileJpeg(0, 1, 0);
      expect(jpeg.includes(ADOBE_APP14_RGB)).toBe(true);
      const diff = await mad(
        jpeg,
        sharp(rgb, { page: 0 }).extract({ left: 512, top: 0, width: 512, height: 512 }),
      );
      expect(diff.mad).toBeLessThan(0.01);
      // libjpeg also recognises RGB by the component ids 'R','G','B' that libtiff writes; the marker is for decoders
      // that only read the Adobe transform (ITU T.872).
      const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
      expect([jpeg[sof + 10], jpeg[sof + 13], jpeg[sof + 16]]).toEqual([0x52, 0x47, 0x42]);
    } finally {
      await file.close();
    }
  });

  it('crops padded edge tiles losslessly to their top-left corner', async () => {
    const file = await PyramidFile.open(ycc);
    try {
      for (const [level, col, row] of [
        [0, 10, 0],
        [0, 0, 5],
        [0, 10, 5],
        [1, 5, 1],
        [2, 2, 1],
      ]) {
        const page = file.index.pages[level];
        const w = Math.min(512, page.width - col * 512);
        const h = Math.min(512, page.height - row * 512);
        expect(w < 512 || h < 512).toBe(true);
        const jpeg = await file.readTileJpeg(level, col, row);
        const cropped = cropJpegTopLeft(jpeg, w, h);
        expect(cropped).toBeDefined();
        const diff = await mad(
          cropped!,
          sharp(ycc, { page: level }).extract({ left: col * 512, top: row * 512, width: w, height: h }),
        );
        // Identical blocks; only chroma upsampling at the new right/bottom edge may differ by a level or two.
        expect({ level, col, row, width: diff.width, height: diff.height }).toEqual({
          level,
          col,
          row,
          width: w,
          height: h,
        });
        expect(diff.mad).toBeLessThan(0.2);
      }
    } finally {
      await file.close();
    }
  });

  it('leaves streams it cannot crop losslessly to the caller (progressive JPEG, garbage)', async () => {
    const progressive = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect(cropJpegTopLeft(progressive, 10, 10)).toBeUndefined();
    expect(cropJpegTopLeft(Buffer.from([0xff, 0xd8, 0x00, 0x00]), 10, 10)).toBeUndefined();
    const baseline = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
      .jpeg({ mozjpeg: false })
      .toBuffer();
    const cropped = cropJpegTopLeft(baseline, 20, 30);
    expect(await sharp(cropped).metadata()).toMatchObject({ width: 20, height: 30 });
    expect(cropJpegTopLeft(baseline, 65, 10)).toBeUndefined();
  });

  it('refuses tiles of pages that are not JPEG, tiles outside the grid and malformed tables', async () => {
    const file = await PyramidFile.open(deflate);
    try {
      expect(file.servablePage(0)).toMatch(/compression 8/);
      await expect(file.readTileJpeg(0, 0, 0)).rejects.toThrow(StoredTileError);
    } finally {
      await file.close();
    }
    const good = await PyramidFile.open(ycc);
    try {
      await expect(good.readTileJpeg(0, 11, 0)).rejects.toThrow(/outside/);
      await expect(good.readTileJpeg(9, 0, 0)).rejects.toThrow(StoredTileError);
    } finally {
      await good.close();
    }
    expect(() => tableSegments(Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 2]))).toThrow(/unexpected marker/);
    expect(() => tableSegments(Buffer.from([0x00, 0x00]))).toThrow(/SOI/);
    expect(() => assembleJpeg(Buffer.from([0xff, 0xd8]), Buffer.from([1, 2, 3, 4]))).toThrow(/SOI/);
  });

  describe('TileRenderer.renderCanonicalTile', () => {
    const renderer = new TileRenderer({
      VELLUM_SHARP_CONCURRENCY: 1,
      VELLUM_SHARP_CACHE_MB: 0,
    } as DeliveryEnv);
    const jpg: Omit<OutputSpec, 'width' | 'height'> = {
      degrees: 0,
      mirror: false,
      quality: 'default',
      format: 'jpg',
    };

    const opened: Array<Promise<PyramidFile>> = [];
    function lease(file: string): PyramidLease {
      let mine: Promise<PyramidFile> | undefined;
      return {
        path: file,
        file: () => {
          if (!mine) opened.push((mine = PyramidFile.open(file)));
          return mine;
        },
        release: () => undefined,
      };
    }

    afterAll(async () => {
      for (const f of await Promise.allSettled(opened)) if (f.status === 'fulfilled') await f.value.close();
    });

    function tileOf(region: string, size: string, w = W, h = H) {
      const req = parseImageRequest(3, region, size, '0', 'default.jpg');
      return canonicalTileFor(req, w, h, 512, scaleFactorsFor(w, h, 512));
    }

    it('serves interior tiles from the stored bytes, edge tiles cropped, and renders the rest', async () => {
      const full = { width: W, height: H };
      const l = lease(ycc);
      const inner = tileOf('1024,512,512,512', '512,')!;
      const stored = await renderer.renderCanonicalTile(
        l,
        full,
        { x: 1024, y: 512, w: 512, h: 512 },
        inner,
        512,
        { ...jpg, width: 512, height: 512 },
      );
      expect(stored.source).toBe('stored');
      expect(stored.body).toEqual(await (await l.file()).readTileJpeg(0, 2, 1));

      const edge = tileOf('5120,0,192,512', '192,')!;
      const cropped = await renderer.renderCanonicalTile(
        l,
        full,
        { x: 5120, y: 0, w: 192, h: 512 },
        edge,
        512,
        { ...jpg, width: 192, height: 512 },
      );
      expect(cropped.source).toBe('cropped');
      expect(await sharp(cropped.body).metadata()).toMatchObject({ width: 192, height: 512, format: 'jpeg' });

      // Gray quality or a rotation: not the stored bytes.
      const gray = await renderer.renderCanonicalTile(
        l,
        full,
        { x: 1024, y: 512, w: 512, h: 512 },
        inner,
        512,
        { ...jpg, quality: 'gray', width: 512, height: 512 },
      );
      expect(gray.source).toBe('rendered');
      expect((await sharp(gray.body).metadata()).channels).toBe(1);
    });

    it('falls back to rendering for a pyramid whose tiles are not JPEG, or that is not a TIFF', async () => {
      const w = 1500;
      const h = Math.round((1500 * H) / W);
      const meta = await sharp(deflate).metadata();
      expect(meta.width).toBe(w);
      const tile = tileOf('512,0,512,512', '512,', meta.width, meta.height)!;
      const out = await renderer.renderCanonicalTile(
        lease(deflate),
        { width: meta.width, height: meta.height },
        { x: 512, y: 0, w: 512, h: 512 },
        tile,
        512,
        { ...jpg, width: 512, height: 512 },
      );
      expect(out.source).toBe('rendered');
      expect(await sharp(out.body).metadata()).toMatchObject({ width: 512, height: 512, format: 'jpeg' });
      expect(h).toBeGreaterThan(0);
      const broken: PyramidLease = {
        path: ycc,
        file: () => Promise.reject(new Error('not a TIFF')),
        release: () => undefined,
      };
      const inner = tileOf('0,0,512,512', '512,')!;
      const rendered = await renderer.renderCanonicalTile(
        broken,
        { width: W, height: H },
        { x: 0, y: 0, w: 512, h: 512 },
        inner,
        512,
        { ...jpg, width: 512, height: 512 },
      );
      expect(rendered.source).toBe('rendered');
    });
  });
});
