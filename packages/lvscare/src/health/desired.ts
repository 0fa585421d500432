// Which destinations the VIP should have, and with what weight. Pure.
import type { Endpoint } from '../config/endpoint.js';
import type { HealthState } from './state.js';

export const FULL_WEIGHT = 1;

export interface ObservedDestination {
  weight: number;
  activeConns: number;
  inactiveConns: number;
}

export interface DesiredDestinations {
  /** "address:port" -> weight; a master left out is to be removed. */
  weights: Map<string, number>;
  /** No master is healthy: every configured master is kept at full weight. */
  failOpen: boolean;
  /** Masters at weight 0 waiting to drain, and since when (feed back in next round). */
  draining: Map<string, number>;
}

export const endpointKey = (endpoint: Pick<Endpoint, 'address' | 'port'>): string =>
  `${endpoint.address}|${endpoint.port}`;

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
 */
export function desiredDestinations(
  masters: Endpoint[],
  health: Map<string, HealthState>,
  observed: Map<string, ObservedDestination>,
  draining: Map<string, number>,
  drainTimeoutMs: number,
  now: number,
): DesiredDestinations {
  const weights = new Map<string, number>();
  const nextDraining = new Map<string, number>();
  for (const m of masters) {
    const key = endpointKey(m);
    const state = health.get(key);
    const seen = observed.get(key);
    if (state === undefined || state.status === 'up') {
      weights.set(key, FULL_WEIGHT);
    } else if (state.status === 'unknown') {
      weights.set(key, seen ? seen.weight : FULL_WEIGHT);
    } else {
      const since = drainingSince(seen, draining.get(key), drainTimeoutMs, now);
      if (since !== undefined) {
        weights.set(key, 0);
        nextDraining.set(key, since);
      }
    }
  }
  const failOpen = masters.length > 0 && ![...weights.values()].some((w) => w > 0);
  if (failOpen) {
    for (const m of masters) weights.set(endpointKey(m), FULL_WEIGHT);
    return { weights, failOpen, draining: new Map() };
  }
  return { weights, failOpen, draining: nextDraining };
}

/**
 * A master being taken out: since when it has been draining while it must stay at weight 0, or
 * undefined once it may be removed (quiet, or the drain timed out) or the kernel lacks it.
 */
export function drainingSince(
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
