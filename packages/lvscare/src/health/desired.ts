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
}

export const endpointKey = (e: Pick<Endpoint, 'address' | 'port'>): string =>
  `${e.address}|${e.port}`;

/**
 * - up: full weight.
 * - unknown (not probed yet): whatever the kernel has (a restart touches nothing), or full
 *   weight when absent, as `--run-once` would create it.
 * - down: weight 0 at once, so it takes no new connection; removed once its connections have
 *   drained or `drainTimeoutMs` has passed since it went down.
 * - fail-open: when that leaves no master with a weight above 0 (all down, or an unknown one
 *   still at 0 after a restart), all of them at full weight: an empty VIP helps no one, and a
 *   master that still answers some requests is better than none.
 */
export function desiredDestinations(
  masters: Endpoint[],
  health: Map<string, HealthState>,
  observed: Map<string, ObservedDestination>,
  drainTimeoutMs: number,
  now: number,
): DesiredDestinations {
  const weights = new Map<string, number>();
  for (const m of masters) {
    const key = endpointKey(m);
    const state = health.get(key);
    const seen = observed.get(key);
    if (state === undefined || state.status === 'up') {
      weights.set(key, FULL_WEIGHT);
    } else if (state.status === 'unknown') {
      weights.set(key, seen ? seen.weight : FULL_WEIGHT);
    } else {
      const drained = seen === undefined || seen.activeConns + seen.inactiveConns === 0;
      const timedOut = now - state.since >= drainTimeoutMs;
      if (!drained && !timedOut) weights.set(key, 0);
    }
  }
  const failOpen = masters.length > 0 && ![...weights.values()].some((w) => w > 0);
  if (failOpen) for (const m of masters) weights.set(endpointKey(m), FULL_WEIGHT);
  return { weights, failOpen };
}
