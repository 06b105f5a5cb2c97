import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createWriteStream, Dirent, type WriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteRange, ObjectInfo, ObjectNotFoundError, ObjectStore } from './object-store';
import { compareKeys, InvalidObjectKeyError } from './util';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Thrown by the filesystem driver when writing into a bucket that was never created (as S3 `NoSuchBucket`). */
export class BucketNotFoundError extends Error {
  constructor(readonly bucket: string) {
    super(`Bucket not found: ${bucket}`);
    this.name = 'BucketNotFoundError';
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * Filesystem driver: the object `bucket/key` is the file `{root}/{bucket}/{key}` (SPEC.md §9 local mode).
 * Key characters are kept intact (`%2F`, spaces, unicode); segments that are empty, `.` or `..` are refused
 * ({@link InvalidObjectKeyError}), so no key can escape its bucket. Writes go to `{root}/.tmp` then are renamed
 * into place, so readers never see a partial object. Limitation (unlike S3): a key cannot also be a "folder" of
 * other keys (`a` and `a/b` cannot both exist).
 */
export class FsObjectStore implements ObjectStore {
  readonly driver = 'fs';
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
  }

  private bucketDir(bucket: string): string {
    if (!BUCKET_NAME.test(bucket)) throw new InvalidObjectKeyError(`Invalid bucket name: ${bucket}`);
    return path.join(this.root, bucket);
  }

  /** Maps a key to its file, refusing traversal. */
  private filePath(bucket: string, key: string): string {
    if (key.length === 0 || key.length > 1024 || key.includes('\0') || key.includes('\\')) {
      throw new InvalidObjectKeyError(`Invalid object key: ${JSON.stringify(key)}`);
    }
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) {
      throw new InvalidObjectKeyError(
        `Invalid object key (empty, "." or ".." segment): ${JSON.stringify(key)}`,
      );
    }
    const dir = this.bucketDir(bucket);
    const file = path.join(dir, ...segments);
    if (!file.startsWith(dir + path.sep))
      throw new InvalidObjectKeyError(`Object key escapes its bucket: ${key}`);
    return file;
  }

  private async tempFile(): Promise<string> {
    await fsp.mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  }

  private async assertBucket(bucket: string): Promise<void> {
    try {
      const st = await fsp.stat(this.bucketDir(bucket));
      if (st.isDirectory()) return;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    throw new BucketNotFoundError(bucket);
  }

  async ensureBucket(bucket: string): Promise<void> {
    await fsp.mkdir(this.bucketDir(bucket), { recursive: true });
  }

  /** Moves a finished temp file into place (atomic rename on the same filesystem). */
  private async commit(tmp: string, bucket: string, key: string): Promise<void> {
    const file = this.filePath(bucket, key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.rename(tmp, file);
  }

  async put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    _opts?: { contentType?: string },
  ): Promise<{ size: number }> {
    this.filePath(bucket, key);
    await this.assertBucket(bucket);
    const tmp = await this.tempFile();
    let out: WriteStream | undefined;
    try {
      let size = 0;
      if (Buffer.isBuffer(body)) {
        await fsp.writeFile(tmp, body);
        size = body.length;
      } else {
        body.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        out = createWriteStream(tmp);
        await pipeline(body, out);
      }
      await this.commit(tmp, bucket, key);
      return { size };
    } catch (err) {
      // A source that fails at once can reject the pipeline before the write stream has even opened its file:
      // wait for the stream to close, or the file would appear after the removal below.
      if (out && !out.closed) await new Promise<void>((resolve) => out!.once('close', () => resolve()));
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Copies a local file in (`fs.copyFile`: the kernel copies, no stream of 64 KiB chunks through JavaScript). */
  async putFile(
    bucket: string,
    key: string,
    filePath: string,
    _opts?: { contentType?: string },
  ): Promise<{ size: number }> {
    this.filePath(bucket, key);
    await this.assertBucket(bucket);
    const tmp = await this.tempFile();
    try {
      await fsp.copyFile(filePath, tmp);
      const { size } = await fsp.stat(tmp);
      await this.commit(tmp, bucket, key);
      return { size };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<Readable> {
    const file = this.filePath(bucket, key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        throw new ObjectNotFoundError(bucket, key);
      }
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
    return handle.createReadStream(
      range ? { start: range.start, end: range.end, autoClose: true } : { autoClose: true },
    );
  }

  async getBuffer(bucket: string, key: string): Promise<Buffer> {
    const file = this.filePath(bucket, key);
    try {
      return await fsp.readFile(file);
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
  }

  /** Copies the object to a local file (`fs.copyFile`, as {@link putFile}). @throws ObjectNotFoundError. */
  async download(bucket: string, key: string, filePath: string): Promise<{ size: number }> {
    const file = this.filePath(bucket, key);
    const tmp = `${filePath}.${randomBytes(6).toString('hex')}.part`;
    try {
      try {
        if (!(await fsp.stat(file)).isFile()) throw new ObjectNotFoundError(bucket, key);
        await fsp.copyFile(file, tmp);
      } catch (err) {
        if (isMissing(err)) throw new ObjectNotFoundError(bucket, key);
        throw err;
      }
      await fsp.rename(tmp, filePath);
      const st = await fsp.stat(filePath);
      return { size: st.size };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    const file = this.filePath(bucket, key);
    try {
      const st = await fsp.stat(file);
      if (!st.isFile()) return null;
      return {
        size: st.size,
        etag: `${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}`,
        lastModified: st.mtime,
      };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const file = this.filePath(bucket, key);
    try {
      await fsp.unlink(file);
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EPERM') return;
      throw err;
    }
    await this.pruneEmptyDirs(bucket, path.dirname(file));
  }

  /** Removes now-empty directories from `dir` up to (not including) the bucket directory. */
  private async pruneEmptyDirs(bucket: string, dir: string): Promise<void> {
    const stop = this.bucketDir(bucket);
    let current = dir;
    while (current.startsWith(stop + path.sep)) {
      try {
        await fsp.rmdir(current);
      } catch {
        return; // not empty (or gone): stop
      }
      current = path.dirname(current);
    }
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    const keys: string[] = [];
    for await (const entry of this.list(bucket, prefix)) keys.push(entry.key);
    let n = 0;
    for (const key of keys) {
      await this.delete(bucket, key);
      n++;
    }
    return n;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number }> {
    const bucketDir = this.bucketDir(bucket);
    // Walk only the deepest directory the prefix fully names.
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash >= 0 ? prefix.slice(0, slash) : '';
    if (dirPart.split('/').some((s) => s === '.' || s === '..')) return;
    const start = dirPart ? path.join(bucketDir, ...dirPart.split('/').filter(Boolean)) : bucketDir;
    if (start !== bucketDir && !start.startsWith(bucketDir + path.sep)) return;
    const found: Array<{ key: string; size: number }> = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const entry of entries) {
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix))
            await walk(path.join(dir, entry.name), key + '/');
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const st = await fsp.stat(path.join(dir, entry.name)).catch(() => null);
          if (st) found.push({ key, size: st.size });
        }
      }
    };
    await walk(start, dirPart ? dirPart + '/' : '');
    found.sort((a, b) => compareKeys(a.key, b.key));
    yield* found;
  }

  async ping(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    await fsp.access(this.root, fsConstants.W_OK);
  }
}
