import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { scaleFactorsFor } from '@vellum/iiif';
import { fixturePath } from '@vellum/testing';
import { UnprocessableImageError } from './image-errors';
import { ImagePipelineService, PipelineRequest, PipelineResult } from './image-pipeline.service';
import { defaultImageProcessorConfig } from './image-processor.config';
import { MediaRepository } from './media.repository';
import { inspectTiff } from './tiff-inspect';

const DEFAULT_SIZES = ['!1024,1024', '!400,400', '!200,200', '!100,100'];

describe('ImagePipelineService (real sharp, real OpenJPEG, real fixtures)', () => {
  const media = new MediaRepository();
  const pipeline = new ImagePipelineService(media, defaultImageProcessorConfig());
  let root: string;
  let n = 0;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vellum-pipeline-spec-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** Copies the fixture to an extension-less file (the handler downloads to `source`: bytes decide, not names). */
  async function run(
    fixture: string,
    extra: Partial<PipelineRequest> = {},
    mediaType = 'image/jpeg',
    svc = pipeline,
  ): Promise<PipelineResult> {
    const workDir = await mkdtemp(path.join(root, `job-${n++}-`));
    const sourceFile = path.join(workDir, 'source');
    await copyFile(fixturePath(fixture), sourceFile);
    return svc.run({
      sourceFile,
      mediaType,
      workDir,
      pyramid: { tileSize: 512 },
      thumbnails: { sizes: DEFAULT_SIZES },
      ...extra,
    });
  }

  async function expectPyramidMatchesScaleFactors(r: PipelineResult): Promise<void> {
    const sf = scaleFactorsFor(r.width, r.height, 512);
    expect(r.pyramid!.scaleFactors).toEqual(sf);
    const meta = await sharp(r.pyramid!.file).metadata();
    expect(meta.pages).toBe(sf.length);
    expect(meta.format).toBe('tiff');
    const ifds = await inspectTiff(r.pyramid!.file);
    expect(ifds).toHaveLength(sf.length);
    for (let i = 0; i < sf.length; i++) {
      const page = await sharp(r.pyramid!.file, { page: i }).metadata();
      const w = Math.floor(r.width / sf[i]);
      const h = Math.floor(r.height / sf[i]);
      expect([page.width, page.height, page.channels, page.space]).toEqual([w, h, 3, 'srgb']);
      // One 512×512 JPEG tile per grid cell of the level: a canonical tile request maps to one stored tile.
      expect(ifds[i]).toMatchObject({ width: w, height: h, tileWidth: 512, tileHeight: 512, compression: 7 });
      expect(ifds[i].tileCount).toBe(Math.ceil(w / 512) * Math.ceil(h / 512));
    }
  }

  async function expectJpeg(data: Buffer, w: number, h: number): Promise<void> {
    const m = await sharp(data).metadata();
    expect([m.format, m.width, m.height, m.isProgressive, m.channels]).toEqual(['jpeg', w, h, false, 3]);
  }

  it('photo-large.jpg (16 MP): pyramid levels = scaleFactorsFor, 4 thumbnails, largest first', async () => {
    const r = await run('photo-large.jpg');
    expect([r.format, r.width, r.height]).toEqual(['jpeg', 5312, 2988]);
    expect(r.pyramid!.levels.map((l) => `${l.width}x${l.height}`)).toEqual([
      '5312x2988',
      '2656x1494',
      '1328x747',
      '664x373',
      '332x186',
    ]);
    expect(r.pyramid!.scaleFactors).toEqual([1, 2, 4, 8, 16]);
    await expectPyramidMatchesScaleFactors(r);
    expect(r.thumbnails.map((t) => [t.width, t.height])).toEqual([
      [1024, 576],
      [400, 225],
      [200, 113],
      [100, 56],
    ]);
    expect(r.open).toEqual([
      [1024, 576],
      [400, 225],
      [200, 113],
      [100, 56],
    ]);
    expect(r.auth).toEqual([]);
    for (const t of r.thumbnails) await expectJpeg(t.data, t.width, t.height);
  });

  it('exif-orientation-6.jpg comes out upright, 1800×1200, in the pyramid and the thumbnails', async () => {
    const r = await run('exif-orientation-6.jpg');
    expect([r.width, r.height]).toEqual([1800, 1200]);
    await expectPyramidMatchesScaleFactors(r);
    expect(r.thumbnails[0]).toMatchObject({ width: 1024, height: 683 });
    await expectJpeg(r.thumbnails[0].data, 1024, 683);
  });

  it('png-alpha.png: alpha flattened onto white, 592×1167', async () => {
    const r = await run('png-alpha.png', {}, 'image/png');
    expect([r.format, r.width, r.height]).toEqual(['png', 592, 1167]);
    await expectPyramidMatchesScaleFactors(r);
    expect(r.thumbnails.map((t) => [t.width, t.height])).toEqual([
      [519, 1024],
      [203, 400],
      [101, 200],
      [51, 100],
    ]);
    // Transparent pixels became white, not black: find the alpha-0 pixels in the source and check them in level 0.
    const src = await sharp(fixturePath('png-alpha.png'))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const out = await sharp(r.pyramid!.file, { page: 0 }).raw().toBuffer({ resolveWithObject: true });
    expect(out.info.channels).toBe(3);
    let transparent = 0;
    let whiteish = 0;
    for (let p = 0; p < src.info.width * src.info.height; p += 97) {
      if (src.data[p * 4 + 3] === 0) {
        transparent++;
        const [r0, g0, b0] = [out.data[p * 3], out.data[p * 3 + 1], out.data[p * 3 + 2]];
        if (r0 > 235 && g0 > 235 && b0 > 235) whiteish++;
      }
    }
    expect(transparent).toBeGreaterThan(0);
    expect(whiteish / transparent).toBeGreaterThan(0.95);
  });

  it('tiff-lzw.tif decodes', async () => {
    const r = await run('tiff-lzw.tif', {}, 'image/tiff');
    expect([r.format, r.width, r.height]).toEqual(['tiff', 1165, 859]);
    await expectPyramidMatchesScaleFactors(r);
  });

  it('scan.jp2 decodes through OpenJPEG (2717×3701), detected by its bytes', async () => {
    const t0 = Date.now();
    const r = await run('scan.jp2', {}, 'image/jp2');
    const ms = Date.now() - t0;
    expect([r.format, r.width, r.height]).toEqual(['jp2', 2717, 3701]);
    await expectPyramidMatchesScaleFactors(r);
    expect(r.thumbnails[0]).toMatchObject({ width: 752, height: 1024 });
    expect(ms).toBeLessThan(20_000);
  });

  it('scan.jp2 declared as application/octet-stream is still JPEG 2000', async () => {
    const r = await run(
      'scan.jp2',
      { pyramid: undefined, thumbnails: { sizes: ['!100,100'] } },
      'application/octet-stream',
    );
    expect([r.format, r.width, r.height]).toEqual(['jp2', 2717, 3701]);
    expect(r.thumbnails.map((t) => [t.width, t.height])).toEqual([[73, 100]]);
  });

  it('cmyk.jpg is converted to sRGB with sane colours (not inverted)', async () => {
    const r = await run('cmyk.jpg');
    expect([r.width, r.height]).toEqual([600, 400]);
    await expectPyramidMatchesScaleFactors(r);
    const stats = await sharp(r.pyramid!.file, { page: 0 }).stats();
    expect(stats.channels).toHaveLength(3);
    const [red, , blue] = stats.channels.map((c) => c.mean);
    expect(red).toBeGreaterThan(blue);
    const thumb = await sharp(r.thumbnails[0].data).stats();
    expect(thumb.channels[0].mean).toBeGreaterThan(thumb.channels[2].mean);
  });

  it('grayscale.png becomes 3-band sRGB', async () => {
    const r = await run('grayscale.png', {}, 'image/png');
    expect([r.width, r.height]).toEqual([512, 512]);
    expect(r.pyramid!.scaleFactors).toEqual([1]);
    await expectPyramidMatchesScaleFactors(r);
    expect(r.thumbnails.map((t) => [t.width, t.height])).toEqual([
      [512, 512],
      [400, 400],
      [200, 200],
      [100, 100],
    ]);
  });

  it('corrupt-truncated.jpg fails permanently with a clear message', async () => {
    const err = await run('corrupt-truncated.jpg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as UnprocessableImageError).reason).toBe('corrupt');
    expect((err as Error).message).toMatch(/^Corrupt or truncated image: VipsJpeg: premature end of JPEG/);
  });

  it('a truncated JPEG 2000 fails permanently', async () => {
    const workDir = await mkdtemp(path.join(root, 'jp2-trunc-'));
    const sourceFile = path.join(workDir, 'source');
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(fixturePath('scan.jp2')));
    await writeFile(sourceFile, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const err = await pipeline
      .run({ sourceFile, mediaType: 'image/jp2', workDir, pyramid: { tileSize: 512 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as Error).message).toMatch(/^Corrupt or truncated image: /);
  });

  it.each([
    [
      'BMP',
      Buffer.concat([Buffer.from('BM'), Buffer.alloc(12), Buffer.from([40, 0, 0, 0]), Buffer.alloc(100)]),
      'image/bmp',
      'Unsupported format: image/bmp',
    ],
    [
      'SVG (not an input, SPEC.md §4.3)',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      'image/svg+xml',
      'Unsupported format: image/svg+xml',
    ],
    [
      'text declared as a custom image type: the detected type is named, not the declared one',
      Buffer.from('hello, this is not an image at all'),
      'image/x-custom',
      'Unsupported format: text/plain',
    ],
  ])('%s input is an unsupported format, permanently', async (_label, bytes, mediaType, message) => {
    const workDir = await mkdtemp(path.join(root, 'unsup-'));
    const sourceFile = path.join(workDir, 'source');
    await writeFile(sourceFile, bytes);
    const err = await pipeline
      .run({ sourceFile, mediaType, workDir, pyramid: { tileSize: 512 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as UnprocessableImageError).reason).toBe('unsupported');
    expect((err as Error).message).toBe(message);
  });

  it('an empty (0-byte) input fails permanently as empty, not as an unsupported format', async () => {
    const workDir = await mkdtemp(path.join(root, 'empty-'));
    const sourceFile = path.join(workDir, 'source');
    await writeFile(sourceFile, Buffer.alloc(0));
    const err = await pipeline
      .run({ sourceFile, mediaType: 'image/jpeg', workDir, pyramid: { tileSize: 512 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as UnprocessableImageError).reason).toBe('empty');
    expect((err as Error).message).toBe('The origin file is empty (0 bytes)');
  });

  it('refuses images over VELLUM_MAX_IMAGE_PIXELS (decompression-bomb guard), also JPEG 2000 before decoding', async () => {
    const small = new ImagePipelineService(media, defaultImageProcessorConfig({ maxImagePixels: 1_000_000 }));
    const err = await run('photo-large.jpg', {}, 'image/jpeg', small).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as UnprocessableImageError).reason).toBe('too-large');
    expect((err as Error).message).toBe(
      'Image too large: 5312×2988 = 15872256 pixels exceeds the limit of 1000000 pixels (VELLUM_MAX_IMAGE_PIXELS)',
    );
    const jp2 = await run('scan.jp2', {}, 'image/jp2', small).catch((e: unknown) => e);
    expect((jp2 as UnprocessableImageError).reason).toBe('too-large');
  });

  it('thumbnail sizes follow thumbnailSizesFor: maxWidth caps, openMax splits open/auth', async () => {
    const r = await run('photo-large.jpg', {
      pyramid: undefined,
      thumbnails: {
        sizes: ['!1024,1024', '!400,400', '!200,200', '!100,100', '300,'],
        maxWidth: 800,
        openMax: 250,
      },
    });
    expect(r.pyramid).toBeUndefined();
    expect(r.thumbnails.map((t) => [t.width, t.height, t.open])).toEqual([
      [800, 450, false],
      [400, 225, false],
      [300, 169, false],
      [200, 113, true],
      [100, 56, true],
    ]);
    expect(r.open).toEqual([
      [200, 113],
      [100, 56],
    ]);
    expect(r.auth).toEqual([
      [800, 450],
      [400, 225],
      [300, 169],
    ]);
    for (const t of r.thumbnails) await expectJpeg(t.data, t.width, t.height);
  });

  it('a small master never gets upscaled thumbnails (duplicates collapse)', async () => {
    const r = await run('cmyk.jpg', { pyramid: undefined });
    expect(r.thumbnails.map((t) => [t.width, t.height])).toEqual([
      [600, 400],
      [400, 267],
      [200, 133],
      [100, 67],
    ]);
  });
});
