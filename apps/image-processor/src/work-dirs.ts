import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { IMAGE_PROCESSOR_CONFIG, type ImageProcessorConfig } from './image-processor.config';

/** Instance directories are `<tmp root>/vellum-image-processor-<instance>`. */
export const WORK_DIR_PREFIX = 'vellum-image-processor-';
/** The marker in each instance directory: who made it (this service), on which host, which process. */
export const OWNER_FILE = 'owner.json';

/** Contents of {@link OWNER_FILE}. */
export interface WorkDirOwner {
  service: 'image-processor';
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
}

/** `<tmpRoot>/vellum-image-processor-<instance>`, the instance name reduced to `[A-Za-z0-9._-]` (≤ 100 chars). */
export function instanceDirFor(tmpRoot: string, instance: string): string {
  const safe = instance.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'default';
  return path.join(tmpRoot, `${WORK_DIR_PREFIX}${safe}`);
}

/** True while a process with this pid exists (`kill(pid, 0)`; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner record of an instance directory, or undefined when it has none this service wrote. */
async function readOwner(dir: string): Promise<WorkDirOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as Partial<WorkDirOwner>;
    if (owner.service !== 'image-processor' || typeof owner.pid !== 'number') return undefined;
    if (typeof owner.hostname !== 'string') return undefined;
    return owner as WorkDirOwner;
  } catch {
    return undefined;
  }
}

/** Whether `dir` is an instance directory this service made whose process is gone (so safe to delete). */
async function isStale(dir: string, host: string): Promise<boolean> {
  const st = await lstat(dir).catch(() => undefined);
  // Real directories only (never follow a symlink), and only our own user's.
  if (!st?.isDirectory()) return false;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return false;
  const owner = await readOwner(dir);
  // A directory without our marker is not ours; another host's processes cannot be checked from here.
  if (!owner || owner.hostname !== host) return false;
  return owner.pid !== process.pid && !processAlive(owner.pid);
}

/**
 * Deletes the instance directories under `tmpRoot` left by image-processor instances that died (SIGKILL, OOM, a
 * crash) with jobs in flight: a directory is removed only if it is named `vellum-image-processor-*`, is a real
 * directory of this user, holds an {@link OWNER_FILE} written by this service on this host, and that process no
 * longer exists. `keep` (this instance's own directory) is never touched.
 * @returns the directories removed.
 */
export async function removeStaleWorkDirs(tmpRoot: string, keep?: string): Promise<string[]> {
  const names = await readdir(tmpRoot).catch(() => [] as string[]);
  const host = hostname();
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = path.join(tmpRoot, name);
    if (keep && path.resolve(dir) === path.resolve(keep)) continue;
    if (!(await isStale(dir, host))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * The image-processor's temp space (SPEC.md §4.3): one directory per process,
 * `<VELLUM_TMP_DIR or os.tmpdir()>/vellum-image-processor-<SERVICE_INSTANCE>`, holding one `job-*` directory per
 * job in flight (the downloaded source, the decoded JPEG 2000, the pyramid before upload).
 *
 * - Start-up ({@link prepare}, also awaited by the first job): removes the directories of dead instances
 *   ({@link removeStaleWorkDirs}), then claims this instance's directory with an {@link OWNER_FILE}. A leftover
 *   directory of the same name whose owner is gone (a restart under the same `SERVICE_INSTANCE`) is emptied;
 *   one whose owner still runs, or that this service did not make, is an error (two instances must not share it).
 * - Each job: {@link createJobDir}, and {@link removeJobDir} whatever the outcome.
 * - Shutdown (after in-flight jobs finished): the instance directory is removed.
 */
@Injectable()
export class WorkDirs implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(WorkDirs.name);
  /** This process's directory. */
  readonly instanceDir: string;
  private readonly tmpRoot: string;
  private prepared?: Promise<void>;

  constructor(
    @Inject(IMAGE_PROCESSOR_CONFIG) config: Pick<ImageProcessorConfig, 'tmpRoot' | 'instanceName'>,
  ) {
    this.tmpRoot = config.tmpRoot;
    this.instanceDir = instanceDirFor(config.tmpRoot, config.instanceName);
  }

  async onModuleInit(): Promise<void> {
    await this.prepare();
  }

  /** Cleans up after dead instances and claims this instance's directory; runs once (memoised). */
  prepare(): Promise<void> {
    this.prepared ??= this.doPrepare().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  private async doPrepare(): Promise<void> {
    await mkdir(this.tmpRoot, { recursive: true });
    const removed = await removeStaleWorkDirs(this.tmpRoot, this.instanceDir);
    if (removed.length)
      this.log.log(`removed ${removed.length} work directories of dead instances: ${removed.join(', ')}`);
    await this.claim();
  }

  private async claim(): Promise<void> {
    const dir = this.instanceDir;
    const st = await lstat(dir).catch(() => undefined);
    if (st) {
      const owner = await readOwner(dir);
      const ours =
        st.isDirectory() &&
        owner !== undefined &&
        owner.hostname === hostname() &&
        (owner.pid === process.pid || !processAlive(owner.pid));
      if (!ours) {
        throw new Error(
          owner
            ? `${dir} belongs to a running image-processor (pid ${owner.pid} on ${owner.hostname}); give each instance its own SERVICE_INSTANCE`
            : `${dir} exists but was not made by the image-processor; remove it or set another VELLUM_TMP_DIR`,
        );
      }
      // Left by an earlier run of this instance name: its jobs are gone.
      if (owner.pid !== process.pid) this.log.log(`removing the work files of an earlier run in ${dir}`);
      await rm(dir, { recursive: true, force: true });
    }
    await this.writeOwnDir();
  }

  /** Creates this instance's directory (if missing) and writes its owner record. */
  private async writeOwnDir(): Promise<void> {
    const dir = this.instanceDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const record: WorkDirOwner = {
      service: 'image-processor',
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
    };
    const tmp = path.join(dir, `.${OWNER_FILE}.${process.pid}`);
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, path.join(dir, OWNER_FILE));
  }

  /** A new, empty, private directory for one job, inside this instance's directory. */
  async createJobDir(): Promise<string> {
    await this.prepare();
    try {
      return await mkdtemp(path.join(this.instanceDir, 'job-'));
    } catch (err) {
      // Someone removed the instance directory (a tmp cleaner): make it again, once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.writeOwnDir();
      return mkdtemp(path.join(this.instanceDir, 'job-'));
    }
  }

  /** Removes a job's directory; never throws (a failure is logged), so it cannot mask the job's own outcome. */
  async removeJobDir(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      this.log.warn(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await rm(this.instanceDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
