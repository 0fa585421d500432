// One reconcile round in three parts the daemon runs in order: read (the kernel's view), plan
// (pure: health + kernel -> ordered actions) and apply (the actions, in order, stopping at the
// first the kernel refuses). Reporting what happened is in report.ts.
import type { Endpoint } from '../config/endpoint.js';
import { servedMasters } from '../discovery/membership.js';
import { servedDestinations } from '../discovery/served.js';
import {
  type DesiredDestinations,
  type ObservedDestination,
  endpointKey,
} from '../health/desired.js';
import type { HealthState } from '../health/state.js';
import type { IpvsKernel } from './kernel.js';
import {
  type Action,
  type Applied,
  type KernelView,
  type WantedService,
  planReconcile,
} from './plan.js';

export interface RoundInput {
  wanted: WantedService;
  /** The seed (`--rs`). */
  masters: Endpoint[];
  /** With discovery: masters it reported, and masters it dropped that are still draining. */
  discovered?: Endpoint[];
  retiring?: Endpoint[];
  health: Map<string, HealthState>;
  kernel: KernelView;
  /** What the last successful round set; undefined before the first. */
  applied: Applied | undefined;
  draining: Map<string, number>;
  drainTimeoutMs: number;
  now: number;
}

export interface RoundPlan extends DesiredDestinations {
  actions: Action[];
}

/** What to change, from the masters' health and what the kernel holds. Pure. */
export function planRound(input: RoundInput): RoundPlan {
  const observed = new Map<string, ObservedDestination>(
    input.kernel.destinations.map((d) => [endpointKey(d), d]),
  );
  const membership = {
    seed: input.masters,
    discovered: input.discovered ?? [],
    retiring: input.retiring ?? [],
  };
  // Without discovery this is desiredDestinations over the seed, exactly.
  const desired = servedDestinations(
    membership,
    input.health,
    observed,
    input.draining,
    input.drainTimeoutMs,
    input.now,
  );
  const actions = planReconcile(
    input.wanted,
    servedMasters(membership),
    desired.weights,
    input.kernel,
    input.applied,
  );
  return { ...desired, actions };
}

export interface ApplyOutcome {
  /** The actions the kernel took, in order. */
  done: Action[];
  /** The first refusal; the actions after it were not tried. */
  error: Error | undefined;
}

/**
 * Applies the plan in its order (which never leaves the VIP without a usable destination part
 * way), stopping at the first refusal: the next round re-reads the kernel and plans again.
 */
export async function applyPlan(
  kernel: IpvsKernel,
  wanted: WantedService,
  actions: Action[],
): Promise<ApplyOutcome> {
  const done: Action[] = [];
  for (const action of actions) {
    try {
      await kernel.apply(wanted, action);
    } catch (error) {
      // The kernel client throws Errors; anything else is wrapped so the caller rethrows an Error.
      if (error instanceof Error) return { done, error };
      return { done, error: new Error('kernel refused without a reason', { cause: error }) };
    }
    done.push(action);
  }
  return { done, error: undefined };
}
