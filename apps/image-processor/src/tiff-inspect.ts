import { open } from 'node:fs/promises';

/** Facts of one IFD (page) of a classic TIFF, as the tile server will see them. */
export interface TiffPage {
  width: number;
  height: number;
  tileWidth?: number;
  tileHeight?: number;
  /** TIFF Compression tag: 7 = JPEG ("new-style"). */
  compression?: number;
  /** TIFF PhotometricInterpretation: 2 RGB, 6 YCbCr. */
  photometric?: number;
  /** Number of tiles (TileOffsets count). */
  tileCount?: number;
  /** Whether the page has shared JPEGTables (tag 347): tiles are then abbreviated JPEG streams. */
  hasJpegTables: boolean;
  /** TIFF BitsPerSample (of the first sample; 1 when absent). */
  bitsPerSample: number;
  /** TIFF SamplesPerPixel (1 when absent). */
  samplesPerPixel: number;
  /** TIFF PlanarConfiguration: 1 chunky, 2 planar (1 when absent). */
  planarConfiguration: number;
  /** TIFF Orientation 1–8 (1 when absent). */
  orientation: number;
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 16: 8 };

/**
 * Reads the IFD chain of a classic (non-Big) TIFF: per page its size, tiling, compression and sample layout. Used
 * to check that the written pyramid has the tile size and levels delivery relies on (SPEC.md §5), and whether a
 * `use-original` origin already has them (`tile-source.ts`). Pure header reading; at most 64 pages.
 * @throws Error when the file is not a classic TIFF.
 */
export async function inspectTiff(file: string): Promise<TiffPage[]> {
  const fh = await open(file, 'r');
  try {
    const read = async (pos: number, len: number): Promise<Buffer> => {
      const b = Buffer.alloc(len);
      await fh.read(b, 0, len, pos);
      return b;
    };
    const head = await read(0, 8);
    const le = head.toString('latin1', 0, 2) === 'II';
    if (!le && head.toString('latin1', 0, 2) !== 'MM') throw new Error('not a TIFF');
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    if (u16(head, 2) !== 42) throw new Error('not a classic TIFF');
    const pages: TiffPage[] = [];
    let ifd = u32(head, 4);
    while (ifd !== 0 && pages.length < 64) {
      const count = u16(await read(ifd, 2), 0);
      const entries = await read(ifd + 2, count * 12 + 4);
      const page: TiffPage = {
        width: 0,
        height: 0,
        hasJpegTables: false,
        bitsPerSample: 1,
        samplesPerPixel: 1,
        planarConfiguration: 1,
        orientation: 1,
      };
      for (let i = 0; i < count; i++) {
        const e = i * 12;
        const tag = u16(entries, e);
        const type = u16(entries, e + 2);
        const n = u32(entries, e + 4);
        const value = type === 3 && n === 1 ? u16(entries, e + 8) : u32(entries, e + 8);
        switch (tag) {
          case 256:
            page.width = value;
            break;
          case 257:
            page.height = value;
            break;
          case 259:
            page.compression = value;
            break;
          case 258:
            // One SHORT per sample: inline when it fits in 4 bytes, else at the offset the entry holds.
            page.bitsPerSample = n * 2 <= 4 ? u16(entries, e + 8) : u16(await read(value, 2), 0);
            break;
          case 262:
            page.photometric = value;
            break;
          case 274:
            page.orientation = value;
            break;
          case 277:
            page.samplesPerPixel = value;
            break;
          case 284:
            page.planarConfiguration = value;
            break;
          case 322:
            page.tileWidth = value;
            break;
          case 323:
            page.tileHeight = value;
            break;
          case 324:
            page.tileCount = n;
            break;
          case 347:
            page.hasJpegTables = n * (TYPE_SIZES[type] ?? 1) > 0;
            break;
        }
      }
      pages.push(page);
      ifd = u32(entries, count * 12);
    }
    return pages;
  } finally {
    await fh.close();
  }
}
