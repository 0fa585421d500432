// The destinations the VIP should have when masters are discovered: the usual health rules over
// the seed and the discovered masters that may take traffic, and drain for the retiring. Pure.
import {
  type DesiredDestinations,
  type ObservedDestination,
  desiredDestinations,
  drainingSince,
  endpointKey,
} from '../health/desired.js';
import type { HealthState } from '../health/state.js';
import type { Membership } from './membership.js';

/**
 * - seed: exactly as without discovery (fail-open included).
 * - discovered: enters the kernel only once its probe has passed (status up); one the kernel
 *   already holds (a restart, or it went down later) follows the usual rules, so it is drained
 *   when it fails and kept as it is while not yet probed.
 * - retiring (dropped by discovery): weight 0 at once, removed once drained, whatever its health,
 *   and never brought back by fail-open: the cluster says it is no API server of ours any more.
 * The seed is always a member, so fail-open always has someone to keep: the set is never empty.
 */
export function servedDestinations(
  membership: Membership,
  health: Map<string, HealthState>,
  observed: Map<string, ObservedDestination>,
  draining: Map<string, number>,
  drainTimeoutMs: number,
  now: number,
): DesiredDestinations {
  const mayServe = membership.discovered.filter((e) => {
    const key = endpointKey(e);
    return health.get(key)?.status === 'up' || observed.has(key);
  });
  const known = new Map(health);
  // Never probed: not "up", so not created; and not undefined, which desiredDestinations reads as up.
  for (const e of mayServe)
    if (!known.has(endpointKey(e)))
      known.set(endpointKey(e), {
        status: 'unknown',
        streak: 0,
        since: now,
        lastFailure: undefined,
      });
  const desired = desiredDestinations(
    [...membership.seed, ...mayServe],
    known,
    observed,
    draining,
    drainTimeoutMs,
    now,
  );
  for (const e of membership.retiring) {
    const key = endpointKey(e);
    const since = drainingSince(observed.get(key), draining.get(key), drainTimeoutMs, now);
    if (since === undefined) continue;
    desired.weights.set(key, 0);
    desired.draining.set(key, since);
  }
  return desired;
}
