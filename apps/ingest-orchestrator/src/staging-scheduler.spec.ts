import { StagingScheduler } from './staging-scheduler';

/** A staging the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Lets every resolved promise run its continuations. */
const settle = () => new Promise((r) => setImmediate(r));

describe('StagingScheduler', () => {
  function scheduler(batch = { slots: 4, perCustomer: 2 }, priority = { slots: 2, perCustomer: 1 }) {
    return new StagingScheduler({ batch, priority });
  }

  it('keeps one customer within its share and starts another customer at once', async () => {
    const s = scheduler();
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const stage = (name: string, customer: number) => {
      const g = gate();
      gates.set(name, g);
      return s.run('batch', customer, async () => {
        started.push(name);
        await g.promise;
      });
    };
    const runs = ['b1', 'b2', 'b3', 'b4'].map((n) => stage(n, 2));
    await settle();
    expect(started).toEqual(['b1', 'b2']);
    runs.push(stage('a1', 1));
    await settle();
    expect(started).toEqual(['b1', 'b2', 'a1']);
    expect(s.stats('batch')).toEqual({ running: 3, waiting: 2, byCustomer: { 1: 1, 2: 2 } });
    gates.get('b1')!.open();
    await settle();
    expect(started).toEqual(['b1', 'b2', 'a1', 'b3']);
    for (const g of gates.values()) g.open();
    await settle();
    gates.get('b4')?.open();
    await Promise.all(runs);
    expect(started.sort()).toEqual(['a1', 'b1', 'b2', 'b3', 'b4']);
    expect(s.stats('batch')).toEqual({ running: 0, waiting: 0, byCustomer: {} });
  });

  it('never lets batch work take the priority lane', async () => {
    const s = scheduler({ slots: 2, perCustomer: 2 });
    const hold = gate();
    const batch = [1, 2, 3].map(() => s.run('batch', 7, () => hold.promise));
    await settle();
    expect(s.stats('batch')).toMatchObject({ running: 2, waiting: 1 });
    let ran = false;
    await s.run('priority', 7, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    hold.open();
    await Promise.all(batch);
  });

  it('starts waiters in arrival order when slots, not quotas, are the limit', async () => {
    const s = scheduler({ slots: 1, perCustomer: 1 });
    const order: number[] = [];
    const first = gate();
    const runs = [s.run('batch', 1, () => first.promise)];
    for (const c of [2, 3, 4]) runs.push(s.run('batch', c, async () => void order.push(c)));
    await settle();
    first.open();
    await Promise.all(runs);
    expect(order).toEqual([2, 3, 4]);
  });

  it('frees the slot when the staging throws', async () => {
    const s = scheduler({ slots: 1, perCustomer: 1 });
    await expect(s.run('batch', 1, () => Promise.reject(new Error('origin said no')))).rejects.toThrow(
      'origin said no',
    );
    await expect(s.run('batch', 1, async () => 'next')).resolves.toBe('next');
  });

  it.each([[{ slots: 0, perCustomer: 1 }], [{ slots: 2, perCustomer: 0 }], [{ slots: 1.5, perCustomer: 1 }]])(
    'rejects limits %p',
    (batch) => {
      expect(() => scheduler(batch)).toThrow(RangeError);
    },
  );
});
