// Which discovered addresses lvscare will consider at all. Pure.
import type { DiscoverCidr } from '../config/cidr.js';
import type { Endpoint } from '../config/endpoint.js';

export interface Ignored {
  endpoint: Endpoint;
  why: 'other-family' | 'outside-cidr' | 'is-the-vip';
}

/**
 * Keeps the discovered masters of the VIP's family, inside the CIDR when one is given, and never
 * the VIP itself (a cluster advertising its own load balancer would loop).
 */
export function admitDiscovered(
  found: Endpoint[],
  vip: Endpoint,
  cidr: DiscoverCidr | undefined,
): { admitted: Endpoint[]; ignored: Ignored[] } {
  const admitted: Endpoint[] = [];
  const ignored: Ignored[] = [];
  for (const e of found) {
    if (e.family !== vip.family) ignored.push({ endpoint: e, why: 'other-family' });
    else if (cidr && !cidr.contains(e.address)) ignored.push({ endpoint: e, why: 'outside-cidr' });
    else if (e.address === vip.address) ignored.push({ endpoint: e, why: 'is-the-vip' });
    else if (!admitted.some((a) => a.address === e.address && a.port === e.port)) admitted.push(e);
  }
  return { admitted, ignored };
}
