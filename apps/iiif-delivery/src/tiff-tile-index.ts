/**
 * A small reader of the tile directory of a tiled TIFF (TIFF 6.0 §2 "Image File Directory", §15 "Tiled Images";
 * BigTIFF as libtiff writes it): per page (IFD) the pixel size, tile size, compression, photometric
 * interpretation, the file offsets and byte counts of its tiles and the shared JPEG tables (TIFF Technical Note 2,
 * `JPEGTables`, tag 347). It reads only the header and the directories through positioned reads, never the whole
 * file, and is free of sharp and of Nest so it can be unit-tested on its own.
 */

/** Reads `length` bytes at byte `offset` of the file; may return fewer bytes only at the end of the file. */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

/** One page (IFD) of a tiled TIFF. Offsets and counts are in bytes, sizes in pixels. */
export interface TiffPage {
  /** ImageWidth / ImageLength (tags 256/257), pixels. */
  width: number;
  height: number;
  /** TileWidth / TileLength (tags 322/323), pixels; 0 when the page is stripped (not tiled). */
  tileWidth: number;
  tileHeight: number;
  /** Tiles per row and per column: ceil(width / tileWidth), ceil(height / tileHeight) (TIFF 6.0 §15). */
  tilesAcross: number;
  tilesDown: number;
  /** Compression (tag 259): 1 none, 5 LZW, 7 JPEG (TIFF TN2), 8 deflate... */
  compression: number;
  /** PhotometricInterpretation (tag 262): 1 black-is-zero, 2 RGB, 6 YCbCr. */
  photometric: number;
  /** SamplesPerPixel (tag 277), default 1. */
  samplesPerPixel: number;
  /** BitsPerSample of the first sample (tag 258), default 1. */
  bitsPerSample: number;
  /** PlanarConfiguration (tag 284): 1 chunky (default), 2 planar. */
  planarConfiguration: number;
  /** TileOffsets (tag 324): byte offset of each tile, row-major. */
  tileOffsets: Float64Array;
  /** TileByteCounts (tag 325): byte length of each tile. */
  tileByteCounts: Float64Array;
  /** JPEGTables (tag 347): an abbreviated JPEG table-specification stream (SOI, DQT/DHT..., EOI), when present. */
  jpegTables?: Buffer;
}

/** The directory of a tiled TIFF: its pages in IFD-chain order (for a libvips pyramid, page k = scale 2^k). */
export interface TiffTileIndex {
  littleEndian: boolean;
  bigTiff: boolean;
  pages: TiffPage[];
}

/** The file is not a TIFF, is truncated, or its directories are inconsistent. */
export class TiffFormatError extends Error {
  override readonly name = 'TiffFormatError';
}

const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  SamplesPerPixel: 277,
  PlanarConfiguration: 284,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  JPEGTables: 347,
} as const;

/** Byte size of each TIFF field type (TIFF 6.0 §2 "Types"; 16-18 are BigTIFF's LONG8/SLONG8/IFD8). */
const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** At most this many pages: a pyramid of a 2^20-pixel image has 12; a loop in the IFD chain is caught by a set too. */
const MAX_PAGES = 64;
/** At most this many entries in one IFD (libvips writes ~20). */
const MAX_ENTRIES = 4096;
/** JPEGTables larger than this are refused (a full set of tables is < 1 KiB). */
const MAX_TABLES_BYTES = 65_536;

interface RawEntry {
  tag: number;
  type: number;
  count: number;
  /** Offset of the value (inline in the entry, or where the entry points), bytes. */
  valueOffset: number;
  /** The value bytes when they were inline in the entry. */
  inline?: Buffer;
}

