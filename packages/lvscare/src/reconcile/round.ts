// One reconcile round in three parts the daemon and `--run-once` run in order: read (the
// kernel's view), plan (pure: the policy's weights against what the kernel holds -> ordered
// actions) and apply (the actions, in order, stopping at the first the kernel refuses). What
// happened is reported as events by the caller (daemon/reconciler.ts).
import { endpointKey } from '../config/endpoint.js';
import {
  type DesiredWeights,
  type ObservedDestination,
  type WeightInput,
  desiredWeights,
} from '../policy/desired-weights.js';
import { servedMasters } from '../policy/membership.js';
import type { IpvsKernel } from './kernel.js';
import {
  type Action,
  type Applied,
  type KernelView,
  type WantedService,
  planReconcile,
} from './plan.js';

/** The policy's input but what the kernel shows, which the round reads itself. */
export interface RoundInput extends Omit<WeightInput, 'observed'> {
  wanted: WantedService;
  kernel: KernelView;
  /** What the last successful round set; undefined before the first. */
  applied: Applied | undefined;
}

export interface RoundPlan extends DesiredWeights {
  actions: Action[];
}

/** What to change, from the policy's weights and what the kernel holds. Pure. */
export function planRound(input: RoundInput): RoundPlan {
  const { wanted, kernel, applied, ...policy } = input;
  const observed = new Map<string, ObservedDestination>(
    kernel.destinations.map((destination) => [endpointKey(destination), destination]),
  );
  const desired = desiredWeights({ ...policy, observed });
  const masters = servedMasters(policy.membership);
  const actions = planReconcile(wanted, masters, desired.weights, kernel, applied);
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
  onApplied?: (action: Action) => void,
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
    onApplied?.(action);
  }
  return { done, error: undefined };
}
