// How often discovery may ask the API: a bucket of a few requests, one more each period. Steady
// state (a watch renewed each period, or a poll each period) spends what the bucket earns; a
// re-list after 410 Gone or a path switch spends the spare; a server that ends every watch at once,
// or answers in ways that make the client ask again, gets no more than one request a period.
// Across thousands of workers that is the whole of discovery's load on the control plane.
import { type Clock, sleep } from '../time/clock.js';

export class RequestBudget {
  private tokens: number;
  private stamp: number;

  constructor(
    private readonly periodMs: number,
    private readonly burst: number,
    private readonly clock: Clock,
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
      await sleep(this.clock, (1 - this.tokens) * this.periodMs, signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.stamp) / this.periodMs);
    this.stamp = now;
  }
}
