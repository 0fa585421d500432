// `--discover-cidr`: parsed with the other flags, applied by discovery's admission rules.
import { BlockList, isIP } from 'node:net';
import type { AddressFamily } from '@kha/netlink-ffi';

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
