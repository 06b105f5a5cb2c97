import { type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/**
 * The ZIP projection's writer (SPEC.md §7 `zip`): entries in, a ZIP streamed out. yazl, which reads one entry's
 * stream at a time (each opened only when its turn comes, `addReadStreamLazy`) and pipes it into the output with
 * back-pressure, so memory holds a chunk or two, never an entry or the archive. JPEGs are stored, not deflated
 * (they do not compress). No Nest, no store: the caller names the entries and owns the stream.
 */

/** One entry: its name in the archive and how to open its bytes. */
export interface ZipEntrySource {
  /** Path in the archive (no leading `/`, no `..`). */
  name: string;
  /** Its modification time (the asset's `finished`). */
  mtime: Date;
  /** Bytes, when known: yazl then checks the stream delivers exactly that many. */
  size?: number;
  /** Opens the bytes, when the entry's turn comes. */
  open: () => Promise<Readable>;
}

/** What {@link writeZip} wrote. */
export interface ZipResult {
  entryCount: number;
  /** Bytes written to the output. */
  bytes: number;
}

/**
 * A file name for an entry from an asset id (SPEC.md §1: an id is one URL path segment, RFC 3986 unreserved +
 * sub-delims): characters Windows or unzip tools refuse (`\ / : * ? " < > |`, controls) become `_`, a name of dots
 * only becomes `_`, and the `extension` is appended. A name already `used` gets ` (2)`, ` (3)`… before the
 * extension (two spaces may hold the same id).
 */
export function zipEntryName(assetId: string, extension: string, used: Set<string>): string {
  // eslint-disable-next-line no-control-regex
  let base = assetId.replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, '_');
  if (/^\.*$/.test(base)) base = '_';
  let name = `${base}.${extension}`;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base} (${n}).${extension}`;
  used.add(name.toLowerCase());
  return name;
}

/**
 * Writes a ZIP of `entries` (in order) to `out`, and ends `out`.
 * @returns entry count and bytes.
 * @throws the first error of an entry's `open` or stream, of yazl or of `out`; `out` is then destroyed with it.
 */
export async function writeZip(entries: readonly ZipEntrySource[], out: Writable): Promise<ZipResult> {
  if (entries.length === 0) throw new Error('a ZIP needs at least one entry');
  const zip = new ZipFile();
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  // yazl reports entry failures on the ZipFile: end the pipeline with them.
  zip.on('error', (err: Error) => (zip.outputStream as Readable).destroy(err));
  for (const entry of entries) {
    zip.addReadStreamLazy(
      entry.name,
      { mtime: entry.mtime, compress: false, ...(entry.size !== undefined ? { size: entry.size } : {}) },
      (cb) => {
        entry.open().then(
          (stream) => {
            stream.once('error', (err) => zip.emit('error', err));
            cb(null, stream);
          },
          (err: Error) => cb(err, undefined as unknown as Readable),
        );
      },
    );
  }
  const piping = pipeline(zip.outputStream, counter, out);
  zip.end();
  await piping;
  return { entryCount: entries.length, bytes };
}
