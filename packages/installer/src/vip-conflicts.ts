// Whether the VIP would shadow something real on this node. Pure: the node's addresses and routes
// in, one sentence per problem out.
import { type Endpoint } from '@kha/lvscare';
import {
  type InterfaceAddress,
  type NetworkLink,
  type Route,
  addressToBytes,
  hostPrefixLength,
} from '@kha/netlink-ffi';

function inPrefix(address: string, prefix: string, length: number): boolean {
  const a = addressToBytes(address);
  const p = addressToBytes(prefix);
  if (a.length !== p.length) return false;
  for (let bit = 0; bit < length; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3]! & mask) !== (p[bit >> 3]! & mask)) return false;
  }
  return true;
}

export interface NodeNetwork {
  links: NetworkLink[];
  addresses: InterfaceAddress[];
  routes: Route[];
}

/**
 * Problems with using `vip` on this node. Our own link-mode dummy (`ownLink`) holding the VIP is
 * not one: that is a re-run after the rules step.
 */
export function vipConflicts(vip: Endpoint, net: NodeNetwork, ownLink: string): string[] {
  const nameOf = (index: number | undefined) =>
    net.links.find((l) => l.index === index)?.name ?? `link ${index}`;
  const problems: string[] = [];
  for (const a of net.addresses) {
    if (a.family === vip.family && a.address === vip.address && nameOf(a.index) !== ownLink) {
      problems.push(
        `the VIP ${vip.address} is already an address of this node (on ${nameOf(a.index)}): choose an unused --vip`,
      );
    }
  }
  const full = hostPrefixLength(vip.family);
  for (const r of net.routes) {
    const connected = r.scope === 'link' && r.type === 'unicast' && !r.gateway;
    if (
      r.family === vip.family &&
      connected &&
      r.prefixLength > 0 &&
      r.prefixLength < full &&
      inPrefix(vip.address, r.destination, r.prefixLength)
    ) {
      problems.push(
        `the VIP ${vip.address} lies in ${r.destination}/${r.prefixLength}, a network this node is on (${nameOf(r.outputIndex)}), where a real host may own it: choose a --vip outside the node's networks`,
      );
    }
  }
  return problems;
}
