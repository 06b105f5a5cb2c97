// Helpers shared by scripts/setup.mjs, start.mjs and test.mjs. Node built-ins only: these run before
// pnpm and the workspace's dependencies exist on a fresh machine.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_DIR = path.join(ROOT, '.vellum');

const tty = process.stdout.isTTY;
const paint = (code) => (s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const red = paint('31');
export const yellow = paint('33');
export const cyan = paint('36');

export function step(msg) {
  console.log(`${cyan('›')} ${msg}`);
}

/** Runs a command, streaming its output; rejects with its exit code. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Resolves true when a TCP connection to host:port opens within timeoutMs (milliseconds). */
export function tcpReachable(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) if (fs.existsSync(f)) h.update(fs.readFileSync(f));
  return h.digest('hex');
}

export const DEFAULTS = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

/**
 * Checks that PostgreSQL and RabbitMQ answer at the configured URLs. On failure prints which one, where
 * it looked and how to start it, and exits with status 1.
 */
export async function checkInfrastructure(env) {
  const problems = [];
  const pg = new URL(env.DATABASE_URL);
  const pgHost = pg.hostname || '127.0.0.1';
  const pgPort = Number(pg.port || 5432);
  if (!(await tcpReachable(pgHost, pgPort))) {
    problems.push(
      `PostgreSQL is not reachable at ${pgHost}:${pgPort} (DATABASE_URL=${redact(env.DATABASE_URL)}).\n` +
        `    Start it:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
        `    or:        docker compose up -d postgres   (then DATABASE_URL=postgresql://vellum:vellum@127.0.0.1:55432/vellum)`,
    );
  }
  const amqp = new URL(env.AMQP_URL);
  const mqHost = amqp.hostname || '127.0.0.1';
  const mqPort = Number(amqp.port || 5672);
  if (!(await tcpReachable(mqHost, mqPort))) {
    problems.push(
      `RabbitMQ is not reachable at ${mqHost}:${mqPort} (AMQP_URL=${redact(env.AMQP_URL)}).\n` +
        `    Start it:  rabbitmq-server -detached\n` +
        `    or:        docker compose up -d rabbitmq   (then AMQP_URL=amqp://vellum:vellum@127.0.0.1:55672)`,
    );
  }
  if (problems.length) {
    for (const p of problems) console.error(`${red('✗')} ${p}`);
    console.error(red('Vellum needs both PostgreSQL and RabbitMQ. Start them and run the command again.'));
    process.exit(1);
  }
}

export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
