// Which discovered addresses lvscare will consider at all. Pure, linear in the answer's size.
import type { DiscoverCidr } from '../config/cidr.js';
import { type Endpoint, addressScope, endpointKey, formatEndpoint } from '../config/endpoint.js';

type IgnoredWhy =
  | 'other-family'
  | 'outside-cidr'
  | 'is-the-vip'
  | 'unspecified'
  | 'loopback'
  | 'multicast'
  | 'link-local'
  | 'broadcast';

/** What an answer held that lvscare will not serve: a count per reason and a few examples. */
export interface IgnoredSummary {
  count: number;
  byWhy: Partial<Record<IgnoredWhy, number>>;
  /** The first few ignored, "ADDR:PORT (why)": enough to recognise them in one log line. */
  examples: string[];
}

const EXAMPLES = 5;

/**
 * Keeps the discovered masters of the VIP's family, inside the CIDR when one is given, that a
 * worker can reach as another host (no loopback, unspecified, multicast, broadcast or link-local
 * address), and never the VIP itself (a cluster advertising its own load balancer would loop).
 * Duplicates are dropped.
 */
export function admitDiscovered(
  found: Endpoint[],
  vip: Endpoint,
  cidr: DiscoverCidr | undefined,
): { admitted: Endpoint[]; ignored: IgnoredSummary } {
  const admitted: Endpoint[] = [];
  const seen = new Set<string>();
  const ignored: IgnoredSummary = { count: 0, byWhy: {}, examples: [] };
  for (const e of found) {
    const why = whyIgnored(e, vip, cidr);
    if (why) {
      ignored.count++;
      ignored.byWhy[why] = (ignored.byWhy[why] ?? 0) + 1;
      if (ignored.examples.length < EXAMPLES)
        ignored.examples.push(`${formatEndpoint(e)} (${why})`);
      continue;
    }
    const key = endpointKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    admitted.push(e);
  }
  return { admitted, ignored };
}

function whyIgnored(
  e: Endpoint,
  vip: Endpoint,
  cidr: DiscoverCidr | undefined,
): IgnoredWhy | undefined {
  if (e.family !== vip.family) return 'other-family';
  const scope = addressScope(e);
  if (scope !== 'unicast') return scope;
  if (cidr && !cidr.contains(e.address)) return 'outside-cidr';
  if (e.address === vip.address) return 'is-the-vip';
  return undefined;
}
