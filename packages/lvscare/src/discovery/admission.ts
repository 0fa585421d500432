// Which discovered addresses lvscare will consider at all. Pure.
import { BlockList, isIP } from 'node:net';
import type { AddressFamily } from '@kha/netlink-ffi';
import type { Endpoint } from '../config/endpoint.js';

/** An optional `--discover-cidr`: discovered masters outside it are ignored. */
export interface DiscoverCidr {
  text: string;
  family: AddressFamily;
  contains(address: string): boolean;
}

/** "10.0.0.0/24", "fd00::/64"; undefined when not a CIDR. */
export function parseCidr(text: string): DiscoverCidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const kind = isIP(m[1]!);
  const bits = Number(m[2]);
  if (kind === 0 || bits > (kind === 4 ? 32 : 128)) return undefined;
  const type = kind === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(m[1]!, bits, type);
  return {
    text: text.trim(),
    family: kind === 4 ? 'inet' : 'inet6',
    contains: (address) => isIP(address) === kind && list.check(address, type),
  };
}

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
