// Who gets which weight: the one place that decides it, for the daemon, `--run-once` and kha.
// Pure: one input object (who is served, their health, what the kernel shows, who is draining)
// in, the weights out.
import { type Endpoint, endpointKey } from '../config/endpoint.js';
import type { HealthState } from '../health/state.js';
import type { Membership } from './membership.js';

const FULL_WEIGHT = 1;

export interface ObservedDestination {
  weight: number;
  activeConns: number;
  inactiveConns: number;
}

export interface WeightInput {
  /** Who is served: the seed (`--rs`) and, with discovery, the discovered and the retiring. */
  membership: Membership;
  /** By endpointKey; a seed master absent here has not been probed and counts as up. */
  health: ReadonlyMap<string, HealthState>;
  /** What the kernel holds now, by endpointKey. */
  observed: ReadonlyMap<string, ObservedDestination>;
  /** Masters at weight 0 waiting to drain, and since when (the last decision's `draining`). */
  draining: ReadonlyMap<string, number>;
  drainTimeoutMs: number;
  now: number;
}

export interface DesiredWeights {
  /** endpointKey -> weight; a master left out is to be removed. */
  weights: Map<string, number>;
  /** No master is healthy: every seed and usable discovered master is kept at full weight. */
  failOpen: boolean;
  /** Masters at weight 0 waiting to drain, and since when (feed back in next round). */
  draining: Map<string, number>;
}

/**
 * What `--run-once` and kha set before any probe has run: the seed alone, each master taken as
 * up, so every one of them at full weight.
 */
export function beforeAnyProbe(seed: Endpoint[]): WeightInput {
  return {
    membership: { seed, discovered: [], retiring: [] },
    health: new Map(),
    observed: new Map(),
    draining: new Map(),
    drainTimeoutMs: 0,
    now: 0,
  };
}

/**
 * - up: full weight.
 * - unknown (not probed yet): whatever the kernel has (a restart touches nothing), or full
 *   weight when absent, as `--run-once` would create it.
 * - down: weight 0 at once, so it takes no new connection. It is removed only once the kernel
 *   shows it at weight 0 (no connection can be on its way to it) and either its connections have
 *   drained or `drainTimeoutMs` has passed since it went to 0: deleting a destination that still
 *   takes connections would drop them (expire_nodest_conn).
 * - fail-open: when that leaves no master with a weight above 0 (all down, or an unknown one
 *   still at 0 after a restart), all of them at full weight: an empty VIP helps no one, and a
 *   master that still answers some requests is better than none.
 * With discovery:
 * - seed: exactly as without discovery (fail-open included).
 * - discovered: enters the kernel only once its probe has passed (status up); one the kernel
 *   already holds (a restart, or it went down later) follows the rules above, so it is drained
 *   when it fails and kept as it is while not yet probed.
 * - retiring (dropped by discovery): weight 0 at once, removed once drained, whatever its health,
 *   and never brought back by fail-open: the cluster says it is no API server of ours any more.
 * The seed is always a member, so fail-open always has someone to keep.
 */
export function desiredWeights(input: WeightInput): DesiredWeights {
  const { membership, health, observed, draining, drainTimeoutMs, now } = input;
  const mayServe = membership.discovered.filter((master) => {
    const key = endpointKey(master);
    return health.get(key)?.status === 'up' || observed.has(key);
  });
  const masters = [...membership.seed, ...mayServe];
  const discovered = new Set(mayServe.map(endpointKey));
  // A discovered master never probed is not "up" (so it is not created): it is unknown. A seed
  // master never probed counts as up.
  const statusOf = (key: string): HealthState['status'] | undefined =>
    health.get(key)?.status ?? (discovered.has(key) ? 'unknown' : undefined);
  const weights = new Map<string, number>();
  let nextDraining = new Map<string, number>();
  for (const master of masters) {
    const key = endpointKey(master);
    const status = statusOf(key);
    const seen = observed.get(key);
    if (status === undefined || status === 'up') {
      weights.set(key, FULL_WEIGHT);
    } else if (status === 'unknown') {
      weights.set(key, seen ? seen.weight : FULL_WEIGHT);
    } else {
      const since = drainingSince(seen, draining.get(key), drainTimeoutMs, now);
      if (since !== undefined) {
        weights.set(key, 0);
        nextDraining.set(key, since);
      }
    }
  }
  const failOpen = masters.length > 0 && ![...weights.values()].some((weight) => weight > 0);
  if (failOpen) {
    for (const master of masters) weights.set(endpointKey(master), FULL_WEIGHT);
    nextDraining = new Map();
  }
  for (const master of membership.retiring) {
    const key = endpointKey(master);
    const since = drainingSince(observed.get(key), draining.get(key), drainTimeoutMs, now);
    if (since === undefined) continue;
    weights.set(key, 0);
    nextDraining.set(key, since);
  }
  return { weights, failOpen, draining: nextDraining };
}

/**
 * A master being taken out: since when it has been draining while it must stay at weight 0, or
 * undefined once it may be removed (quiet, or the drain timed out) or the kernel lacks it.
 */
function drainingSince(
  seen: ObservedDestination | undefined,
  since: number | undefined,
  drainTimeoutMs: number,
  now: number,
): number | undefined {
  if (seen === undefined) return undefined;
  const start = since ?? now;
  const quiet = seen.weight === 0 && seen.activeConns + seen.inactiveConns === 0;
  const timedOut = seen.weight === 0 && now - start >= drainTimeoutMs;
  return quiet || timedOut ? undefined : start;
}
