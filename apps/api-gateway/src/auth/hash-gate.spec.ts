import { HashGate, HashGateFullError } from './hash-gate';

describe('HashGate', () => {
  it('runs at most `concurrency` tasks at once, in FIFO order', async () => {
    const gate = new HashGate(2, 100);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const release: Array<() => void> = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((r) => release.push(r));
        running--;
        return i;
      }),
    );
    while (order.length < 6) {
      await new Promise((r) => setImmediate(r));
      expect(gate.load.running).toBeLessThanOrEqual(2);
      release.shift()?.();
    }
    release.forEach((r) => r());
    await expect(Promise.all(tasks)).resolves.toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once when the queue is full, and frees the slot of a failed task', async () => {
    const gate = new HashGate(1, 1);
    let open!: () => void;
    const first = gate.run(() => new Promise<void>((r) => (open = r)));
    const second = gate.run(() => Promise.reject(new Error('boom')));
    await expect(gate.run(() => Promise.resolve())).rejects.toBeInstanceOf(HashGateFullError);
    open();
    await first;
    await expect(second).rejects.toThrow('boom');
    await expect(gate.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
