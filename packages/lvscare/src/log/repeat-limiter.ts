// Keeps a failure that repeats every interval from filling the disk: the first occurrence is
// logged, repeats within the window are counted, and the count is reported once per window and
// when the failure clears. Pure: the caller passes the clock.

export interface RepeatDecision {
  /** Log this occurrence now. */
  log: boolean;
  /** Occurrences suppressed since the last one logged. */
  suppressed: number;
}

export class RepeatLimiter {
  private readonly seen = new Map<
    string,
    { lastLogged: number; suppressed: number; variant: string | undefined }
  >();

  constructor(private readonly windowMs: number) {}

  /**
   * Call for every occurrence of the failure named `key`; `variant` (e.g. the reason) changing is
   * news and is logged at once.
   */
  occur(key: string, now: number, variant?: string): RepeatDecision {
    const entry = this.seen.get(key);
    if (!entry || now - entry.lastLogged >= this.windowMs || entry.variant !== variant) {
      const suppressed = entry?.suppressed ?? 0;
      this.seen.set(key, { lastLogged: now, suppressed: 0, variant });
      return { log: true, suppressed };
    }
    entry.suppressed++;
    return { log: false, suppressed: entry.suppressed };
  }

  /** The failure stopped: returns how many repeats went unlogged, and forgets it. */
  clear(key: string): number | undefined {
    const entry = this.seen.get(key);
    this.seen.delete(key);
    return entry?.suppressed;
  }
}

/** A logged line's count of the repeats left out since the last one, when there were any. */
export const repeatsSince = (suppressed: number): { repeatsSinceLastLog?: number } =>
  suppressed ? { repeatsSinceLastLog: suppressed } : {};
