// --vip: an address (port 6443) or address:port that a node can serve; never one of the masters.
import { type Endpoint, formatEndpoint, parseEndpoint, unusableVip } from '@kha/lvscare';
import { why } from '@kha/lvscare/cli-kit';
import { DEFAULT_APISERVER_PORT } from './masters.js';

export const DEFAULT_VIP = '10.103.97.2';

/** The VIP as written; throws through why() when no node could serve it. */
export function vipOf(text: string): Endpoint {
  const vip =
    parseEndpoint(text, DEFAULT_APISERVER_PORT) ??
    why('not an address or address:port (IPv6 as [addr]:port)');
  const unusable = unusableVip(vip);
  return unusable ? why(unusable) : vip;
}

/** What is wrong with this VIP beside these masters, as [flag, value, why]. */
export function vipClash(vip: Endpoint, masters: Endpoint[]): Array<[string, string, string]> {
  const clash = masters.find((m) => m.address === vip.address);
  if (clash)
    return [
      [
        'vip',
        formatEndpoint(vip),
        `is the master ${formatEndpoint(clash)}; the VIP must be an unused address`,
      ],
    ];
  const mixed = masters.find((m) => m.family !== vip.family);
  if (mixed)
    return [
      [
        'master',
        formatEndpoint(mixed),
        "not the VIP's address family; IPVS cannot mix IPv4 and IPv6 in one service",
      ],
    ];
  return [];
}
