import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@vellum/db';

/** One ingest attempt of one asset. */
export interface AttemptRef {
  customerId: number;
  spaceId: number;
  assetId: string;
  attempt: number;
}

export type WaitOutcome = 'finished' | 'timeout' | 'aborted';

interface Waiter {
  attempt: number;
  settle: (outcome: WaitOutcome) => void;
}

/** Fallback poll interval (ms). */
export const POLL_INTERVAL_MS = 500;

const keyOf = (r: Omit<AttemptRef, 'attempt'>): string => `${r.customerId}/${r.spaceId}/${r.assetId}`;

/**
 * Immediate registration (SPEC.md §3.3 PUT, §4.1): lets a request wait until its asset's ingest attempt ends.
 *
 * Two signals, whichever comes first:
 * 1. `asset.ingest.finished.v1`, heard on this replica's exclusive queue (every gateway replica receives every
 *    event), calls {@link notify}, which settles the waiters of that asset whose attempt is ≤ the event's;
 * 2. a poll of the asset row every {@link POLL_INTERVAL_MS} ms (the fallback when the event is missed, e.g. the
 *    broker restarted): the attempt is over when the row is no longer `ingesting`, has a newer attempt, or is gone.
 * After `timeoutMs` the wait ends with `timeout` (the caller answers 202 with `ingesting: true`).
 */
@Injectable()
export class IngestWaiter implements OnModuleDestroy {
  private readonly log = new Logger(IngestWaiter.name);
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Number of requests currently waiting (for tests/metrics). */
  get pending(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /**
   * Waits for an attempt to end.
   * @param timeoutMs give up after this many ms (→ `timeout`).
   * @param signal aborts the wait (client went away) → `aborted`.
   */
  wait(ref: AttemptRef, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    return new Promise<WaitOutcome>((resolve) => {
      const key = keyOf(ref);
      let done = false;
      let pollTimer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        attempt: ref.attempt,
        settle: (outcome) => {
          if (done) return;
          done = true;
          clearTimeout(timeout);
          if (pollTimer) clearTimeout(pollTimer);
          signal?.removeEventListener('abort', onAbort);
          const set = this.waiters.get(key);
          set?.delete(waiter);
          if (set && set.size === 0) this.waiters.delete(key);
          resolve(outcome);
        },
      };
      const onAbort = () => waiter.settle('aborted');
      const timeout = setTimeout(() => waiter.settle('timeout'), timeoutMs);
      if (signal?.aborted) return waiter.settle('aborted');
      signal?.addEventListener('abort', onAbort);
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(waiter);
      const poll = async (): Promise<void> => {
        if (done) return;
        try {
          if (await this.attemptEnded(ref)) return waiter.settle('finished');
        } catch (err) {
          this.log.warn(`ingest poll failed for ${key}: ${(err as Error).message}`);
        }
        if (!done) pollTimer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
      };
      pollTimer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    });
  }

  /** Called for every `asset.ingest.finished.v1` heard: settles the matching waiters. */
  notify(ref: AttemptRef): void {
    const set = this.waiters.get(keyOf(ref));
    if (!set) return;
    for (const w of [...set]) if (w.attempt <= ref.attempt) w.settle('finished');
  }

  /** True when the asset's attempt is over (not ingesting, superseded by a newer attempt, or deleted). */
  async attemptEnded(ref: AttemptRef): Promise<boolean> {
    const row = await this.prisma.asset.findUnique({
      where: { customerId_spaceId_id: { customerId: ref.customerId, spaceId: ref.spaceId, id: ref.assetId } },
      select: { ingesting: true, ingestAttempt: true },
    });
    return !row || row.ingestAttempt > ref.attempt || !row.ingesting;
  }

  onModuleDestroy(): void {
    for (const set of this.waiters.values()) for (const w of [...set]) w.settle('aborted');
  }
}
