import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { fixturePath } from '@vellum/testing';
import { DECODABLE_FORMATS, detectFormat, SNIFF_BYTES, type SniffedFormat } from './format-detect';

const head = (fixture: string): Buffer => readFileSync(fixturePath(fixture)).subarray(0, SNIFF_BYTES);
const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const size = 16 + 4 * compatible.length;
  const b = Buffer.alloc(size + 32);
  b.writeUInt32BE(size, 0);
  b.write('ftyp', 4, 'latin1');
  b.write(major, 8, 'latin1');
  compatible.forEach((c, i) => b.write(c, 16 + 4 * i, 'latin1'));
  b.write('meta', size + 4, 'latin1');
  return b;
};
const bytes = (...values: number[]): Buffer => Buffer.concat([Buffer.from(values), Buffer.alloc(64)]);

describe('detectFormat (SPEC.md §4.3: the bytes decide)', () => {
  it.each<[string, string, SniffedFormat, string]>([
    ['photo-large.jpg', 'JPEG', 'jpeg', 'image/jpeg'],
    ['cmyk.jpg', 'CMYK JPEG', 'jpeg', 'image/jpeg'],
    ['png-16bit-gray.png', 'PNG', 'png', 'image/png'],
    ['image.gif', 'GIF', 'gif', 'image/gif'],
    ['image.webp', 'WebP', 'webp', 'image/webp'],
    ['tiff-lzw.tif', 'TIFF', 'tiff', 'image/tiff'],
    ['pyramid-tiled.tif', 'pyramidal TIFF', 'tiff', 'image/tiff'],
    ['scan.jp2', 'JP2', 'jp2', 'image/jp2'],
    ['document-multipage.pdf', 'PDF', 'pdf', 'application/pdf'],
    ['PROVENANCE.md', 'Markdown text', 'unknown', 'text/plain'],
  ])('fixture %s (%s) → %s, %s', (fixture, _label, format, mediaType) => {
    expect(detectFormat(head(fixture))).toEqual({ format, mediaType });
  });

  it('AVIF and AV1-coded HEIF made by sharp are HEIF, named image/avif', async () => {
    const avif = await sharp(fixturePath('image.webp')).resize(64).avif().toBuffer();
    expect(detectFormat(avif)).toEqual({ format: 'heif', mediaType: 'image/avif' });
    const heif = await sharp(fixturePath('image.webp')).resize(64).heif({ compression: 'av1' }).toBuffer();
    expect(detectFormat(heif)).toEqual({ format: 'heif', mediaType: 'image/avif' });
  });

  it.each<[string, Buffer, SniffedFormat, string]>([
    ['HEIC (major brand heic)', ftyp('heic', 'mif1', 'heic'), 'heif', 'image/heic'],
    ['HEIC sequence (hevc)', ftyp('hevc', 'msf1'), 'heif', 'image/heic'],
    ['HEIF with AVIF as a compatible brand', ftyp('mif1', 'miaf', 'avif'), 'heif', 'image/avif'],
    ['plain HEIF (mif1)', ftyp('mif1', 'miaf'), 'heif', 'image/heif'],
    ['MP4 (not an image)', ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'), 'unknown', 'video/mp4'],
    ['QuickTime', ftyp('qt  ', 'qt  '), 'unknown', 'video/quicktime'],
    [
      'WebM',
      Buffer.concat([bytes(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84), Buffer.from('webm')]),
      'unknown',
      'video/webm',
    ],
    ['MP3 with an ID3 tag', Buffer.from('ID3\x03\0\0\0\0\x0fv', 'latin1'), 'unknown', 'audio/mpeg'],
    ['an unknown ftyp brand', ftyp('crx ', 'isom'), 'unknown', 'application/octet-stream'],
    ['J2K codestream', bytes(0xff, 0x4f, 0xff, 0x51, 0x00, 0x2f), 'j2k', 'image/j2k'],
    ['BigTIFF', Buffer.from('II+\0\x08\0\0\0', 'latin1'), 'tiff', 'image/tiff'],
    ['big-endian TIFF', Buffer.from('MM\0*\0\0\0\x08', 'latin1'), 'tiff', 'image/tiff'],
    ['GIF87a', Buffer.from('GIF87a\x01\0\x01\0', 'latin1'), 'gif', 'image/gif'],
    [
      'PDF after a junk prefix (< 1024 bytes)',
      Buffer.from(`${'x'.repeat(500)}%PDF-1.4\n`),
      'pdf',
      'application/pdf',
    ],
    [
      'BMP (BITMAPINFOHEADER)',
      Buffer.concat([Buffer.from('BM'), Buffer.alloc(12), Buffer.from([40, 0, 0, 0]), Buffer.alloc(40)]),
      'bmp',
      'image/bmp',
    ],
    [
      'text starting with BM is not a BMP',
      Buffer.from('BMW owners club newsletter'),
      'unknown',
      'text/plain',
    ],
    ['PSD', Buffer.from('8BPS\0\x01', 'latin1'), 'psd', 'image/vnd.adobe.photoshop'],
    ['ICO', bytes(0, 0, 1, 0, 1, 0), 'ico', 'image/x-icon'],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'svg', 'image/svg+xml'],
    [
      'SVG after BOM, XML declaration, comment and DOCTYPE with an internal subset',
      Buffer.from(
        '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generator: Something 1.0 -->\n' +
          '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" ' +
          '[ <!ENTITY ns "x"> ]>\n<svg version="1.1"><rect/></svg>',
      ),
      'svg',
      'image/svg+xml',
    ],
    [
      'SVG with a namespace prefix',
      Buffer.from('<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>'),
      'svg',
      'image/svg+xml',
    ],
    ['HTML', Buffer.from('<!doctype html>\n<html><body>404</body></html>'), 'unknown', 'text/html'],
    ['XML', Buffer.from('<?xml version="1.0"?><feed/>'), 'unknown', 'application/xml'],
    ['JSON', Buffer.from('{"error": "not found"}'), 'unknown', 'application/json'],
    ['plain text', Buffer.from('Just some words.\n'), 'unknown', 'text/plain'],
    ['UTF-8 text cut mid-character', Buffer.from('naïve café ü').subarray(0, 15), 'unknown', 'text/plain'],
    ['ZIP', Buffer.from('PK\x03\x04\x14\0', 'latin1'), 'unknown', 'application/zip'],
    ['gzip (e.g. an .svgz)', bytes(0x1f, 0x8b, 0x08), 'unknown', 'application/gzip'],
    ['JPEG XL codestream', bytes(0xff, 0x0a, 0xfa), 'unknown', 'image/jxl'],
    ['WAV', Buffer.from('RIFF\x24\0\0\0WAVEfmt ', 'latin1'), 'unknown', 'audio/wav'],
    ['random binary', bytes(0x00, 0x01, 0x02, 0x03, 0x04, 0x9f, 0xee), 'unknown', 'application/octet-stream'],
  ])('%s', (_label, input, format, mediaType) => {
    expect(detectFormat(input)).toEqual({ format, mediaType });
  });

  it('decodes exactly the SPEC.md §4.3 inputs', () => {
    expect([...DECODABLE_FORMATS].sort()).toEqual(
      ['gif', 'heif', 'j2k', 'jp2', 'jpeg', 'pdf', 'png', 'tiff', 'webp'].sort(),
    );
  });

  it('an empty head is unknown binary', () => {
    expect(detectFormat(Buffer.alloc(0))).toEqual({
      format: 'unknown',
      mediaType: 'application/octet-stream',
    });
  });
});
