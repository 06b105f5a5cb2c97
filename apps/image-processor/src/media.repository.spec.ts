import { UnprocessableImageError } from './image-errors';
import {
  classifyDecodeError,
  parsePdfInfo,
  PDF_MAX_LONG_EDGE,
  PDF_MIN_LONG_EDGE,
  pdfRenderDpi,
} from './media.repository';

const LIMIT = 268_402_689;

describe('pdfRenderDpi (SPEC.md §4.3 "first page rendered at a sensible DPI")', () => {
  it.each([
    // [label, widthPt, heightPt, dpi, width, height]
    ['A4 portrait', 595.28, 841.89, 172, 1423, 2012],
    ['A4 landscape', 841.89, 595.28, 172, 2012, 1423],
    ['US Letter', 612, 792, 182, 1547, 2002],
    ['A3: 150 DPI already gives ≥ 2,000 px', 841.89, 1190.55, 150, 1754, 2481],
    ['A0 poster: 150 DPI', 2383.94, 3370.39, 150, 4967, 7022],
    ['a 200-inch banner: capped at 10,000 px', 14400, 1440, 50, 10000, 1000],
    ['a business card', 252, 144, 572, 2002, 1144],
  ])('%s', (_label, w, h, dpi, width, height) => {
    expect(pdfRenderDpi(w, h, LIMIT)).toEqual({ dpi, width, height });
  });

  it('the long edge is at least 2,000 px and at most 10,000 px for any sane page', () => {
    for (const long of [1, 10, 72, 300, 842, 1191, 3370, 7000, 14400, 50_000]) {
      const r = pdfRenderDpi(long, long / 2, LIMIT);
      expect(Math.max(r.width, r.height)).toBeGreaterThanOrEqual(PDF_MIN_LONG_EDGE);
      expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(PDF_MAX_LONG_EDGE + 1);
    }
  });

  it('stays within the pixel limit (VELLUM_MAX_IMAGE_PIXELS) even below 2,000 px', () => {
    const r = pdfRenderDpi(595.28, 841.89, 1_000_000);
    expect(r.width * r.height).toBeLessThanOrEqual(1_000_000 * 1.01);
    expect(r.dpi).toBe(101);
  });
});

describe('parsePdfInfo', () => {
  it('reads the page count, the crop box and the rotation of page 1', () => {
    const out = [
      'Pages:           10',
      'Encrypted:       no',
      'Page    1 size:  595.28 x 841.89 pts (A4)',
      'Page    1 rot:   90',
      'Page    1 MediaBox:      0.00     0.00   600.00   800.00',
      'Page    1 CropBox:      10.00    20.00   310.00   420.00',
    ].join('\n');
    expect(parsePdfInfo(out)).toEqual({ pages: 10, widthPt: 300, heightPt: 400, rotation: 90 });
  });

  it('falls back to the size line, and reports no size when there is none', () => {
    expect(parsePdfInfo('Pages: 1\nPage    1 size:  612 x 792 pts (letter)\n')).toEqual({
      pages: 1,
      widthPt: 612,
      heightPt: 792,
      rotation: 0,
    });
    expect(parsePdfInfo('Pages:           0\n')).toEqual({ pages: 0, rotation: 0 });
  });
});

describe('classifyDecodeError', () => {
  it('names the detected type for an unsupported format', () => {
    const e = classifyDecodeError(new Error('Input file contains unsupported image format'), 'image/x-vips');
    expect(e).toBeInstanceOf(UnprocessableImageError);
    expect(e.message).toBe('Unsupported format: image/x-vips');
  });

  it('an HEVC-coded HEIC (no decoder in sharp’s libvips) is an unsupported format, saying why', () => {
    const e = classifyDecodeError(
      new Error('Input file has corrupt header: heif: Unsupported feature: Unsupported codec (4.3000)'),
      'image/heic',
    );
    expect(e).toBeInstanceOf(UnprocessableImageError);
    expect((e as UnprocessableImageError).reason).toBe('unsupported');
    expect(e.message).toMatch(
      /^Unsupported format: image\/heic \(HEVC-coded HEIF cannot be decoded here; AVIF can\)/,
    );
  });

  it('a damaged file is corrupt; an I/O failure is returned as is (retry)', () => {
    expect(
      classifyDecodeError(new Error('VipsJpeg: premature end of JPEG image'), 'image/jpeg').message,
    ).toBe('Corrupt or truncated image: VipsJpeg: premature end of JPEG image');
    const io = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(classifyDecodeError(io, 'image/jpeg')).toBe(io);
  });
});
