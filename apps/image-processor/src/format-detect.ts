/**
 * Content-based format detection (SPEC.md §4.3 inputs): what a file IS, from its first bytes, whatever its name or
 * its declared `mediaType`. Pure, framework-free, no I/O: {@link detectFormat} takes the head of the file.
 */

/** Formats the pipeline tells apart. The decodable ones are {@link DECODABLE_FORMATS}; `unknown` is anything else. */
export type SniffedFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'webp'
  | 'tiff'
  | 'heif' // HEIF family: AVIF (AV1) decodes here; HEIC (HEVC) has no decoder in sharp's libvips
  | 'jp2'
  | 'j2k'
  | 'pdf' // decodable: first page rendered by poppler
  | 'bmp'
  | 'svg'
  | 'psd'
  | 'ico'
  | 'unknown'; // not an image format the platform takes

/**
 * Formats the pipeline decodes (SPEC.md §4.3 "Inputs"): JPEG, PNG, TIFF, WebP, GIF, HEIF/AVIF through sharp/libvips,
 * JPEG 2000 through OpenJPEG, PDF (first page) through poppler. SVG, BMP, PSD, ICO and the rest are not inputs:
 * "unsupported format".
 */
export const DECODABLE_FORMATS: ReadonlySet<SniffedFormat> = new Set([
  'jpeg',
  'png',
  'gif',
  'webp',
  'tiff',
  'heif',
  'jp2',
  'j2k',
  'pdf',
]);

/** The media type people know a sniffed format by (a default: {@link detectFormat} may name a subtype). */
export const FORMAT_MEDIA_TYPES: Record<SniffedFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  heif: 'image/heif',
  jp2: 'image/jp2',
  j2k: 'image/j2k',
  pdf: 'application/pdf',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  psd: 'image/vnd.adobe.photoshop',
  ico: 'image/x-icon',
  unknown: 'application/octet-stream',
};

/** What the bytes are. */
export interface DetectedFormat {
  format: SniffedFormat;
  /**
   * The media type of the bytes, as precise as the head tells: e.g. `image/avif` or `image/heic` for `heif`,
   * `text/plain`, `text/html`, `application/zip` or `video/mp4` for `unknown`; `application/octet-stream` when
   * nothing is recognised. Used in error messages ("Unsupported format: text/plain").
   */
  mediaType: string;
}

/** How many leading bytes {@link detectFormat} wants (fewer is fine: it looks at what it gets). */
export const SNIFF_BYTES = 4096;

const JP2_SIGNATURE = Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]);
const JXL_CONTAINER = Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'miaf', 'mif2']);
/** BITMAPINFOHEADER sizes (OS/2 1.x, Windows 3.x, the V2–V5 variants, OS/2 2.x). */
const BMP_DIB_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);
/** ISO base media brands of audio/video files, with their media types. */
const ISO_AV_BRANDS: Record<string, string> = {
  isom: 'video/mp4',
  iso2: 'video/mp4',
  iso4: 'video/mp4',
  iso5: 'video/mp4',
  iso6: 'video/mp4',
  mp41: 'video/mp4',
  mp42: 'video/mp4',
  avc1: 'video/mp4',
  dash: 'video/mp4',
  'M4V ': 'video/mp4',
  'M4A ': 'audio/mp4',
  'M4B ': 'audio/mp4',
  'qt  ': 'video/quicktime',
  '3gp4': 'video/3gpp',
  '3gp5': 'video/3gpp',
  '3g2a': 'video/3gpp2',
};

/**
 * Detects the format of a file from its first bytes ({@link SNIFF_BYTES} are enough). Never trusts names or declared
 * media types. Image signatures: JPEG `FF D8 FF`, PNG, `GIF87a`/`GIF89a`, `RIFF....WEBP`, TIFF and BigTIFF (`II*\0`,
 * `MM\0*`, `II+\0`, `MM\0+`), JP2 box signature, J2K codestream `FF 4F FF 51`, ISO-BMFF `ftyp` with a HEIF brand
 * (major or compatible: AVIF → `image/avif`, HEVC brands → `image/heic`), `%PDF-` within the first 1024 bytes (as PDF
 * readers accept), BMP (`BM` + a known DIB header size), PSD, ICO/CUR, and SVG (an `<svg` root element after an
 * optional BOM, XML declaration, comments and DOCTYPE). Everything else is `unknown`, named as precisely as the head
 * allows (archives, audio/video, JPEG XL, HTML/XML/JSON/plain text, else `application/octet-stream`).
 */
