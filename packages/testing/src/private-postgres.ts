import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './wait';

/** A PostgreSQL cluster of one test's own, started by {@link startPrivatePostgres}. */
export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust auth): pass it as `baseUrl` to `createTestDatabase`. */
  url: string;
  port: number;
  /** Stops the server (`pg_ctl stop -m immediate`: like a crash or a pulled cable; clients see their connections die). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** The `bin` directory of the newest PostgreSQL server installed from Debian (`/usr/lib/postgresql/<v>/bin`). */
async function serverBinDir(): Promise<string> {
  const base = '/usr/lib/postgresql';
  const versions = (await readdir(base).catch(() => [] as string[]))
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL server under ${base} (install postgresql)`);
  return path.join(base, versions[0], 'bin');
}

/**
 * Starts a throwaway PostgreSQL cluster on a free loopback port (for tests that stop the database: outages must
 * never touch the machine's shared server). `initdb` runs with trust authentication, `fsync=off`, the socket in
 * the data directory; as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 * Takes about 1–3 s. Call `destroy()` in `afterAll`.
 *
 * @throws Error when the server binaries are missing or the cluster does not start.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await serverBinDir();
  const dir = await mkdtemp(path.join(tmpdir(), 'vellum-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const pgUser = asRoot ? await run('id', ['-u', 'postgres']).then((s) => Number(s.trim())) : undefined;
  const pgGroup = asRoot ? await run('id', ['-g', 'postgres']).then((s) => Number(s.trim())) : undefined;
  if (asRoot) {
    await chown(dir, pgUser!, pgGroup!);
    await chmod(dir, 0o700);
  }
  const as = (cmd: string, args: string[]): Promise<string> =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args])
      : run(path.join(bin, cmd), args);
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100`;
  const start = async (): Promise<void> => {
    await as('pg_ctl', [
      '-D',
      data,
      '-o',
      options,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  };
  let running = false;
  let destroyed = false;
  await start();
  running = true;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (!running) return;
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async start() {
      if (running) return;
      await start();
      running = true;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (running) await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
