// The side-by-side bench's record of one contender's view of the masters, fed by its own
// poller process (state-poller.ts). Each change carries the poller's CLOCK_MONOTONIC time, so
// when the bench's own event loop is busy (its clients make 80 TLS handshakes a second on an
// emulated CPU) the times are still those of the reading, not of the bench noticing it.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { WatchSpec } from './contender.js';

const POLLER = fileURLToPath(new URL('./state-poller.js', import.meta.url));
/** How often every poller reads while failover is timed. */
export const WATCH_PERIOD_MS = 10;
/**
 * Every poller runs at this niceness: above the contenders (0), the masters and the bench's
 * clients, the same for each contender, so a reading waits on the CPU as little as possible.
 * A poller sleeps between reads; what it costs is a file read or a stats query per period.
 */
export const POLLER_NICENESS = -10;

interface Change {
  at: number;
  out: Set<string>;
}

export class BalancerWatch {
  private readonly changes: Change[] = [];
  private readonly poller: ChildProcess;
  private ready: Promise<void>;

  constructor(spec: WatchSpec) {
    this.poller = spawn(
      'nice',
      ['-n', String(POLLER_NICENESS), process.execPath, POLLER, JSON.stringify(spec), '0'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.ready = new Promise((resolve) => {
      createInterface({ input: this.poller.stdout! }).on('line', (line) => {
        const c = JSON.parse(line) as { at: number; out: string[] };
        this.changes.push({ at: c.at, out: new Set(c.out) });
        resolve();
      });
    });
  }

  /** Polls every `ms` from now on (0: paused); resolves once the first reading is in. */
  async poll(ms: number): Promise<void> {
    this.poller.stdin!.write(`${ms}\n`);
    await this.ready;
  }

  isOut(master: string): boolean {
    return this.changes.at(-1)?.out.has(master) ?? true;
  }

  /** When the poller first saw `master` out (or in: `out` false) at or after `from`. */
  firstSeen(master: string, out: boolean, from: number): number | undefined {
    return this.changes.find((c) => c.at >= from && c.out.has(master) === out)?.at;
  }

  /** Changes of `master`'s state (in to out, out to in) seen within [from, to). */
  changesOf(master: string, from: number, to: number): number {
    let before = this.changes
      .filter((c) => c.at < from)
      .at(-1)
      ?.out.has(master);
    let n = 0;
    for (const c of this.changes) {
      if (c.at < from || c.at >= to) continue;
      const now = c.out.has(master);
      if (before !== undefined && now !== before) n++;
      before = now;
    }
    return n;
  }

  stop(): void {
    this.poller.stdin!.end();
    this.poller.kill('SIGTERM');
  }
}
