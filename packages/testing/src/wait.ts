import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** A free TCP port on 127.0.0.1, found by binding port 0 and closing. (Another process may take it meanwhile.) */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many ms (default 10000). */
  timeoutMs?: number;
  /** Poll interval in ms (default 100). */
  intervalMs?: number;
  /** What is awaited, for the timeout error message (default "condition"). */
  description?: string;
}

/**
 * Polls `fn` until it returns (or resolves to) a truthy value, and returns that value. A throwing `fn` counts as
 * "not yet"; its last error is included in the timeout message.
 *
 * @throws Error `waitFor: timed out after <ms> ms waiting for <description>` on timeout.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `waitFor: timed out after ${timeoutMs} ms waiting for ${opts.description ?? 'condition'}${detail}`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(intervalMs, deadline - Date.now()))));
  }
}

/**
 * A name unique across processes and runs: `${prefix}-<base36 time>-<8 hex>` (lower case; safe for queue,
 * vhost and bucket names when the prefix is). A prefix ending in `_` gives `${prefix}<time>_<hex>` (SQL identifiers).
 */
export function uniqueName(prefix: string): string {
  const sep = /[-_.]$/.test(prefix) ? '' : '-';
  const inner = prefix.endsWith('_') ? '_' : '-';
  return `${prefix}${sep}${Date.now().toString(36)}${inner}${randomBytes(4).toString('hex')}`;
}
