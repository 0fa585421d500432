// Who lvscare serves: the seed (`--rs`), never removed, plus what discovery reported last, plus
// masters discovery dropped that are still draining. Pure.
import { type Endpoint, endpointKey } from '../config/endpoint.js';

export interface Membership {
  /** `--rs`: always served, whatever discovery says. */
  seed: Endpoint[];
  /** The last non-empty discovered set, seed masters left out. */
  discovered: Endpoint[];
  /** Dropped by discovery while the kernel still held them: drained, then forgotten. */
  retiring: Endpoint[];
}

export interface MembershipChange {
  membership: Membership;
  joined: Endpoint[];
  dropped: Endpoint[];
}

const keys = (list: Endpoint[]): Set<string> => new Set(list.map(endpointKey));
const without = (list: Endpoint[], drop: Set<string>): Endpoint[] =>
  list.filter((e) => !drop.has(endpointKey(e)));

export function initialMembership(seed: Endpoint[], remembered: Endpoint[] = []): Membership {
  return { seed, discovered: without(remembered, keys(seed)), retiring: [] };
}

/**
 * Takes one admitted discovery answer. An empty answer changes nothing: a cluster always has an
 * API server (the one that answered), so empty means a broken or partial view, not "no masters".
 */
export function afterAnswer(membership: Membership, answer: Endpoint[]): MembershipChange {
  if (answer.length === 0) return { membership, joined: [], dropped: [] };
  const seed = keys(membership.seed);
  const discovered = without(answer, seed);
  const now = keys(discovered);
  const before = keys(membership.discovered);
  const joined = discovered.filter((e) => !before.has(endpointKey(e)));
  const dropped = membership.discovered.filter((e) => !now.has(endpointKey(e)));
  const retiring = without([...membership.retiring, ...dropped], now);
  return { membership: { seed: membership.seed, discovered, retiring }, joined, dropped };
}

/** Retiring masters the kernel no longer holds are gone for good. */
export function afterKernel(
  membership: Membership,
  observed: ReadonlyMap<string, unknown>,
): Membership {
  const retiring = membership.retiring.filter((e) => observed.has(endpointKey(e)));
  return retiring.length === membership.retiring.length ? membership : { ...membership, retiring };
}

/** Every master to probe and to own in the kernel (anything else there is foreign). */
export function servedMasters(membership: Membership): Endpoint[] {
  return [...membership.seed, ...membership.discovered, ...membership.retiring];
}
