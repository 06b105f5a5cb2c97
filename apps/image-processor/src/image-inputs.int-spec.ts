import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { scaleFactorsFor } from '@vellum/iiif';
import { fixturePath } from '@vellum/testing';
import { UnprocessableImageError } from './image-errors';
import { ImagePipelineService, PipelineRequest, PipelineResult } from './image-pipeline.service';
import { defaultImageProcessorConfig, type ImageProcessorConfig } from './image-processor.config';
import { MediaRepository } from './media.repository';
import { inspectTiff } from './tiff-inspect';

/**
 * Every input kind of SPEC.md §4.3 through the real pipeline: real sharp/libvips, real poppler (`pdfinfo`,
 * `pdftoppm`), real OpenJPEG, real fixtures. Inputs the fixture set lacks are MADE here from fixtures, with sharp:
 * AVIF / AV1-coded HEIF (no HEIF fixture exists), animated GIF/WebP (the fixture GIF has one frame), a multi-page
 * TIFF, and tiny hand-written PDFs (encrypted, no pages, cropped, rotated) that need no PDF library.
 */

const execFileP = promisify(execFile);
const SIZES = ['!1024,1024', '!400,400', '!200,200', '!100,100'];

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vellum-inputs-int-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const media = new MediaRepository();
const pipeline = new ImagePipelineService(media, defaultImageProcessorConfig());