export function detectFormat(head: Buffer): DetectedFormat {
  const is = (format: SniffedFormat, mediaType = FORMAT_MEDIA_TYPES[format]): DetectedFormat => ({
    format,
    mediaType,
  });
  const other = (mediaType: string): DetectedFormat => ({ format: 'unknown', mediaType });
  const ascii = head.toString('latin1', 0, Math.min(head.length, 64));
  const at = (offset: number, bytes: number[]): boolean =>
    head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);

  if (at(0, [0xff, 0xd8, 0xff])) return is('jpeg');
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return is('png');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return is('gif');
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return is('webp');
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].some((s) => ascii.startsWith(s))) return is('tiff');
  if (head.length >= 12 && head.subarray(0, 12).equals(JP2_SIGNATURE)) return is('jp2');
  if (at(0, [0xff, 0x4f, 0xff, 0x51])) return is('j2k');
  if (ascii.slice(4, 8) === 'ftyp') {
    const heif = heifMediaType(head);
    if (heif) return is('heif', heif);
    const av = ISO_AV_BRANDS[ascii.slice(8, 12)];
    return other(av ?? 'application/octet-stream');
  }
  const pdfAt = head.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  if (pdfAt >= 0) return is('pdf');
  if (ascii.startsWith('BM') && head.length >= 18 && BMP_DIB_SIZES.has(head.readUInt32LE(14)))
    return is('bmp');
  if (ascii.startsWith('8BPS')) return is('psd');
  if ((at(0, [0, 0, 1, 0]) || at(0, [0, 0, 2, 0])) && head.length >= 6 && head.readUInt16LE(4) > 0)
    return is('ico');

  // Not an image the platform knows: name it for the error message.
  if (head.length >= 12 && head.subarray(0, 12).equals(JXL_CONTAINER)) return other('image/jxl');
  if (at(0, [0xff, 0x0a])) return other('image/jxl');
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WAVE') return other('audio/wav');
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'AVI ') return other('video/x-msvideo');
  if (ascii.startsWith('PK\x03\x04')) return other('application/zip');
  if (at(0, [0x1f, 0x8b])) return other('application/gzip');
  if (at(0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return other('application/x-7z-compressed');
  if (at(0, [0x1a, 0x45, 0xdf, 0xa3]))
    return other(head.indexOf('webm', 0, 'latin1') >= 0 ? 'video/webm' : 'video/x-matroska');
  if (ascii.startsWith('OggS')) return other('audio/ogg');
  if (ascii.startsWith('fLaC')) return other('audio/flac');
  if (ascii.startsWith('ID3') || (head[0] === 0xff && head.length > 1 && (head[1] & 0xe0) === 0xe0))
    return other('audio/mpeg');
  if (ascii.startsWith('%!PS')) return other('application/postscript');
  if (at(0, [0x76, 0x2f, 0x31, 0x01])) return other('image/x-exr');
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') return other('application/dicom');

  const text = asText(head);
  if (text !== undefined) {
    const markup = xmlRoot(text);
    if (markup !== undefined) {
      if (/^(\w+:)?svg$/.test(markup)) return is('svg');
      if (/^html$/i.test(markup)) return other('text/html');
      return other(text.trimStart().startsWith('<?xml') ? 'application/xml' : 'text/html');
    }
    const t = text.trimStart();
    if ((t.startsWith('{') || t.startsWith('[')) && looksLikeJson(t)) return other('application/json');
    return other('text/plain');
  }
  return other('application/octet-stream');
}

/** `image/avif`, `image/heic` or `image/heif` when the `ftyp` box names a HEIF brand (major or compatible). */
function heifMediaType(head: Buffer): string | undefined {
  const boxSize = head.length >= 4 ? head.readUInt32BE(0) : 0;
  const end = Math.min(head.length, boxSize >= 16 ? boxSize : 16);
  const brands: string[] = [head.toString('latin1', 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(head.toString('latin1', i, i + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return 'image/avif';
  if (brands.some((b) => HEIC_BRANDS.has(b))) return 'image/heic';
  if (brands.some((b) => HEIF_BRANDS.has(b))) return 'image/heif';
  return undefined;
}

/**
 * The head as text when it is UTF-8 (or UTF-8 with BOM) without NULs or control characters other than tab, CR,
 * LF, FF; a multi-byte sequence cut by the end of the head is tolerated. Undefined for binary data.
 */
function asText(head: Buffer): string | undefined {
  if (head.length === 0) return undefined;
  let bytes = head;
  if (at3(bytes, 0xef, 0xbb, 0xbf)) bytes = bytes.subarray(3);
  // Drop an incomplete trailing UTF-8 sequence (the head is a prefix of the file).
  let cut = bytes.length;
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (bytes.length - i < need) cut = i;
    break;
  }
  bytes = bytes.subarray(0, cut);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0e-\x1f\x7f]/.test(text)) return undefined;
  return text;
}

function at3(b: Buffer, x: number, y: number, z: number): boolean {
  return b.length >= 3 && b[0] === x && b[1] === y && b[2] === z;
}

/**
 * The name of the root element of an XML/HTML text: skips whitespace, the XML declaration, processing
 * instructions, comments and a DOCTYPE (with an internal subset). Undefined when the text does not start as markup
 * or the root is not within the head.
 */
function xmlRoot(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i >= n || text[i] !== '<') return undefined;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return undefined;
      i = end + 3;
    } else if (/^<!doctype/i.test(text.slice(i, i + 9))) {
      let depth = 0;
      let j = i + 9;
      for (; j < n; j++) {
        if (text[j] === '[') depth++;
        else if (text[j] === ']') depth--;
        else if (text[j] === '>' && depth <= 0) break;
      }
      if (j >= n) return undefined;
      i = j + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(i, i + 256));
      return m ? m[1] : undefined;
    }
  }
}

/** A cheap plausibility check: `{"` / `[` followed by JSON-ish characters. */
function looksLikeJson(t: string): boolean {
  return /^(\{\s*("|\})|\[\s*([-\d"{[\]]|true|false|null))/.test(t);
}