/**
 * Reads the tile directory of the TIFF behind `read` (classic TIFF, "II"/"MM" + 42, or BigTIFF, + 43 with 8-byte
 * offsets): walks the IFD chain and records every page (TIFF 6.0 §2, §15; TIFF TN2 for `JPEGTables`).
 *
 * @param read positioned reader of the file.
 * @param fileSize the file's size in bytes: every offset and tile must lie inside it.
 * @throws TiffFormatError when the header is not TIFF, a directory or tile lies outside the file (truncated),
 *   a tiled page lacks TileOffsets/TileByteCounts or has the wrong number of them, or the IFD chain loops.
 */
export async function readTiffTileIndex(read: RangeReader, fileSize: number): Promise<TiffTileIndex> {
  const header = await readExactly(read, 0, 16, fileSize, 'header', 8);
  const order = header.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM')
    throw new TiffFormatError('not a TIFF file (no II/MM byte order mark)');
  const le = order === 'II';
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number): number => {
    const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TiffFormatError('offset beyond 2^53');
    return Number(v);
  };
  const magic = u16(header, 2);
  let bigTiff: boolean;
  let ifdOffset: number;
  if (magic === 42) {
    bigTiff = false;
    ifdOffset = u32(header, 4);
  } else if (magic === 43) {
    if (header.length < 16 || u16(header, 4) !== 8)
      throw new TiffFormatError('BigTIFF header with an offset size other than 8');
    bigTiff = true;
    ifdOffset = u64(header, 8);
  } else {
    throw new TiffFormatError(`not a TIFF file (version ${magic}, expected 42 or 43)`);
  }

  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const inlineSize = bigTiff ? 8 : 4;
  const pages: TiffPage[] = [];
  const seen = new Set<number>();
  while (ifdOffset !== 0) {
    if (seen.has(ifdOffset)) throw new TiffFormatError(`IFD chain loops at offset ${ifdOffset}`);
    if (pages.length >= MAX_PAGES) throw new TiffFormatError(`more than ${MAX_PAGES} pages`);
    seen.add(ifdOffset);
    const countBuf = await readExactly(read, ifdOffset, countSize, fileSize, `IFD ${pages.length}`);
    const n = bigTiff ? u64(countBuf, 0) : u16(countBuf, 0);
    if (n === 0 || n > MAX_ENTRIES) throw new TiffFormatError(`IFD ${pages.length} has ${n} entries`);
    const body = await readExactly(
      read,
      ifdOffset + countSize,
      n * entrySize + (bigTiff ? 8 : 4),
      fileSize,
      `IFD ${pages.length}`,
    );
    const entries = new Map<number, RawEntry>();
    for (let i = 0; i < n; i++) {
      const o = i * entrySize;
      const tag = u16(body, o);
      const type = u16(body, o + 2);
      const count = bigTiff ? u64(body, o + 4) : u32(body, o + 4);
      const size = (TYPE_SIZE[type] ?? 0) * count;
      const valueAt = o + (bigTiff ? 12 : 8);
      if (size <= inlineSize) {
        entries.set(tag, {
          tag,
          type,
          count,
          valueOffset: ifdOffset + countSize + valueAt,
          inline: body.subarray(valueAt, valueAt + inlineSize),
        });
      } else {
        entries.set(tag, {
          tag,
          type,
          count,
          valueOffset: bigTiff ? u64(body, valueAt) : u32(body, valueAt),
        });
      }
    }
    const next = n * entrySize;
    const nextIfd = bigTiff ? u64(body, next) : u32(body, next);

    const values = async (e: RawEntry | undefined, what: string): Promise<Float64Array | undefined> => {
      if (!e) return undefined;
      const size = TYPE_SIZE[e.type];
      if (size === undefined || ![3, 4, 16].includes(e.type))
        throw new TiffFormatError(`${what} has field type ${e.type}`);
      const bytes = e.inline ?? (await readExactly(read, e.valueOffset, size * e.count, fileSize, what));
      const out = new Float64Array(e.count);
      for (let i = 0; i < e.count; i++)
        out[i] = e.type === 3 ? u16(bytes, i * 2) : e.type === 4 ? u32(bytes, i * 4) : u64(bytes, i * 8);
      return out;
    };
    const scalar = async (tag: number, fallback: number): Promise<number> => {
      const v = await values(entries.get(tag), `tag ${tag}`);
      return v && v.length > 0 ? v[0] : fallback;
    };

    const p = pages.length;
    const width = await scalar(TAG.ImageWidth, 0);
    const height = await scalar(TAG.ImageLength, 0);
    if (width <= 0 || height <= 0) throw new TiffFormatError(`page ${p} has no ImageWidth/ImageLength`);
    const tileWidth = await scalar(TAG.TileWidth, 0);
    const tileHeight = await scalar(TAG.TileLength, 0);
    const tiled = tileWidth > 0 && tileHeight > 0;
    const tilesAcross = tiled ? Math.ceil(width / tileWidth) : 0;
    const tilesDown = tiled ? Math.ceil(height / tileHeight) : 0;
    const samplesPerPixel = await scalar(TAG.SamplesPerPixel, 1);
    const planarConfiguration = await scalar(TAG.PlanarConfiguration, 1);
    let tileOffsets: Float64Array = new Float64Array(0);
    let tileByteCounts: Float64Array = new Float64Array(0);
    if (tiled) {
      const offs = await values(entries.get(TAG.TileOffsets), `page ${p} TileOffsets`);
      const counts = await values(entries.get(TAG.TileByteCounts), `page ${p} TileByteCounts`);
      if (!offs || !counts) throw new TiffFormatError(`tiled page ${p} lacks TileOffsets or TileByteCounts`);
      const expected = tilesAcross * tilesDown * (planarConfiguration === 2 ? samplesPerPixel : 1);
      if (offs.length !== expected || counts.length !== expected) {
        throw new TiffFormatError(
          `page ${p} has ${offs.length} tile offsets and ${counts.length} byte counts, expected ${expected}`,
        );
      }
      for (let i = 0; i < expected; i++) {
        if (offs[i] + counts[i] > fileSize)
          throw new TiffFormatError(`page ${p} tile ${i} lies beyond the end of the file (truncated?)`);
      }
      tileOffsets = offs;
      tileByteCounts = counts;
    }
    let jpegTables: Buffer | undefined;
    const tables = entries.get(TAG.JPEGTables);
    if (tables) {
      if (tables.count > MAX_TABLES_BYTES)
        throw new TiffFormatError(`page ${p} JPEGTables is ${tables.count} bytes`);
      jpegTables = Buffer.from(
        tables.inline?.subarray(0, tables.count) ??
          (await readExactly(read, tables.valueOffset, tables.count, fileSize, `page ${p} JPEGTables`)),
      );
    }
    pages.push({
      width,
      height,
      tileWidth,
      tileHeight,
      tilesAcross,
      tilesDown,
      compression: await scalar(TAG.Compression, 1),
      photometric: await scalar(TAG.Photometric, -1),
      samplesPerPixel,
      bitsPerSample: await scalar(TAG.BitsPerSample, 1),
      planarConfiguration,
      tileOffsets,
      tileByteCounts,
      jpegTables,
    });
    ifdOffset = nextIfd;
  }
  if (pages.length === 0) throw new TiffFormatError('TIFF without pages');
  return { littleEndian: le, bigTiff, pages };
}

/** Reads exactly `length` bytes (at least `min` when given: the BigTIFF header probe) or throws a truncation error. */
async function readExactly(
  read: RangeReader,
  offset: number,
  length: number,
  fileSize: number,
  what: string,
  min = length,
): Promise<Buffer> {
  if (offset < 0 || offset + min > fileSize)
    throw new TiffFormatError(
      `${what} at ${offset} (+${min} bytes) lies beyond the end of the ${fileSize}-byte file (truncated?)`,
    );
  const buf = await read(offset, Math.min(length, fileSize - offset));
  if (buf.length < min)
    throw new TiffFormatError(`${what} at ${offset}: short read (${buf.length} of ${min} bytes)`);
  return buf;
}
