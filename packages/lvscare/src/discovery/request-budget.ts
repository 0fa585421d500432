// How often discovery may ask the API: a bucket of a few requests, one more each period. Steady
// state (a watch renewed each period, or a poll each period) spends what the bucket earns; a
// re-list after 410 Gone or a path switch spends the spare; a server that ends every watch at once,
// or answers in ways that make the client ask again, gets no more than one request a period.
// Across thousands of workers that is the whole of discovery's load on the control plane.

export interface BudgetClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export class RequestBudget {
  private tokens: number;
  private stamp: number;

  constructor(
    private readonly periodMs: number,
    private readonly burst: number,
    private readonly clock: BudgetClock,
  ) {
    this.tokens = burst;
    this.stamp = clock.now();
  }

  /** Waits until a request may be sent, and spends it. Returns at once when `signal` aborted. */
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep((1 - this.tokens) * this.periodMs, signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.stamp) / this.periodMs);
    this.stamp = now;
  }
}

/** The real clock: performance.now() and an abortable timer. */
export const REAL_CLOCK: BudgetClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    }),
};
