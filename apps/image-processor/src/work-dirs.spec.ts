import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  instanceDirFor,
  OWNER_FILE,
  processAlive,
  removeStaleWorkDirs,
  WORK_DIR_PREFIX,
  WorkDirs,
  type WorkDirOwner,
} from './work-dirs';

/** The pid of a process that has exited (so no process has it, barring reuse within the test). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((r) => child.once('exit', r));
  return pid;
}

async function instanceDir(root: string, name: string, owner?: Partial<WorkDirOwner>): Promise<string> {
  const dir = path.join(root, `${WORK_DIR_PREFIX}${name}`);
  await mkdir(path.join(dir, 'job-abc'), { recursive: true });
  await writeFile(path.join(dir, 'job-abc', 'source'), 'partial download');
  if (owner)
    await writeFile(
      path.join(dir, OWNER_FILE),
      JSON.stringify({ service: 'image-processor', hostname: hostname(), startedAt: '', ...owner }),
    );
  return dir;
}

describe('work directories', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vellum-workdirs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names the instance directory after the instance, safely', () => {
    expect(instanceDirFor('/tmp', 'host-1-42')).toBe('/tmp/vellum-image-processor-host-1-42');
    expect(instanceDirFor('/tmp', '../../etc x')).toBe('/tmp/vellum-image-processor-.._.._etc_x');
  });

  it('knows live from dead processes', async () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(await deadPid())).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-1)).toBe(false);
  });

  it('removes only directories this service made whose process is gone', async () => {
    const dead = await instanceDir(root, 'dead', { pid: await deadPid() });
    const alive = await instanceDir(root, 'alive', { pid: process.pid });
    const foreign = await instanceDir(root, 'no-owner-file');
    const otherHost = await instanceDir(root, 'other-host', { pid: await deadPid(), hostname: 'elsewhere' });
    const otherService = await instanceDir(root, 'other-service', {
      pid: await deadPid(),
      service: 'av-transcoder' as 'image-processor',
    });
    const unrelated = path.join(root, 'someone-elses-dir');
    await mkdir(unrelated);
    await writeFile(
      path.join(unrelated, OWNER_FILE),
      JSON.stringify({ service: 'image-processor', pid: await deadPid(), hostname: hostname() }),
    );
    const target = await instanceDir(root, 'link-target', { pid: await deadPid() });
    const link = path.join(root, `${WORK_DIR_PREFIX}link`);
    await symlink(target, link);

    const removed = await removeStaleWorkDirs(root, path.join(root, `${WORK_DIR_PREFIX}self`));
    expect(removed.sort()).toEqual([dead, target].sort());
    const left = await readdir(root);
    expect(left.sort()).toEqual(
      [alive, foreign, otherHost, otherService, unrelated, link].map((d) => path.basename(d)).sort(),
    );
  });

  it('never removes its own directory while scanning', async () => {
    const self = await instanceDir(root, 'self', { pid: await deadPid() });
    expect(await removeStaleWorkDirs(root, self)).toEqual([]);
  });

  describe('WorkDirs', () => {
    it('cleans up after dead instances at start-up, then claims its own directory', async () => {
      const dead = await instanceDir(root, 'dead', { pid: await deadPid() });
      const dirs = new WorkDirs({ tmpRoot: root, instanceName: 'me' });
      await dirs.onModuleInit();
      expect(await readdir(root)).toEqual([`${WORK_DIR_PREFIX}me`]);
      expect(dirs.instanceDir).toBe(path.join(root, `${WORK_DIR_PREFIX}me`));
      const owner = JSON.parse(
        await readFile(path.join(dirs.instanceDir, OWNER_FILE), 'utf8'),
      ) as WorkDirOwner;
      expect(owner).toMatchObject({ service: 'image-processor', pid: process.pid, hostname: hostname() });
      expect(dead).not.toBe(dirs.instanceDir);
    });

    it('gives each job its own directory and removes it; shutdown removes the instance directory', async () => {
      const dirs = new WorkDirs({ tmpRoot: root, instanceName: 'me' });
      const a = await dirs.createJobDir();
      const b = await dirs.createJobDir();
      expect(a).not.toBe(b);
      expect(path.dirname(a)).toBe(dirs.instanceDir);
      await writeFile(path.join(a, 'pyramid.tif'), 'partial');
      await dirs.removeJobDir(a);
      await dirs.removeJobDir(b);
      await dirs.removeJobDir(b); // twice is fine
      expect(await readdir(dirs.instanceDir)).toEqual([OWNER_FILE]);
      await dirs.onApplicationShutdown();
      expect(await readdir(root)).toEqual([]);
    });

    it('takes over the directory of an earlier, dead run under the same instance name', async () => {
      await instanceDir(root, 'same', { pid: await deadPid() });
      const dirs = new WorkDirs({ tmpRoot: root, instanceName: 'same' });
      await dirs.prepare();
      expect(await readdir(dirs.instanceDir)).toEqual([OWNER_FILE]);
    });

    it('refuses a directory of the same name that a live process or something else owns', async () => {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        await instanceDir(root, 'taken', { pid: child.pid });
        await expect(new WorkDirs({ tmpRoot: root, instanceName: 'taken' }).prepare()).rejects.toThrow(
          `belongs to a running image-processor (pid ${child.pid} on ${hostname()}); give each instance its own SERVICE_INSTANCE`,
        );
      } finally {
        child.kill('SIGKILL');
      }
      await instanceDir(root, 'not-ours');
      await expect(new WorkDirs({ tmpRoot: root, instanceName: 'not-ours' }).prepare()).rejects.toThrow(
        'exists but was not made by the image-processor',
      );
    });

    it('makes its directory again if a tmp cleaner removed it', async () => {
      const dirs = new WorkDirs({ tmpRoot: root, instanceName: 'me' });
      await dirs.prepare();
      await rm(dirs.instanceDir, { recursive: true });
      const job = await dirs.createJobDir();
      expect(path.dirname(job)).toBe(dirs.instanceDir);
      expect((await readdir(dirs.instanceDir)).sort()).toEqual([path.basename(job), OWNER_FILE].sort());
    });
  });
});
