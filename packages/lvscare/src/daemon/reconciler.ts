// The IPVS side of a round: read our virtual server, ask the policy for the weights, plan against
// the kernel, apply, report. Requests coalesce: one round at a time, and any number asked for
// during it make one more round after it.
import type { DestinationExtended } from '@kha/netlink-ffi';
import { type Endpoint, endpointKey } from '../config/endpoint.js';
import type { CareEvents } from '../events/care-events.js';
import type { HealthState } from '../health/state.js';
import type { ObservedDestination } from '../policy/desired-weights.js';
import type { Membership } from '../policy/membership.js';
import type { IpvsKernel } from '../reconcile/kernel.js';
import { type Applied, type WantedService, appliedAfter } from '../reconcile/plan.js';
import { applyPlan, planRound } from '../reconcile/round.js';
import type { Clock } from '../time/clock.js';

export interface ReconcilerDeps {
  wanted: WantedService;
  drainTimeoutMs: number;
  kernel: IpvsKernel;
  clock: Clock;
  events: CareEvents;
  /** Aborted when the daemon stops: no further round is started. */
  signal: AbortSignal;
  /** Who is served, their health and the names fail-open reports, read at each round. */
  membership(): Membership;
  health(): ReadonlyMap<string, HealthState>;
  masterNames(): string[];
  /** After each good round: what the kernel holds (discovery forgets drained masters). */
  observeKernel(observed: Map<string, ObservedDestination>): void;
  /** Runs after the IPVS part of every round (the VIP set-up's turn). */
  afterIpvs(): Promise<void>;
}

export class Reconciler {
  private applied: Applied | undefined;
  private draining = new Map<string, number>();
  private failOpen = false;
  private running: Promise<void> | undefined;
  private again = false;
  /** When the last round started, and when the last good one ended (the daemon's clock). */
  lastStart = 0;
  lastGood: number | undefined;
  /** What the kernel held after the last good round. */
  kernelDestinations: DestinationExtended[] = [];

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Runs a round now, or right after the one in progress. Never rejects. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        this.lastStart = this.deps.clock.now();
        // IPVS first and whatever the set-up does; the set-up after it, so the two never talk to
        // the kernel at the same time unless a set-up hangs.
        await this.reconcileIpvs();
        await this.deps.afterIpvs();
      } while (this.again && !this.deps.signal.aborted);
    })()
      .catch((error: unknown) => this.deps.events.emit({ type: 'reconcile-loop-failed', error }))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** The round in progress, if any, to its end. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** read -> policy and plan -> apply -> report, for our virtual server. Never throws. */
  private async reconcileIpvs(): Promise<void> {
    const { kernel, events, wanted, clock } = this.deps;
    const vip: Endpoint = wanted.vip;
    try {
      const view = await kernel.read(vip);
      const plan = planRound({
        wanted,
        membership: this.deps.membership(),
        health: this.deps.health(),
        kernel: view,
        applied: this.applied,
        draining: this.draining,
        drainTimeoutMs: this.deps.drainTimeoutMs,
        now: clock.now(),
      });
      if (plan.failOpen !== this.failOpen)
        events.emit(
          plan.failOpen
            ? { type: 'fail-open-entered', masters: this.deps.masterNames() }
            : { type: 'fail-open-left' },
        );
      this.failOpen = plan.failOpen;
      const { error } = await applyPlan(kernel, wanted, plan.actions, (action) =>
        events.emit(
          action.repair
            ? { type: 'rule-repaired', action, repair: action.repair }
            : { type: 'rule-changed', action },
        ),
      );
      if (error !== undefined) throw error;
      this.applied = appliedAfter(plan.weights);
      this.draining = plan.draining;
      this.kernelDestinations = plan.actions.length
        ? (await kernel.read(vip)).destinations
        : view.destinations;
      this.lastGood = clock.now();
      this.deps.observeKernel(new Map(this.kernelDestinations.map((d) => [endpointKey(d), d])));
      events.emit({
        type: 'reconciled',
        failOpen: this.failOpen,
        destinations: this.kernelDestinations,
      });
    } catch (error) {
      events.emit({ type: 'reconcile-failed', error });
    }
  }
}
