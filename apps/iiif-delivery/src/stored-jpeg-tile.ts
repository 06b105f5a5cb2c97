/**
 * Turns a JPEG-compressed TIFF tile into a complete JPEG file (TIFF Technical Note 2, "JPEG in TIFF"; ITU T.81
 * Annex B for the marker syntax): SOI, the page's shared `JPEGTables` segments (DQT/DHT, without their SOI/EOI),
 * an Adobe APP14 segment for RGB-coded tiles, then the tile's own abbreviated stream without its SOI (it ends with
 * EOI). Pure byte work, no decoding.
 */
import type { TiffPage } from './tiff-tile-index';

/** The JPEG bytes of a tile or its tables are not what TIFF TN2 describes. */
export class StoredTileError extends Error {
  override readonly name = 'StoredTileError';
}

const SOI = Buffer.from([0xff, 0xd8]);

/**
 * Adobe APP14 segment with transform 0 ("Adobe", version 100, flags 0, transform 0 = no colour transform): tells
 * decoders that a 3-component JPEG holds RGB, not YCbCr (ITU T.872 §6.5.3 / Adobe TN 5116).
 */
export const ADOBE_APP14_RGB = Buffer.from([
  0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

/**
 * Why the tiles of `page` cannot be served byte-for-byte as JPEG files, or undefined when they can: compression 7
 * (JPEG, TIFF TN2), 8-bit, chunky, and YCbCr (photometric 6, 3 samples), RGB (2, 3 samples) or grey (1, 1 sample).
 */
export function passthroughIneligibility(page: TiffPage): string | undefined {
  if (page.tileWidth <= 0 || page.tileHeight <= 0) return 'page is not tiled';
  if (page.compression !== 7) return `compression ${page.compression} is not JPEG (7)`;
  if (page.bitsPerSample !== 8) return `${page.bitsPerSample} bits per sample`;
  if (page.planarConfiguration !== 1) return 'planar configuration is not chunky';
  const ok =
    ((page.photometric === 6 || page.photometric === 2) && page.samplesPerPixel === 3) ||
    (page.photometric === 1 && page.samplesPerPixel === 1);
  if (!ok) return `photometric ${page.photometric} with ${page.samplesPerPixel} samples`;
  return undefined;
}

/**
 * The segments of an abbreviated table-specification stream (`JPEGTables`: SOI, DQT/DHT/..., EOI) without its SOI
 * and EOI, checked marker by marker (ITU T.81 §B.5).
 * @throws StoredTileError when the stream does not start with SOI, a segment is truncated, or a marker other than
 *   a table or APPn/COM segment appears.
 */
export function tableSegments(tables: Buffer): Buffer {
  if (tables.length < 4 || tables[0] !== 0xff || tables[1] !== 0xd8)
    throw new StoredTileError('JPEGTables does not start with SOI');
  let i = 2;
  while (i < tables.length) {
    if (tables[i] !== 0xff) throw new StoredTileError(`JPEGTables: no marker at byte ${i}`);
    const marker = tables[i + 1];
    if (marker === 0xd9) return tables.subarray(2, i);
    // DQT (DB), DHT (C4), DAC (CC), DRI (DD), APPn (E0-EF), COM (FE) may appear in a tables-only stream.
    const allowed =
      marker === 0xdb ||
      marker === 0xc4 ||
      marker === 0xcc ||
      marker === 0xdd ||
      (marker >= 0xe0 && marker <= 0xef) ||
      marker === 0xfe;
    if (!allowed)
      throw new StoredTileError(`JPEGTables: unexpected marker 0xFF${marker.toString(16).toUpperCase()}`);
    if (i + 4 > tables.length) throw new StoredTileError('JPEGTables: truncated segment');
    const len = tables.readUInt16BE(i + 2);
    if (len < 2 || i + 2 + len > tables.length) throw new StoredTileError('JPEGTables: truncated segment');
    i += 2 + len;
  }
  // No EOI: accept the segments read (libtiff always writes EOI, but TN2 does not require it).
  return tables.subarray(2, i);
}

/**
 * The bytes that precede a tile's stream (minus its SOI) in the JPEG file made from a tile of `page`: SOI, the
 * table segments, and {@link ADOBE_APP14_RGB} when the page is RGB-coded (photometric 2). Computed once per page.
 * @throws StoredTileError when the page's `JPEGTables` is malformed.
 */
export function jpegPrefixFor(page: TiffPage): Buffer {
  const parts: Buffer[] = [SOI];
  if (page.jpegTables) parts.push(tableSegments(page.jpegTables));
  if (page.photometric === 2) parts.push(ADOBE_APP14_RGB);
  return Buffer.concat(parts);
}

/**
 * A complete JPEG from `prefix` ({@link jpegPrefixFor}) and a stored tile's stream `tile` (SOI ... EOI).
 * @throws StoredTileError when `tile` does not start with SOI or end with EOI.
 */
export function assembleJpeg(prefix: Buffer, tile: Buffer): Buffer {
  checkTileStream(tile, 0, tile.length);
  const out = Buffer.allocUnsafe(prefix.length + tile.length - 2);
  prefix.copy(out, 0);
  tile.copy(out, prefix.length, 2);
  return out;
}

/**
 * Checks that `buf[start, end)` is a tile stream: SOI first, EOI last.
 * @throws StoredTileError otherwise.
 */
export function checkTileStream(buf: Buffer, start: number, end: number): void {
  if (end - start < 4 || buf[start] !== 0xff || buf[start + 1] !== 0xd8)
    throw new StoredTileError('stored tile does not start with SOI');
  if (buf[end - 2] !== 0xff || buf[end - 1] !== 0xd9)
    throw new StoredTileError('stored tile does not end with EOI');
}
