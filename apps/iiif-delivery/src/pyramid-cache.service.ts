import cluster from 'node:cluster';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { workerCount } from '@vellum/common';
import type { ObjectStore } from '@vellum/storage';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryEnv } from './env';
import { PyramidFile } from './pyramid-file';
import { DELIVERY_ENV, OBJECT_STORE } from './tokens';

/** Identifies one version of one pyramid in the object store. */
export interface PyramidSource {
  bucket: string;
  key: string;
  /** Changes whenever the object is rewritten (e.g. the asset's `finished` time in ms); part of the file name. */
  version: string;
}

/** A pyramid file held on local disk; call `release()` when done reading it (it may be evicted after). */
export interface PyramidLease {
  path: string;
  /**
   * The file kept open with its tile directory (parsed once per cached file and kept with the cache entry).
   * @throws TiffFormatError when the file is not a readable TIFF (the failure is remembered for the entry).
   */
  file(): Promise<PyramidFile>;
  release(): void;
}

/** Open pyramid files (file descriptors + tile directories) kept at most; the least recently used unused ones close. */
const MAX_OPEN_FILES = 256;

interface Entry {
  cacheKey: string;
  version: string;
  path: string;
  /** Bytes. */
  size: number;
  /** Readers currently using the file; never evicted while > 0. */
  users: number;
  /** Evicted while its download ran: never cached; its file goes when the last reader releases it. */
  detached?: boolean;
  /** The open file and its tile directory, once asked for (see {@link PyramidLease.file}). */
  file?: Promise<PyramidFile>;
}

/**
 * Local-disk LRU cache of pyramidal TIFFs (SPEC.md §5 "Speed"): size-bounded (`VELLUM_DELIVERY_CACHE_BYTES`),
 * single-flight download per object (concurrent requests for the same pyramid download it once), files named by
 * a hash of bucket/key plus the version, so a reingested pyramid never shares a file name (libvips caches opened
 * files by name) with its predecessor. The directory is emptied at start: the cache is disposable.
 */
