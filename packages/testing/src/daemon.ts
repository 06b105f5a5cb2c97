import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { waitFor } from './wait';

/** A server process a test started, already accepting TCP connections on its port. */
export interface Daemon {
  readonly proc: ChildProcess;
  /** What the process wrote to stdout and stderr so far (the last 64 KiB), for failure messages. */
  output(): string;
  /** Stops it: SIGTERM, then SIGKILL after `graceMs` (default 10000); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startDaemon}. */
export interface StartDaemonOptions {
  command: string;
  args: readonly string[];
  /** The 127.0.0.1 port it will listen on (e.g. from `freePort()`). */
  port: number;
  /** What it is, for messages ("sshd", "vsftpd"). */
  description: string;
  /** Milliseconds to wait for the port to accept connections (default 30000). */
  timeoutMs?: number;
  cwd?: string;
  /** Extra environment variables of the process, over this process's own. */
  env?: Record<string, string>;
}

/** True when a TCP connection to 127.0.0.1:port opens (and is closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Spawns a real server (sshd, vsftpd...) in the foreground and waits until it accepts connections on
 * `127.0.0.1:port`. Only that process is ever signalled by {@link Daemon.stop}.
 * @throws Error with the process's output when it exits before listening, or does not listen within `timeoutMs`.
 */
export async function startDaemon(opts: StartDaemonOptions): Promise<Daemon> {
  const proc = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let out = '';
  const collect = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-65536);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  proc.once('error', (err) => collect(Buffer.from(`spawn failed: ${err.message}\n`)));
  const daemon: Daemon = {
    proc,
    output: () => out,
    async stop(graceMs = 10_000): Promise<void> {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${opts.description} exited: ${out.trim()}`);
        return accepts(opts.port);
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 50, description: `${opts.description} to listen` },
    );
  } catch (err) {
    await daemon.stop(1000);
    throw new Error(`${(err as Error).message}\n${opts.description} output:\n${out}`);
  }
  return daemon;
}

/**
 * How many established TCP connections this machine's network namespace has whose LOCAL port is `port`: for a
 * server listening on `port`, its open client connections. Reads `/proc/net/tcp` and `/proc/net/tcp6` (Linux).
 */
export function establishedConnections(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = cols[1];
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort && cols[3] === '01') n++;
    }
  }
  return n;
}

/** The absolute path of `command` when it is installed (PATH, plus /usr/sbin and /sbin), else undefined. */
export function findExecutable(command: string): string | undefined {
  for (const dir of ['/usr/sbin', '/sbin']) if (existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : '';
  return found || undefined;
}
