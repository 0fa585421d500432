// Virtual time for daemon unit tests: timers fire only when the test advances the clock, in order,
// with pending promise work flushed between them.
import type { Clock } from '../../src/time/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets every promise continuation queued so far (and those they queue) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  /** The epoch is where virtual time starts. */
  wallNow(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers = this.timers.filter((x) => !x.cancelled);
      const due = this.timers
        .filter((x) => x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    await flush();
  }

  /** Advances in steps until `done` settles (or `limitMs` of virtual time passes). */
  async until<T>(done: Promise<T>, limitMs: number, stepMs = 50): Promise<T> {
    let settled = false;
    void done.finally(() => (settled = true)).catch(() => {});
    for (let waited = 0; !settled && waited <= limitMs; waited += stepMs)
      await this.advance(stepMs);
    if (!settled) throw new Error(`still pending after ${limitMs}ms of virtual time`);
    return done;
  }
}
