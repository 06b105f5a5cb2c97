/** The two ingest lanes (SPEC.md §2 "Bus": immediate registrations and the priority queue vs batches). */
export type IngestLane = 'priority' | 'batch';

/** Capacity of one lane in one orchestrator replica. */
export interface LaneLimits {
  /** Stagings (origin fetches) that may run at once in this lane. */
  slots: number;
  /** Of those, how many one customer may hold at once. */
  perCustomer: number;
}

interface Waiter {
  customerId: number;
  start: () => void;
}

interface LaneState {
  limits: LaneLimits;
  running: number;
  byCustomer: Map<number, number>;
  waiting: Waiter[];
}

/** A snapshot of one lane, for metrics and logs. */
export interface LaneStats {
  running: number;
  waiting: number;
  /** Running stagings per customer id. */
  byCustomer: Record<number, number>;
}

/**
 * Shares the orchestrator's staging capacity (SPEC.md §10 "Reliability"; issue: one customer's slow origins must not
 * stall everyone's ingest). Each lane has its own slots, so batch work can never take the capacity kept for the
 * priority lane (the transport also gives that lane a queue and prefetch of its own), and within a lane no customer
 * holds more than `perCustomer` slots, so the rest stay free for the others. Waiting stagings start in arrival order,
 * skipping those whose customer is at its limit.
 *
 * The transport's prefetch is larger than the slots, so messages of other customers still arrive while one customer
 * waits at its limit. Pure: no I/O, no timers.
 */
export class StagingScheduler {
  private readonly lanes: Record<IngestLane, LaneState>;

  constructor(limits: Record<IngestLane, LaneLimits>) {
    const lane = (l: LaneLimits): LaneState => {
      if (!Number.isInteger(l.slots) || l.slots < 1)
        throw new RangeError(`slots must be a positive integer, got ${l.slots}`);
      if (!Number.isInteger(l.perCustomer) || l.perCustomer < 1)
        throw new RangeError(`perCustomer must be a positive integer, got ${l.perCustomer}`);
      return {
        limits: { slots: l.slots, perCustomer: Math.min(l.perCustomer, l.slots) },
        running: 0,
        byCustomer: new Map(),
        waiting: [],
      };
    };
    this.lanes = { priority: lane(limits.priority), batch: lane(limits.batch) };
  }

  /**
   * Runs `fn` once a slot of `lane` is free for `customerId`, and frees it when `fn` settles.
   * @returns what `fn` returns; rejects with what it throws.
   */
  async run<T>(lane: IngestLane, customerId: number, fn: () => Promise<T>): Promise<T> {
    const state = this.lanes[lane];
    await new Promise<void>((resolve) => {
      if (this.canStart(state, customerId)) {
        this.take(state, customerId);
        resolve();
      } else {
        state.waiting.push({ customerId, start: resolve });
      }
    });
    try {
      return await fn();
    } finally {
      this.release(state, customerId);
    }
  }

  /** Running and waiting stagings of a lane. */
  stats(lane: IngestLane): LaneStats {
    const s = this.lanes[lane];
    return { running: s.running, waiting: s.waiting.length, byCustomer: Object.fromEntries(s.byCustomer) };
  }

  private canStart(s: LaneState, customerId: number): boolean {
    return s.running < s.limits.slots && (s.byCustomer.get(customerId) ?? 0) < s.limits.perCustomer;
  }

  private take(s: LaneState, customerId: number): void {
    s.running++;
    s.byCustomer.set(customerId, (s.byCustomer.get(customerId) ?? 0) + 1);
  }

  private release(s: LaneState, customerId: number): void {
    s.running--;
    const n = (s.byCustomer.get(customerId) ?? 1) - 1;
    if (n > 0) s.byCustomer.set(customerId, n);
    else s.byCustomer.delete(customerId);
    // Start every waiter that fits now, oldest first (one release can free a slot and a customer's quota).
    for (let i = 0; i < s.waiting.length && s.running < s.limits.slots;) {
      const w = s.waiting[i];
      if (this.canStart(s, w.customerId)) {
        s.waiting.splice(i, 1);
        this.take(s, w.customerId);
        w.start();
      } else i++;
    }
  }
}
