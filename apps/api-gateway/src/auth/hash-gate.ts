/** Thrown by {@link HashGate.run} when its queue is full. */
export class HashGateFullError extends Error {
  constructor() {
    super('too many password-hash verifications are waiting');
  }
}

/**
 * A small FIFO semaphore bounding how many scrypt verifications run at once (SPEC.md §10 Security: a flood of
 * wrong secrets must not starve valid keys): at most `concurrency` run, at most `maxQueue` wait, the rest are
 * refused at once with {@link HashGateFullError} (answered 503 with `Retry-After`). Node runs scrypt on the
 * libuv thread pool (4 threads), so without the bound 100 concurrent wrong secrets queue ahead of every valid key.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
  ) {}

  /** Verifications running now and waiting (for metrics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * Runs `fn` when a slot is free.
   * @throws HashGateFullError at once when `maxQueue` calls are already waiting.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new HashGateFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter (running stays the same), else it is freed.
      if (next) next();
      else this.running--;
    }
  }
}
