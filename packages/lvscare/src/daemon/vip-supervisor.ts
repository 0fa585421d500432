// The VIP's set-up (route or link mode) beside the IPVS reconcile, never in front of it: one run
// at a time, each given a deadline, so whatever the set-up does (fails, hangs), failover, repairs
// and fail-open go on.
import type { CareEvents } from '../events/care-events.js';
import { type Clock, withDeadline } from '../time/clock.js';
import { VipSetupError, type VipSetup } from '../vip/mode.js';

export interface VipSupervisorDeps {
  vip: VipSetup;
  /** The daemon's --interval: the deadlines follow it. */
  intervalMs: number;
  clock: Clock;
  events: CareEvents;
}

/** A VIP set-up still running after this long is reported as failing (nft alone can take seconds on a busy node). */
export function vipDeadlineMs(intervalMs: number): number {
  return Math.max(2 * intervalMs, 15_000);
}

/** How long a round waits for the set-up it started before going on without it. */
function vipWaitMs(intervalMs: number): number {
  return Math.max(intervalMs / 2, 1);
}

export class VipSupervisor {
  /** The set-up in progress, and since when; undefined between runs. */
  private run: { done: Promise<void>; since: number } | undefined;
  /** Why the set-up last failed; undefined once it works. */
  private problemNow: string | undefined = 'VIP set-up not done yet';

  constructor(private readonly deps: VipSupervisorDeps) {}

  /** For /readyz: why the mode's set-up is not in place, if it is not. */
  get problem(): string | undefined {
    return this.problemNow;
  }

  /** A reconcile round's turn: starts a set-up unless one runs, and waits for it a little. */
  async afterRound(): Promise<void> {
    const run = this.ensure();
    if (run)
      await withDeadline(this.deps.clock, run, vipWaitMs(this.deps.intervalMs), () => undefined);
  }

  /** The set-up under way, if any, given its deadline to finish. */
  async settled(): Promise<void> {
    if (this.run)
      await withDeadline(
        this.deps.clock,
        this.run.done,
        vipDeadlineMs(this.deps.intervalMs),
        () => {},
      );
  }

  /**
   * Starts the set-up unless one is still running, and returns it. One running past its deadline
   * is reported as failing and given up on (its outcome ignored), so a set-up that never returns
   * is still retried. Never throws.
   */
  private ensure(): Promise<void> | undefined {
    const { clock, vip, events } = this.deps;
    if (this.run) {
      const age = clock.now() - this.run.since;
      if (age <= vipDeadlineMs(this.deps.intervalMs)) return undefined;
      this.failed(new Error(`${vip.mode} mode set-up has not finished after ${Math.round(age)}ms`));
      this.run = undefined;
    }
    const since = clock.now();
    const current = (): boolean => this.run?.since === since && this.run.done === done;
    const done = Promise.resolve()
      .then(() => vip.ensure())
      .then(
        (repairs) => {
          if (!current()) return;
          this.repaired(repairs);
          this.problemNow = undefined;
          events.emit({ type: 'vip-setup-ok' });
        },
        (error: unknown) => {
          if (!current()) return;
          if (error instanceof VipSetupError) this.repaired(error.repairs);
          this.failed(error);
        },
      )
      .catch((error: unknown) => events.emit({ type: 'vip-report-failed', error }))
      .finally(() => {
        if (this.run?.done === done) this.run = undefined;
      });
    this.run = { done, since };
    return done;
  }

  private repaired(repairs: string[]): void {
    for (const repair of repairs) this.deps.events.emit({ type: 'vip-repaired', repair });
  }

  private failed(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.problemNow = `${this.deps.vip.mode} mode set-up failing: ${text}`;
    this.deps.events.emit({ type: 'vip-setup-failed', error });
  }
}
