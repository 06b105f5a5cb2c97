import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import path from 'node:path';
import { freePort, waitFor } from '@vellum/testing';

jest.setTimeout(120_000);

const FIXTURE = path.join(__dirname, 'cluster-worker.fixture.js');

/** GET `http://127.0.0.1:<port><p>` → body text, or undefined when nothing answers (within 3 s). */
function fetchText(port: number, p: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    // A connection handed to a worker at the moment it is killed is never answered: give up on it, as a client would.
    req.setTimeout(3000, () => req.destroy());
  });
}

/** Pids that answered `n` requests (one connection each). */
async function answeringPids(port: number, n: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const t = await fetchText(port, '/');
    if (t && /^\d+$/.test(t)) pids.add(t);
  }
  return pids;
}

/**
 * `runClustered` with real processes: two workers share one port, a killed worker is replaced, `/metrics` in any
 * worker sums every worker's series, and SIGTERM to the primary stops the workers and exits 0.
 */
describe('runClustered', () => {
  let primary: ChildProcess | undefined;
  let output = '';
  afterEach(() => {
    if (process.env.DEBUG_CLUSTER) console.log(output);
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
  });

  it('shares a port between workers, restarts a dead one, aggregates metrics and stops on SIGTERM', async () => {
    const port = await freePort();
    primary = spawn(process.execPath, [FIXTURE, '2', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    primary.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    primary.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => primary!.once('exit', (code) => r(code)));

    const both = await waitFor(
      async () => {
        const pids = await answeringPids(port, 8);
        return pids.size === 2 ? pids : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'two workers answering on one port' },
    );

    const metrics = await fetchText(port, '/metrics');
    // 8+ hits so far were spread over both workers; the sum is reported whichever worker answers.
    const total = Number(/fixture_hits_total(?:\{[^}]*\})? (\d+)/.exec(metrics ?? '')?.[1]);
    const pidHits = await answeringPids(port, 2);
    expect(total).toBeGreaterThanOrEqual(8);
    expect(pidHits.size).toBeGreaterThan(0);

    const victim = [...both][0];
    process.kill(Number(victim), 'SIGKILL');
    await waitFor(
      async () => {
        const pids = await answeringPids(port, 8);
        return pids.size === 2 && !pids.has(victim) ? pids : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'a replacement worker' },
    );

    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM received: stopping 2 workers');
    expect(await fetchText(port, '/')).toBeUndefined();
  });
});
