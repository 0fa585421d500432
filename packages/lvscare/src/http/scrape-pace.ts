// A token bucket for /metrics renders: a client that asks faster than the pace waits its turn
// instead of spending the pod's CPU (a render walks every series). Pure: the caller passes the time.
import type { ScrapePace } from './limits.js';

export class ScrapeBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly pace: ScrapePace,
    now: number,
  ) {
    this.tokens = pace.burst;
    this.at = now;
  }

  /**
   * Takes one render's token and returns how many ms to wait before rendering (0: at once). Tokens
   * go below zero while requests queue, so each waiter gets the next free slot, in arrival order.
   */
  take(now: number): number {
    this.tokens = Math.min(
      this.pace.burst,
      this.tokens + ((now - this.at) * this.pace.perSecond) / 1000,
    );
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.pace.perSecond;
  }

  /** Gives back a token whose render did not happen (the client left while waiting). */
  giveBack(): void {
    this.tokens = Math.min(this.pace.burst, this.tokens + 1);
  }
}
