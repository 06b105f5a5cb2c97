import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository's test media folder (`<repo>/fixtures`), resolved from this package so it works from `src`
 * (ts-jest) and from `dist` alike. Provenance and licences: `fixtures/PROVENANCE.md` in the lead's shared notes.
 */
export const FIXTURES_DIR = path.resolve(__dirname, '../../../fixtures');

/**
 * Absolute path of a test media file in `<repo>/fixtures`.
 * @throws Error when the file does not exist (names the folder searched).
 */
export function fixturePath(name: string): string {
  const file = path.resolve(FIXTURES_DIR, name);
  if (!existsSync(file)) throw new Error(`fixture "${name}" not found in ${FIXTURES_DIR}`);
  return file;
}

/** A test media file and what is known about it. Pixel sizes are as displayed (EXIF orientation applied). */
export interface Fixture {
  name: string;
  mediaType: string;
  /** Displayed width in pixels (undefined when the file cannot be decoded). */
  width?: number;
  /** Displayed height in pixels. */
  height?: number;
  /** Stored (pre-EXIF-rotation) pixel size, when it differs from the displayed one. */
  stored?: { width: number; height: number };
  /** True for a file a decoder must reject or flag. */
  corrupt?: boolean;
  bytes: number;
  note: string;
}

/** Every fixture in `<repo>/fixtures`, with its known dimensions. */
export const FIXTURES: readonly Fixture[] = [
  {
    name: 'photo-large.jpg',
    mediaType: 'image/jpeg',
    width: 5312,
    height: 2988,
    bytes: 1_485_159,
    note: 'large progressive RGB JPEG, no EXIF',
  },
  {
    name: 'exif-orientation-6.jpg',
    mediaType: 'image/jpeg',
    width: 1800,
    height: 1200,
    stored: { width: 1200, height: 1800 },
    bytes: 275_595,
    note: 'EXIF Orientation 6: stored 1200x1800, displays 1800x1200',
  },
  {
    name: 'png-alpha.png',
    mediaType: 'image/png',
    width: 592,
    height: 1167,
    bytes: 171_033,
    note: 'RGBA PNG with real transparency',
  },
  {
    name: 'tiff-lzw.tif',
    mediaType: 'image/tiff',
    width: 1165,
    height: 859,
    bytes: 2_375_864,
    note: 'flat RGB TIFF, LZW',
  },
  {
    name: 'scan.jp2',
    mediaType: 'image/jp2',
    width: 2717,
    height: 3701,
    bytes: 670_265,
    note: 'lossy JPEG 2000 scan, 1024 tiles',
  },
  {
    name: 'corrupt-truncated.jpg',
    mediaType: 'image/jpeg',
    corrupt: true,
    bytes: 200_000,
    note: 'header says 1165x859, data truncated, no EOI marker',
  },
  {
    name: '67352ccc-d1b0-11e1-89ae-279075081939.png',
    mediaType: 'image/png',
    width: 1000,
    height: 1000,
    bytes: 25_716,
    note: 'the IIIF Image API validator test image (use this id)',
  },
  {
    name: 'cmyk.jpg',
    mediaType: 'image/jpeg',
    width: 600,
    height: 400,
    bytes: 184_864,
    note: 'CMYK (YCCK) JPEG, no ICC profile',
  },
  {
    name: 'grayscale.png',
    mediaType: 'image/png',
    width: 512,
    height: 512,
    bytes: 139_512,
    note: '8-bit grayscale PNG',
  },
];

/** The {@link Fixture} entry for `name`. @throws Error for an unknown name. */
export function fixture(name: string): Fixture {
  const found = FIXTURES.find((f) => f.name === name);
  if (!found) throw new Error(`unknown fixture "${name}"`);
  return found;
}
