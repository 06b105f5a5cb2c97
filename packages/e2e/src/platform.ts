import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The six Vellum services, in start order (SPEC.md §2). */
export const SERVICE_NAMES = [
  'api-gateway',
  'iiif-delivery',
  'auth-service',
  'ingest-orchestrator',
  'image-processor',
  'av-transcoder',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface RunningService {
  name: ServiceName;
  port: number;
  url: string;
  process: ChildProcess;
  logFile: string;
}

export interface Platform {
  services: Record<ServiceName, RunningService>;
  apiUrl: string;
  deliveryUrl: string;
  logDir: string;
  /** SIGTERM every service and wait (at most `timeoutMs`, milliseconds) for them to exit. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL one service (no graceful shutdown: in-flight work is cut off) and wait for it to exit. */
  kill(name: ServiceName): Promise<void>;
  /** Start a stopped or killed service again with the same environment and port; resolves when it is ready. */
  restart(name: ServiceName, readyTimeoutMs?: number): Promise<void>;
  /**
   * Start a killed (or stopped) service again without waiting for it: its consumers may take work before its
   * `/health/ready` answers. Pair with {@link Platform.ready}.
   */
  respawn(name: ServiceName): void;
  /** Resolves once the service's `/health/ready` answers 200. @throws when it exits first or after `timeoutMs`. */
  ready(name: ServiceName, timeoutMs?: number): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '../../..');

/**
 * Starts the six built services (`apps/<name>/dist/main.js`) as child processes with `env` plus a `PORT`
 * each (bound to `HOST=127.0.0.1`), and resolves once every `/health/ready` answers 200. Logs go to files in a temp directory.
 * @param ports the TCP port of each service on 127.0.0.1
 * @throws Error naming the service and the tail of its log when one exits or is not ready in `readyTimeoutMs`.
 */
export async function startPlatform(
  env: Record<string, string>,
  ports: Record<ServiceName, number>,
  readyTimeoutMs = 90_000,
): Promise<Platform> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-e2e-logs-'));
  const services = {} as Record<ServiceName, RunningService>;
  const spawnService = (name: ServiceName): RunningService => {
    const logFile = path.join(logDir, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'apps', name, 'dist', 'main.js')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...env,
        PORT: String(ports[name]),
        HOST: '127.0.0.1',
        NODE_ENV: 'test',
        LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    return { name, port: ports[name], url: `http://127.0.0.1:${ports[name]}`, process: child, logFile };
  };
  for (const name of SERVICE_NAMES) services[name] = spawnService(name);
  const stop = async (timeoutMs = 20_000): Promise<void> => {
    await Promise.all(
      Object.values(services).map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              s.process.kill('SIGKILL');
              resolve();
            }, timeoutMs);
            s.process.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            s.process.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    await Promise.all(Object.values(services).map((s) => waitReady(s, readyTimeoutMs)));
  } catch (err) {
    await stop(5_000);
    throw err;
  }
  const kill = async (name: ServiceName): Promise<void> => {
    const p = services[name].process;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  };
  const restart = async (name: ServiceName, timeoutMs = readyTimeoutMs): Promise<void> => {
    await kill(name);
    services[name] = spawnService(name);
    await waitReady(services[name], timeoutMs);
  };
  const respawn = (name: ServiceName): void => {
    const p = services[name].process;
    if (p.exitCode === null && p.signalCode === null) throw new Error(`${name} is still running`);
    services[name] = spawnService(name);
  };
  return {
    services,
    apiUrl: services['api-gateway'].url,
    deliveryUrl: services['iiif-delivery'].url,
    logDir,
    stop,
    kill,
    restart,
    respawn,
    ready: (name, timeoutMs = readyTimeoutMs) => waitReady(services[name], timeoutMs),
  };
}

/** The last `lines` lines of a service's log, for failure messages. */
export function tailLog(service: RunningService, lines = 30): string {
  try {
    return fs.readFileSync(service.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(s: RunningService, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (s.process.exitCode !== null || s.process.signalCode !== null) {
      throw new Error(`${s.name} exited with ${s.process.exitCode ?? s.process.signalCode}:\n${tailLog(s)}`);
    }
    try {
      const res = await fetch(`${s.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${s.name} not ready after ${timeoutMs} ms:\n${tailLog(s)}`);
}
