import { read as fsRead, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  checkTileStream,
  jpegPrefixFor,
  passthroughIneligibility,
  StoredTileError,
} from './stored-jpeg-tile';
import { readTiffTileIndex, type TiffPage, type TiffTileIndex } from './tiff-tile-index';

/** A page whose tiles can be served as JPEG files, with the bytes that precede each tile's stream. */
interface ServablePage {
  page: TiffPage;
  /** SOI + JPEGTables segments (+ Adobe APP14 for RGB), see {@link jpegPrefixFor}. */
  prefix: Buffer;
}

/**
 * A pyramidal TIFF on local disk, kept open, with its tile directory parsed once ({@link readTiffTileIndex}):
 * reads one stored tile as a complete JPEG with a single positioned read (TIFF TN2 JPEG-in-TIFF tiles). Owned by
 * the pyramid disk cache entry it belongs to, closed when that entry is evicted.
 */
export class PyramidFile {
  private readonly servable: Array<ServablePage | string>;

  private constructor(
    private readonly handle: FileHandle,
    readonly index: TiffTileIndex,
  ) {
    this.servable = index.pages.map((page) => {
      const why = passthroughIneligibility(page);
      if (why) return why;
      try {
        return { page, prefix: jpegPrefixFor(page) };
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    });
  }

  /**
   * Opens `file` and reads its tile directory (header and IFDs only, by positioned reads).
   * @throws TiffFormatError when the file is not a readable TIFF (truncated, not TIFF); the handle is closed then.
   */
  static async open(file: string): Promise<PyramidFile> {
    const handle = await fsp.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const index = await readTiffTileIndex(async (offset, length) => {
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      }, size);
      return new PyramidFile(handle, index);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** The page at `level` when its stored tiles can be served as JPEG files, else why not (a sentence). */
  servablePage(level: number): TiffPage | string {
    const s = this.servable[level];
    if (s === undefined) return `no page ${level}`;
    return typeof s === 'string' ? s : s.page;
  }

  /**
   * The stored tile (`col`, `row`) of page `level` as a complete JPEG (SOI + tables + the tile's stream without
   * its SOI), read with one positioned read straight into the result buffer. Edge tiles come padded to the full
   * tile size, as stored.
   * @throws StoredTileError when the page is not servable, the tile is out of the grid, or the bytes read are not a
   *   tile stream (SOI ... EOI).
   */
  async readTileJpeg(level: number, col: number, row: number): Promise<Buffer> {
    const s = this.servable[level];
    if (s === undefined || typeof s === 'string')
      throw new StoredTileError(`page ${level} is not servable: ${s ?? 'absent'}`);
    const { page, prefix } = s;
    if (col < 0 || row < 0 || col >= page.tilesAcross || row >= page.tilesDown) {
      throw new StoredTileError(
        `tile ${col},${row} outside the ${page.tilesAcross}×${page.tilesDown} grid of page ${level}`,
      );
    }
    const i = row * page.tilesAcross + col;
    const length = page.tileByteCounts[i];
    const at = prefix.length - 2;
    // Read the tile (SOI ... EOI) right after the prefix minus 2 bytes, check it, then let the prefix overwrite its SOI.
    const out = Buffer.allocUnsafe(at + length);
    const bytesRead = await preadInto(this.handle.fd, out, at, length, page.tileOffsets[i]);
    if (bytesRead !== length)
      throw new StoredTileError(
        `short read of tile ${col},${row} of page ${level} (${bytesRead} of ${length} bytes)`,
      );
    checkTileStream(out, at, out.length);
    prefix.copy(out, 0);
    return out;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** `pread(2)` into `buf[offset, offset + length)` from file position `position` (callback API: cheaper than FileHandle.read). */
function preadInto(
  fd: number,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fsRead(fd, buf, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}