@Injectable()
export class PyramidCacheService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PyramidCacheService.name);
  /** Insertion order = LRU order (oldest first); an access re-inserts. */
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  /** Cache keys evicted while a download of them was in flight: the download's result is not cached. */
  private readonly discard = new Set<string>();
  private readonly root: string;
  private readonly clustered: boolean;
  private readonly dir: string;
  private readonly maxBytes: number;
  private totalBytes = 0;
  private openFiles = 0;

  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
    private readonly metrics: DeliveryMetrics,
  ) {
    this.root = path.resolve(env.VELLUM_DELIVERY_CACHE_DIR);
    // A clustered worker (VELLUM_DELIVERY_WORKERS) owns `<dir>/pid-<pid>` and its share of the byte bound.
    this.clustered = cluster.isWorker;
    this.dir = this.clustered ? path.join(this.root, `pid-${process.pid}`) : this.root;
    this.maxBytes = this.clustered
      ? Math.floor(env.VELLUM_DELIVERY_CACHE_BYTES / workerCount(env.VELLUM_DELIVERY_WORKERS))
      : env.VELLUM_DELIVERY_CACHE_BYTES;
  }

  async onModuleInit(): Promise<void> {
    if (this.clustered) await this.removeDeadWorkersDirs();
    await fsp.rm(this.dir, { recursive: true, force: true });
    await fsp.mkdir(this.dir, { recursive: true });
  }

  /** In a cluster: removes what the cache root holds besides the directories of live workers (`pid-<pid>`). */
  private async removeDeadWorkersDirs(): Promise<void> {
    const names = await fsp.readdir(this.root).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => {
          const pid = /^pid-(\d+)$/.exec(name)?.[1];
          return pid === undefined || !processAlive(Number(pid));
        })
        .map((name) => fsp.rm(path.join(this.root, name), { recursive: true, force: true })),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
    for (const entry of this.entries.values()) this.closeFile(entry);
  }

  /** Bytes currently held on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Returns a lease on the local copy of `src`, downloading it first when absent or of another version.
   * @throws ObjectNotFoundError (from the store) when the pyramid object does not exist.
   */
  async acquire(src: PyramidSource): Promise<PyramidLease> {
    const cacheKey = `${src.bucket}/${src.key}`;
    let entry = this.entries.get(cacheKey);
    if (entry && entry.version === src.version) {
      this.metrics.cacheHit('pyramid', true);
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, entry);
    } else {
      this.metrics.cacheHit('pyramid', false);
      entry = await this.load(cacheKey, src);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      path: held.path,
      file: () => held.file ?? this.openFile(held),
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.detached) {
          if (held.users <= 0) this.removeFile(held);
          return;
        }
        this.evictIfNeeded();
      },
    };
  }

  /**
   * Drops every cached version of `bucket/key` (asset deleted or reingested). Files in use go when released; a
   * download of it in flight is not cached when it lands.
   */
  evict(bucket: string, key: string): void {
    this.evictWhere((cacheKey) => cacheKey === `${bucket}/${key}`);
  }

  /**
   * Drops every cached pyramid whose key starts with `keyPrefix` in any bucket (SPEC.md §8 "Clean-up": every
   * disk-cache entry of a deleted asset, `keyPrefix` = `{customer}/{space}/{escaped id}/`), as {@link evict} does.
   * @returns how many cached entries were dropped (in-flight downloads not counted).
   */
  evictKeyPrefix(keyPrefix: string): number {
    return this.evictWhere((cacheKey) => cacheKey.slice(cacheKey.indexOf('/') + 1).startsWith(keyPrefix));
  }

  /** Cached pyramid files right now (cache key → file path), for diagnostics and tests. */
  cachedFiles(): Map<string, string> {
    return new Map([...this.entries.values()].map((e) => [e.cacheKey, e.path]));
  }

  private evictWhere(matches: (cacheKey: string) => boolean): number {
    let dropped = 0;
    for (const entry of [...this.entries.values()]) {
      if (!matches(entry.cacheKey)) continue;
      this.entries.delete(entry.cacheKey);
      this.totalBytes -= entry.size;
      this.removeWhenUnused(entry);
      dropped++;
    }
    for (const flightKey of this.inflight.keys()) {
      const cacheKey = flightKey.slice(0, flightKey.lastIndexOf('@'));
      if (matches(cacheKey)) this.discard.add(cacheKey);
    }
    return dropped;
  }

  private openFile(entry: Entry): Promise<PyramidFile> {
    if (this.openFiles >= MAX_OPEN_FILES) {
      for (const other of this.entries.values()) {
        if (this.openFiles < MAX_OPEN_FILES) break;
        if (other.users === 0 && other.file) this.closeFile(other);
      }
    }
    this.openFiles++;
    entry.file = PyramidFile.open(entry.path);
    // A file that cannot be parsed stays failed for this entry (callers fall back to rendering); it holds no fd but
    // counts as open until evicted, which keeps the bound simple.
    entry.file.catch((err: unknown) => {
      this.logger.warn(
        `pyramid ${entry.cacheKey}: no tile directory (${err instanceof Error ? err.message : String(err)})`,
      );
    });
    return entry.file;
  }

  private closeFile(entry: Entry): void {
    const file = entry.file;
    if (!file) return;
    entry.file = undefined;
    this.openFiles--;
    file
      .then(
        (f) => f.close(),
        () => undefined,
      )
      .catch((err: unknown) => this.logger.warn(`could not close ${entry.path}: ${String(err)}`));
  }

  private load(cacheKey: string, src: PyramidSource): Promise<Entry> {
    const flightKey = `${cacheKey}@${src.version}`;
    const existing = this.inflight.get(flightKey);
    if (existing) return existing;
    const p = this.download(cacheKey, src)
      .catch((err: unknown) => {
        this.discard.delete(cacheKey); // nothing landed: a later download is not to be discarded
        throw err;
      })
      .finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, p);
    return p;
  }

  private async download(cacheKey: string, src: PyramidSource): Promise<Entry> {
    const hash = createHash('sha256').update(cacheKey).digest('hex').slice(0, 32);
    const ver = createHash('sha256').update(src.version).digest('hex').slice(0, 12);
    const file = path.join(this.dir, `${hash}-${ver}-${randomBytes(4).toString('hex')}.tif`);
    const started = Date.now();
    const { size } = await this.store.download(src.bucket, src.key, file);
    this.logger.verbose(`pyramid ${cacheKey} cached (${size} bytes in ${Date.now() - started} ms)`);
    const entry: Entry = { cacheKey, version: src.version, path: file, size, users: 0 };
    if (this.discard.delete(cacheKey)) {
      // Evicted while downloading (asset deleted): serve the waiting readers, keep nothing.
      entry.detached = true;
      setImmediate(() => {
        if (entry.users <= 0) this.removeFile(entry);
      });
      return entry;
    }
    const previous = this.entries.get(cacheKey);
    if (previous) {
      this.entries.delete(cacheKey);
      this.totalBytes -= previous.size;
      this.removeWhenUnused(previous);
    }
    this.entries.set(cacheKey, entry);
    this.totalBytes += size;
    this.evictIfNeeded();
    return entry;
  }

  /** Evicts least-recently-used entries not in use until the total fits `maxBytes` (the newest entry stays). */
  private evictIfNeeded(): void {
    if (this.totalBytes <= this.maxBytes) return;
    for (const entry of [...this.entries.values()]) {
      if (this.totalBytes <= this.maxBytes || this.entries.size <= 1) break;
      if (entry.users > 0) continue;
      this.entries.delete(entry.cacheKey);
      this.totalBytes -= entry.size;
      this.removeFile(entry);
    }
  }

  private removeWhenUnused(entry: Entry): void {
    if (entry.users <= 0) {
      this.removeFile(entry);
      return;
    }
    // Poll briefly until the readers are done; renders take milliseconds.
    const timer = setInterval(() => {
      if (entry.users <= 0) {
        clearInterval(timer);
        this.removeFile(entry);
      }
    }, 200);
    timer.unref();
  }

  /** Closes the entry's open file (dropping its tile directory) and deletes it from disk. */
  private removeFile(entry: Entry): void {
    this.closeFile(entry);
    const file = entry.path;
    fsp
      .rm(file, { force: true })
      .catch((err: unknown) => this.logger.warn(`could not remove ${file}: ${String(err)}`));
  }
}

/** True when a process with `pid` exists (signal 0 probes without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
