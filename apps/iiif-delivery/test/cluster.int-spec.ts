import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type TestDatabase,
  type TestVhost,
  waitFor,
} from '@vellum/testing';

jest.setTimeout(120_000);

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

/**
 * `VELLUM_DELIVERY_WORKERS=2` (issue 11 "use every core"): the built service (`dist/main.js`, run `pnpm build`
 * first) forks two workers sharing one port; a killed worker is restarted and the port keeps answering meanwhile;
 * each worker has its own pyramid cache directory.
 */
let db: TestDatabase;
let vhost: TestVhost;
let tmp: string;
let child: ChildProcess;
let port = 0;
const lines: Array<{ pid?: number; msg?: string }> = [];

const status = (p: string): Promise<number> =>
  new Promise((resolve, reject) =>
    get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error(`GET ${p}: no answer within 5 s`));
      })
      .on('error', reject),
  );

const listening = (): number[] => lines.filter((l) => l.msg?.includes('listening on')).map((l) => l.pid!);

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm build in apps/iiif-delivery`);
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  tmp = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-cluster-'));
  port = await freePort();
  child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_STORAGE_ROOT: path.join(tmp, 'store'),
      VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'cache'),
      VELLUM_DELIVERY_WORKERS: '2',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as { pid?: number; msg?: string });
      } catch {
        // not a log line
      }
    }
  });
  await waitFor(() => listening().length >= 2, { timeoutMs: 60_000, description: 'two workers listening' });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(tmp, { recursive: true, force: true });
});

it('runs two workers, each with its own cache directory', async () => {
  const pids = new Set(listening());
  expect(pids.size).toBe(2);
  expect(pids.has(child.pid!)).toBe(false);
  const dirs = await readdir(path.join(tmp, 'cache'));
  expect(dirs.sort()).toEqual([...pids].map((p) => `pid-${p}`).sort());
});

it('restarts a killed worker, and the port keeps answering meanwhile', async () => {
  const [victim] = listening();
  process.kill(victim, 'SIGKILL');
  // Once the primary knows (a connection it handed the worker in the instant of its death is lost: node:cluster),
  // every request until the replacement listens is answered by the other worker.
  await waitFor(() => lines.some((l) => l.msg?.includes(`worker ${victim} exited`)), {
    timeoutMs: 30_000,
    description: 'the primary saw the worker exit',
  });
  let answered = 0;
  while (new Set(listening()).size < 3) {
    expect(await status('/health/live')).toBe(200);
    answered++;
  }
  expect(answered).toBeGreaterThan(0);
  await waitFor(async () => (await status('/health/ready')) === 200, {
    timeoutMs: 30_000,
    description: 'ready',
  });
  // The dead worker's cache directory is removed by the new one.
  const dirs = await readdir(path.join(tmp, 'cache'));
  expect(dirs).not.toContain(`pid-${victim}`);
  expect(dirs).toHaveLength(2);
});
