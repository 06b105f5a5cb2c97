import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './wait';

/** A RabbitMQ node of one test's own, started by {@link startPrivateRabbitMQ}. */
export interface PrivateRabbitMQ {
  /** `amqp://guest:guest@127.0.0.1:<port>` (default vhost `/`: the whole node is private to the test). */
  url: string;
  /** The AMQP port (`RABBITMQ_NODE_PORT`). */
  port: number;
  /** The Erlang distribution port (`RABBITMQ_DIST_PORT`). */
  distPort: number;
  /** `vellum-test-<id>@localhost`: unique, never the machine's `rabbit@<host>`. */
  nodeName: string;
  /** Temp directory holding the node's data (`mnesia/`), logs (`log/`), config and cookie. */
  dir: string;
  /** True while the node runs (between a completed `start` and `stop`). */
  readonly running: boolean;
  /**
   * Stops the node gracefully (SIGTERM to the server script this helper spawned, which stops the node and exits):
   * clients see their connections closed; durable queues and their persistent messages stay in the data directory.
   * Resolves once the process has exited. A no-op when stopped.
   */
  stop(): Promise<void>;
  /** Starts the node again on the same ports, node name and data directory; resolves once it accepts AMQP. */
  start(): Promise<void>;
  /** Stops the node (SIGKILL to its process group if it does not stop within 60 s) and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
  /** The last `lines` lines of the node's console output (for failure messages). */
  logTail(lines?: number): string;
}

/**
 * The server script. `/usr/sbin/rabbitmq-server` is Debian's wrapper around it: as root it runs the node through
 * `su rabbitmq`, which puts the node in a session of its own (a SIGTERM to the wrapper then kills the node's shell
 * and orphans the Erlang VM), and as the `rabbitmq` user it sends the node's output to the machine's
 * `/var/log/rabbitmq/startup_log`. So the script it wraps is run directly, as that user; it traps SIGTERM and stops
 * the node properly, so the PID spawned here is the node's lifetime.
 */
function serverScript(): string {
  for (const p of ['/usr/lib/rabbitmq/bin/rabbitmq-server', '/usr/sbin/rabbitmq-server'])
    if (existsSync(p)) return p;
  throw new Error('rabbitmq-server is not installed (Debian package rabbitmq-server)');
}

function idOf(flag: '-u' | '-g', user: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('id', [flag, user], (err, stdout) => {
      if (err) reject(new Error(`id ${flag} ${user} failed: ${err.message}`));
      else resolve(Number(stdout.trim()));
    });
  });
}

/** Resolves when `127.0.0.1:port` answers the AMQP 0-9-1 protocol header with a frame (connection.start). */
function amqpAnswers(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
    // Frame type 1 (method) = connection.start: the broker is accepting clients.
    socket.once('data', (chunk: Buffer) => done(chunk[0] === 1));
  });
}

/**
 * Starts a throwaway RabbitMQ node for tests that stop the broker (outages must never touch the machine's shared
 * node `rabbit@<host>`): its own node name (`vellum-test-<id>@localhost`), AMQP and distribution ports (free ports,
 * bound to 127.0.0.1), data and log directories in a temp dir, its own Erlang cookie (so no CLI or node of the
 * machine can reach it, nor it them), an empty config and plugins file (management off), and
 * `RABBITMQ_CONF_ENV_FILE` pointing at an empty file so `/etc/rabbitmq/rabbitmq-env.conf` (which names the shared
 * node) is not read. The machine's epmd (port 4369) is shared, which is fine: node names are unique. As root the
 * node runs as the `rabbitmq` user. Takes about 5–15 s. Call `dispose()` in `afterAll`.
 *
 * @param opts.startTimeoutMs how long a start may take (default 120000 ms).
 * @throws Error when RabbitMQ is not installed or the node does not start (with the tail of its output).
 */
export async function startPrivateRabbitMQ(opts: { startTimeoutMs?: number } = {}): Promise<PrivateRabbitMQ> {
  const script = serverScript();
  const startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const nodeName = `vellum-test-${id}@localhost`;
  const dir = await mkdtemp(path.join(tmpdir(), 'vellum-rmq-'));
  const asRoot = userInfo().uid === 0;
  const uid = asRoot ? await idOf('-u', 'rabbitmq') : undefined;
  const gid = asRoot ? await idOf('-g', 'rabbitmq') : undefined;
  const [port, distPort] = [await freePort(), await freePort()];
  const files = {
    config: path.join(dir, 'rabbitmq.conf'),
    envConf: path.join(dir, 'rabbitmq-env.conf'),
    plugins: path.join(dir, 'enabled_plugins'),
    cookie: path.join(dir, '.erlang.cookie'),
    console: path.join(dir, 'console.log'),
  };
  try {
    await mkdir(path.join(dir, 'mnesia'));
    await mkdir(path.join(dir, 'log'));
    await writeFile(files.config, '');
    await writeFile(files.envConf, '');
    await writeFile(files.plugins, '[].\n');
    await writeFile(files.cookie, randomBytes(20).toString('hex').toUpperCase());
    await chmod(files.cookie, 0o400);
    if (asRoot) {
      for (const p of [dir, path.join(dir, 'mnesia'), path.join(dir, 'log'), ...Object.values(files)])
        if (existsSync(p)) await chown(p, uid!, gid!);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  // A clean environment: nothing of a caller's RABBITMQ_*/ERL_* settings may point this node at the shared one.
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('ERL_')),
  );
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    HOME: dir, // the node's Erlang cookie: its own
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: files.envConf,
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_CRASH_DUMP: path.join(dir, 'log', 'erl_crash.dump'),
  };

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let disposed = false;

  const alive = (): boolean => !!child && child.exitCode === null && child.signalCode === null;
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(files.console, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  };

  /** Kills what is left of the process group this helper spawned (the node's shell and VM), by its id only. */
  const killGroup = (): void => {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };

  const waitExit = async (timeoutMs: number): Promise<boolean> => {
    if (!alive()) return true;
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    return res;
  };

  const start = async (): Promise<void> => {
    if (alive()) return;
    const out = openSync(files.console, 'a');
    try {
      child = spawn(script, [], {
        cwd: dir,
        env,
        uid,
        gid,
        // Its own process group: a node that ignores SIGTERM can still be killed, and only this group.
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    const proc = child;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (!alive()) throw new Error(`RabbitMQ node ${nodeName} exited while starting:\n${logTail()}`);
      if (await amqpAnswers(port)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    proc.kill('SIGTERM');
    if (!(await waitExit(20_000))) killGroup();
    throw new Error(
      `RabbitMQ node ${nodeName} did not accept AMQP within ${startTimeoutMs} ms:\n${logTail()}`,
    );
  };

  const stop = async (): Promise<void> => {
    if (!alive()) return;
    child!.kill('SIGTERM');
    if (!(await waitExit(60_000))) {
      killGroup();
      await waitExit(10_000);
    }
  };

  await start().catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });

  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    distPort,
    nodeName,
    dir,
    get running() {
      return alive();
    },
    stop,
    async start() {
      if (disposed) throw new Error(`RabbitMQ node ${nodeName} was disposed`);
      await start();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await stop().catch(() => killGroup());
      await rm(dir, { recursive: true, force: true });
    },
    logTail,
  };
}
