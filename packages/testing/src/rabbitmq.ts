import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Default broker for tests: `TEST_AMQP_URL`, else the local RabbitMQ (guest/guest, default vhost). */
export const DEFAULT_TEST_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A broker namespace created by {@link createTestVhost}. */
export interface TestVhost {
  /** AMQP URL pointing at the vhost (same host, port and credentials as the base URL). */
  url: string;
  /** The vhost name (`vellum-test-<base36 ms>-<hex>`), or the base URL's vhost in fallback mode. */
  vhost: string;
  /** A unique token (`<base36 ms>-<hex>`): use it in exchange and service names so runs never collide. */
  id: string;
  /** A unique exchange name (`vellum-test-<id>`); required in fallback mode, harmless in a fresh vhost. */
  exchange: string;
  /** True when the vhost is private to this run; false in fallback mode (shared vhost, unique names only). */
  isolated: boolean;
  /** Deletes the vhost with everything in it (exchanges, queues, messages). Idempotent; a no-op in fallback mode. */
  drop(): Promise<void>;
}

function rabbitmqctl(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(
          Object.assign(
            new Error(
              `rabbitmqctl ${args.join(' ')} failed: ${e.code === 'ENOENT' ? 'rabbitmqctl not found' : (stderr || e.message).trim()}`,
            ),
            { code: e.code },
          ),
        );
      } else resolve(stdout);
    });
  });
}

/**
 * A private RabbitMQ namespace for one test file. Creates vhost `vellum-test-<id>` with
 * `rabbitmqctl add_vhost` and grants the URL's user (default `guest`) full permissions
 * (`rabbitmqctl set_permissions -p <vhost> <user> ".*" ".*" ".*"`); `drop()` runs `rabbitmqctl delete_vhost`.
 * rabbitmqctl must run on the broker's machine with access to its Erlang cookie (root here).
 *
 * Fallback: when rabbitmqctl is missing or fails, returns the base URL's vhost with `isolated: false`; tests then
 * stay apart only through unique names, so they must use `exchange` and put `id` into their service names (queue
 * names derive from them), and whatever they declare stays on the broker (durable queues are left behind;
 * `drop()` does nothing). Set `TEST_AMQP_URL` to point at another broker.
 *
 * @param opts.baseUrl default `TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'`.
 */
export async function createTestVhost(opts: { baseUrl?: string } = {}): Promise<TestVhost> {
  const baseUrl = opts.baseUrl ?? process.env.TEST_AMQP_URL ?? DEFAULT_TEST_AMQP_URL;
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const vhost = `vellum-test-${id}`;
  const exchange = `vellum-test-${id}`;
  const u = new URL(baseUrl);
  const user = decodeURIComponent(u.username) || 'guest';
  try {
    await rabbitmqctl(['add_vhost', vhost]);
    await rabbitmqctl(['set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  } catch (err) {
    await rabbitmqctl(['delete_vhost', vhost]).catch(() => undefined);
    process.emitWarning(
      `createTestVhost: ${(err as Error).message}; falling back to unique names on the shared vhost`,
    );
    const shared = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/';
    return { url: baseUrl, vhost: shared, id, exchange, isolated: false, drop: async () => undefined };
  }
  u.pathname = `/${encodeURIComponent(vhost)}`;
  let dropped: Promise<void> | undefined;
  return {
    url: u.toString(),
    vhost,
    id,
    exchange,
    isolated: true,
    drop: () => (dropped ??= rabbitmqctl(['delete_vhost', vhost]).then(() => undefined)),
  };
}