/** Writes `bytes` (or copies a fixture) to an extension-less `source` in a fresh job directory and runs the pipeline. */
async function run(
  input: Buffer | string,
  extra: Partial<PipelineRequest> = {},
  svc: ImagePipelineService = pipeline,
): Promise<PipelineResult> {
  const workDir = await mkdtemp(path.join(root, `job-${n++}-`));
  const sourceFile = path.join(workDir, 'source');
  if (typeof input === 'string') await copyFile(fixturePath(input), sourceFile);
  else await writeFile(sourceFile, input);
  return svc.run({
    sourceFile,
    mediaType: 'image/jpeg', // deliberately wrong for most inputs: the bytes decide
    workDir,
    pyramid: { tileSize: 512 },
    thumbnails: { sizes: SIZES },
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the pipeline to fail');
  return err;
}

/** The pyramid has one 512-px JPEG-tiled level per advertised scale factor (SPEC.md §5), 8-bit sRGB. */
async function expectPyramid(r: PipelineResult): Promise<void> {
  const sf = scaleFactorsFor(r.width, r.height, 512);
  expect(r.pyramid!.scaleFactors).toEqual(sf);
  const pages = await inspectTiff(r.pyramid!.file);
  expect(pages.map((p) => [p.width, p.height, p.tileWidth, p.compression])).toEqual(
    sf.map((f) => [Math.floor(r.width / f), Math.floor(r.height / f), 512, 7]),
  );
  const m = await sharp(r.pyramid!.file).metadata();
  expect([m.channels, m.space, m.depth]).toEqual([3, 'srgb', 'uchar']);
}

/** Thumbnails exist at the sizes `thumbnailSizesFor` gives, as baseline JPEGs of exactly those sizes. */
async function expectThumbnails(r: PipelineResult): Promise<void> {
  const long = Math.max(r.width, r.height);
  const expected = [1024, 400, 200, 100]
    .map((edge) => Math.min(edge, long))
    .filter((edge, i, all) => all.indexOf(edge) === i);
  expect(r.thumbnails.map((t) => Math.max(t.width, t.height))).toEqual(expected);
  for (const t of r.thumbnails) {
    const m = await sharp(t.data).metadata();
    expect([m.format, m.width, m.height, m.channels]).toEqual(['jpeg', t.width, t.height, 3]);
    // Same aspect ratio as the image (within a pixel of rounding).
    expect(Math.abs(t.width / t.height - r.width / r.height)).toBeLessThan(2 / Math.min(t.width, t.height));
  }
}

/** Mean absolute difference (0–255) of two images compared at 64×64 sRGB. */
async function difference(a: Buffer | string, b: Buffer | string): Promise<number> {
  const px = (x: Buffer | string) =>
    sharp(x).resize(64, 64, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const [pa, pb] = await Promise.all([px(a), px(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

// ---------- tiny PDFs, written by hand (PDF 1.4, a correct xref table) ----------

function pdfFile(objects: string[], trailerExtra = ''): Buffer {
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** One page, MediaBox 600×800 pt: a red rectangle bottom-left, a blue one top-right; `pageExtra` adds keys. */
function onePagePdf(pageExtra = '', extraObjects: string[] = [], trailerExtra = ''): Buffer {
  const content = '1 0 0 rg 0 0 300 200 re f 0 0 1 rg 300 200 300 600 re f';
  return pdfFile(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] ${pageExtra} /Contents 4 0 R >>`,
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
      ...extraObjects,
    ],
    trailerExtra,
  );
}

describe('PDF (SPEC.md §4.3: the first page, rendered by poppler at ≥ 2,000 px on the long edge)', () => {
  it('document-multipage.pdf: page 1 of 10 at 172 dpi (1423×2012), pyramid and thumbnails', async () => {
    const r = await run('document-multipage.pdf');
    expect([r.format, r.detectedMediaType, r.width, r.height]).toEqual([
      'pdf',
      'application/pdf',
      1423,
      2012,
    ]);
    expect(r.pdf).toEqual({ dpi: 172, pages: 10 });
    await expectPyramid(r);
    await expectThumbnails(r);
    expect(r.thumbnails[0]).toMatchObject({ width: 724, height: 1024 });

    // It is the FIRST page: the largest thumbnail looks like poppler's own page 1 at the same resolution (thin
    // staff lines thicken at low DPI), clearly less like page 2.
    const page = async (p: number): Promise<string> => {
      const prefix = path.join(root, `ref-${p}`);
      const pdf = fixturePath('document-multipage.pdf');
      await execFileP('pdftoppm', [
        '-f',
        `${p}`,
        '-l',
        `${p}`,
        '-singlefile',
        '-cropbox',
        '-r',
        '172',
        '-png',
        pdf,
        prefix,
      ]);
      return `${prefix}.png`;
    };
    const d1 = await difference(r.thumbnails[0].data, await page(1));
    const d2 = await difference(r.thumbnails[0].data, await page(2));
    expect(d1).toBeLessThan(d2 / 2);
  });

  it('renders the crop box, and honours the page rotation', async () => {
    // Crop box 300×400 pt → 360 dpi gives 2,000 px on the long edge.
    const cropped = await run(onePagePdf('/CropBox [0 0 300 400]'));
    expect([cropped.width, cropped.height, cropped.pdf!.dpi]).toEqual([1500, 2000, 360]);
    // The crop box holds the red rectangle (bottom-left) and a corner of the blue one: mostly red, some blue.
    const stats = await sharp(cropped.pyramid!.file).stats();
    expect(stats.channels[0].mean).toBeGreaterThan(stats.channels[2].mean);

    const rotated = await run(onePagePdf('/Rotate 90'));
    expect([rotated.width, rotated.height, rotated.pdf!.dpi]).toEqual([2000, 1500, 180]);
    await expectPyramid(rotated);
    await expectThumbnails(rotated);
  });

  it.each<[string, () => Buffer | Promise<Buffer>, RegExp]>([
    [
      'not a PDF past its header',
      () => Buffer.from('%PDF-1.4\nthis is not really a pdf\n'),
      /^Unsupported or corrupt PDF: Couldn't find trailer dictionary$/,
    ],
    [
      'truncated (the fixture cut at 3,000 bytes)',
      async () => (await readFile(fixturePath('document-multipage.pdf'))).subarray(0, 3000),
      /^Unsupported or corrupt PDF: Couldn't find trailer dictionary$/,
    ],
    [
      'encrypted with a user password',
      () =>
        onePagePdf(
          '',
          [
            `<< /Filter /Standard /V 1 /R 2 /O <${randomBytes(32).toString('hex')}> /U <${randomBytes(32).toString('hex')}> /P -4 >>`,
          ],
          `/Encrypt 5 0 R /ID [<${randomBytes(16).toString('hex')}> <${randomBytes(16).toString('hex')}>] `,
        ),
      /^Unsupported or corrupt PDF: the PDF is encrypted and cannot be opened without its password$/,
    ],
    [
      'without pages',
      () => pdfFile(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']),
      /^Unsupported or corrupt PDF: /,
    ],
  ])('a PDF %s → an asset error, no retry', async (_label, make, message) => {
    const bytes = await make();
    const err = await failure(run(bytes, { mediaType: 'application/pdf' }));
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(root); // no temp paths in an asset's error
  });

  it('poppler missing or too slow → a plain Error (retried), not an asset error', async () => {
    const missing = new ImagePipelineService(
      new MediaRepository({ pdfinfo: '/nonexistent/pdfinfo' }),
      defaultImageProcessorConfig(),
    );
    const e1 = await failure(run('document-multipage.pdf', {}, missing));
    expect(e1).not.toBeInstanceOf(UnprocessableImageError);
    expect(e1.message).toBe(
      'PDF renderer not installed (/nonexistent/pdfinfo; Debian package poppler-utils)',
    );

    // No process can start, read a PDF and exit within 1 ms: the child is killed at its timeout.
    const config: Partial<ImageProcessorConfig> = { decodeTimeoutMs: 1 };
    const slow = new ImagePipelineService(new MediaRepository(config), defaultImageProcessorConfig(config));
    const e2 = await failure(run('document-multipage.pdf', {}, slow));
    expect(e2).not.toBeInstanceOf(UnprocessableImageError);
    expect(e2.message).toMatch(/^PDF rendering \(pdfinfo\) timed out after 1 ms$/);
  });

  it('the rendering stays within VELLUM_MAX_IMAGE_PIXELS (fewer than 2,000 px then)', async () => {
    const config = defaultImageProcessorConfig({ maxImagePixels: 1_000_000 });
    const small = new ImagePipelineService(media, config);
    const r = await run('document-multipage.pdf', {}, small);
    expect(r.width * r.height).toBeLessThanOrEqual(1_000_000);
    expect(r.pdf!.dpi).toBe(101);
  });
});

describe('HEIF / AVIF (made from a fixture with sharp: there is no HEIF fixture)', () => {
  it.each([
    // effort 0: the fastest AV1 encoder setting (the default takes ~10 s of CPU here).
    ['AVIF', () => sharp(fixturePath('image.webp')).avif({ quality: 70, effort: 0 }).toBuffer()],
    [
      'AV1-coded HEIF',
      () => sharp(fixturePath('image.webp')).heif({ compression: 'av1', quality: 70, effort: 0 }).toBuffer(),
    ],
  ])('%s: 1165×859, pyramid, thumbnails, the same picture', async (_label, make) => {
    const r = await run(await make());
    expect([r.format, r.detectedMediaType, r.width, r.height]).toEqual(['heif', 'image/avif', 1165, 859]);
    await expectPyramid(r);
    await expectThumbnails(r);
    expect(await difference(r.thumbnails[0].data, fixturePath('image.webp'))).toBeLessThan(8);
  });
});

describe('multi-page and animated inputs: the first page / frame (sharp’s default pages: 1)', () => {
  /** Three frames of 300×200 from three different fixtures. */
  const frames = (): Promise<Buffer[]> =>
    Promise.all(
      ['photo-large.jpg', 'grayscale.png', 'cmyk.jpg'].map((f) =>
        sharp(fixturePath(f))
          .resize(300, 200, { fit: 'cover' })
          .toColourspace('srgb')
          .removeAlpha()
          .png()
          .toBuffer(),
      ),
    );

  it.each([
    [
      'animated GIF',
      (f: Buffer[]) =>
        sharp(f, { join: { animated: true } })
          .gif({ delay: 100 })
          .toBuffer(),
      'gif',
    ],
    [
      'animated WebP',
      (f: Buffer[]) =>
        sharp(f, { join: { animated: true } })
          .webp({ quality: 90 })
          .toBuffer(),
      'webp',
    ],
    [
      'multi-page TIFF',
      (f: Buffer[]) =>
        sharp(f, { join: { animated: true } })
          .tiff()
          .toBuffer(),
      'tiff',
    ],
  ])('%s of 3 frames: 300×200 (not 300×600), thumbnails of frame 1', async (_label, make, format) => {
    const f = await frames();
    const bytes = await make(f);
    expect((await sharp(bytes).metadata()).pages).toBe(3);
    const r = await run(bytes);
    expect([r.format, r.width, r.height]).toEqual([format, 300, 200]);
    await expectPyramid(r);
    await expectThumbnails(r);
    const toFirst = await difference(r.thumbnails[0].data, f[0]);
    expect(toFirst).toBeLessThan(await difference(r.thumbnails[0].data, f[1]));
    expect(toFirst).toBeLessThan(await difference(r.thumbnails[0].data, f[2]));
  });

  it('pyramid-tiled.tif under iiif-img/default: its first page (4655×3118), re-tiled at 512', async () => {
    const r = await run('pyramid-tiled.tif');
    expect([r.format, r.width, r.height]).toEqual(['tiff', 4655, 3118]);
    expect(r.original).toBeUndefined();
    await expectPyramid(r);
    await expectThumbnails(r);
  });

  it('image.gif and image.webp (single frame fixtures)', async () => {
    for (const f of ['image.gif', 'image.webp']) {
      const r = await run(f);
      expect([r.width, r.height]).toEqual([1165, 859]);
      await expectPyramid(r);
      await expectThumbnails(r);
    }
  });
});

describe('16-bit, CMYK, JPEG 2000 keep working', () => {
  it('png-16bit-gray.png: 8-bit sRGB, values scaled linearly (v16 / 257), not stretched', async () => {
    const r = await run('png-16bit-gray.png');
    expect([r.format, r.width, r.height]).toEqual(['png', 1830, 1830]);
    await expectPyramid(r);
    await expectThumbnails(r);
    const src = await sharp(fixturePath('png-16bit-gray.png')).stats();
    const out = await sharp(r.pyramid!.file).stats();
    expect(Math.abs(out.channels[0].mean - src.channels[0].mean / 257)).toBeLessThan(0.6);
    expect(out.channels[0].max).toBeGreaterThan(0);
  });

  it.each([
    ['cmyk.jpg', 600, 400, 'jpeg'],
    ['scan.jp2', 2717, 3701, 'jp2'],
    ['tiff-lzw.tif', 1165, 859, 'tiff'],
  ])('%s: %d×%d', async (fixture, w, h, format) => {
    const r = await run(fixture);
    expect([r.format, r.width, r.height]).toEqual([format, w, h]);
    await expectPyramid(r);
    await expectThumbnails(r);
  });
});

describe('iiif-img/use-original (SPEC.md §4.3, §5: an origin already tile-ready is the tile source as is)', () => {
  const useOriginal = { pyramid: { tileSize: 512, useOriginal: true } };

  it('pyramid-tiled.tif (6 levels, 256-px JPEG tiles) is kept: no pyramid written, its tile size reported', async () => {
    const r = await run('pyramid-tiled.tif', useOriginal);
    expect(r.pyramid).toBeUndefined();
    expect(r.notTileReady).toBeUndefined();
    expect(r.original).toEqual({
      tileSize: 256,
      scaleFactors: [1, 2, 4, 8, 16, 32],
      levels: [
        { width: 4655, height: 3118 },
        { width: 2327, height: 1559 },
        { width: 1163, height: 779 },
        { width: 581, height: 389 },
        { width: 290, height: 194 },
        { width: 145, height: 97 },
      ],
    });
    // Thumbnails come from the origin's own levels.
    await expectThumbnails(r);
    expect(await difference(r.thumbnails[0].data, fixturePath('pyramid-tiled.tif'))).toBeLessThan(6);
  });

  it('a 512-px pyramid made with sharp is kept with 512-px tiles', async () => {
    const bytes = await sharp(fixturePath('photo-large.jpg'))
      .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
      .toBuffer();
    const r = await run(bytes, useOriginal);
    expect(r.original).toMatchObject({ tileSize: 512, scaleFactors: [1, 2, 4, 8, 16] });
    expect(r.pyramid).toBeUndefined();
  });

  it('a small sRGB JPEG (one tile) is kept', async () => {
    const bytes = await sharp(fixturePath('photo-large.jpg')).resize(400).jpeg().toBuffer();
    const r = await run(bytes, useOriginal);
    expect(r.original).toEqual({ tileSize: 512, scaleFactors: [1], levels: [{ width: 400, height: 225 }] });
    await expectThumbnails(r);
  });

  it.each([
    ['tiff-lzw.tif', /not tiled/],
    ['photo-large.jpg', /not a single 512-px tile/],
    ['cmyk.jpg', /not a single 512-px tile/],
    ['exif-orientation-6.jpg', /orientation 6/],
    ['scan.jp2', /image\/jp2 origin has to be decoded first/],
    ['document-multipage.pdf', /application\/pdf origin has to be decoded first/],
    ['png-alpha.png', /PNG origin is not a pyramidal tiled TIFF/],
  ])('%s is not tile-ready: a pyramid is written instead, and why is reported', async (fixture, why) => {
    const r = await run(fixture, useOriginal);
    expect(r.original).toBeUndefined();
    expect(r.notTileReady).toMatch(why);
    await expectPyramid(r);
  });

  it('a small CMYK JPEG is re-encoded (to sRGB)', async () => {
    const cmyk = await sharp(fixturePath('cmyk.jpg')).resize(300).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const r = await run(cmyk, useOriginal);
    expect(r.notTileReady).toMatch(/colour space cmyk/);
    await expectPyramid(r);
  });

  it('a pyramid with LZW tiles or missing levels is re-encoded', async () => {
    const lzw = await sharp(fixturePath('image.webp'))
      .tiff({ tile: true, pyramid: true, tileWidth: 256, tileHeight: 256, compression: 'lzw' })
      .toBuffer();
    expect((await run(lzw, useOriginal)).notTileReady).toMatch(/compression 5 is not JPEG/);
    const flat = await sharp(fixturePath('image.webp'))
      .tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: 'jpeg' })
      .toBuffer();
    expect((await run(flat, useOriginal)).notTileReady).toMatch(/1 page\(s\), but 4 levels are needed/);
  });
});

describe('anything else: "Unsupported format: <detected type>", no retry (detected by content)', () => {
  it.each<[string, () => Promise<Buffer> | Buffer, string]>([
    [
      'a text file declared image/jpeg',
      () => Buffer.from('Dear customer, your image is attached.\n'),
      'text/plain',
    ],
    [
      'an HTML error page',
      () => Buffer.from('<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>'),
      'text/html',
    ],
    [
      'an SVG (not an input, SPEC.md §4.3)',
      () =>
        Buffer.from(
          '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
        ),
      'image/svg+xml',
    ],
    [
      'a BMP',
      () =>
        // A real 2×1 24-bit BMP: BITMAPFILEHEADER + BITMAPINFOHEADER + one padded row.
        Buffer.concat([
          Buffer.from('BM'),
          Buffer.from([
            62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
          ]),
          Buffer.alloc(24),
          Buffer.from([0, 0, 255, 0, 255, 0, 0, 0]),
        ]),
      'image/bmp',
    ],
    ['a ZIP', () => Buffer.from('PK\x03\x04\x14\0\0\0\x08\0', 'latin1'), 'application/zip'],
    [
      'random bytes',
      () => Buffer.concat([Buffer.from([0, 1, 2, 3]), randomBytes(2000)]),
      'application/octet-stream',
    ],
  ])('%s → "Unsupported format: <detected type>"', async (_label, make, detected) => {
    const err = await failure(run(await make(), { mediaType: 'image/jpeg' }));
    expect(err).toBeInstanceOf(UnprocessableImageError);
    expect((err as UnprocessableImageError).reason).toBe('unsupported');
    expect(err.message).toBe(`Unsupported format: ${detected}`);
  });
});
