import { IiifError } from './errors';
import { IMAGE_FORMATS, mediaTypeFor, parseQualityFormat, QUALITIES } from './quality-format';
import type { ImageFormat } from './types';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseQualityFormat (IIIF Image API 2.1/3.0 §4.4–§4.5)', () => {
  const combos = QUALITIES.flatMap((q) => IMAGE_FORMATS.map((f) => [q, f] as const));
  it.each(combos)('parses %s.%s', (quality, format) => {
    expect(parseQualityFormat(`${quality}.${format}`)).toEqual({ quality, format });
  });

  it.each([
    'foo.jpg',
    'native.jpg',
    'grey.jpg',
    'colour.jpg',
    'Default.jpg',
    'DEFAULT.jpg',
    '.jpg',
    'default.bmp',
    'default.jp2',
    'default.pdf',
    'default.jpeg',
    'default.JPG',
    'default.tiff',
    'default.svg',
    'default.',
    'default',
    '',
    '.',
    'default.jpg.png',
    'default..jpg',
    ' default.jpg',
    'default.jpg ',
  ])('rejects %j with 400 (unsupported format is 400 in 2.1 and 3.0, not 415)', (s) => {
    expect(statusOf(() => parseQualityFormat(s))).toBe(400);
  });
});

describe('mediaTypeFor (3.0 §4.5)', () => {
  it.each<[ImageFormat, string]>([
    ['jpg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/webp'],
    ['tif', 'image/tiff'],
    ['gif', 'image/gif'],
  ])('%s → %s', (f, t) => {
    expect(mediaTypeFor(f)).toBe(t);
  });
});
