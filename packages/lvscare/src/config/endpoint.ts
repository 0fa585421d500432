import { type AddressFamily, addressFamily, canonicalAddress } from '@kha/netlink-ffi';

/** An IP address and port: a VIP or a master (real server). */
export interface Endpoint {
  family: AddressFamily;
  address: string;
  port: number;
}

// Only ASCII hex digits, dots and colons: no zone id ("fe80::1%eth0", whose zone IPVS cannot
// hold and which would be dropped without a word) and no other script's digits.
const ADDRESS_TEXT = /^[0-9A-Fa-f.:]+$/;

/** "10.0.0.1:6443", "[fd00::1]:6443"; with defaultPort, a bare address too. */
export function parseEndpoint(text: string, defaultPort?: number): Endpoint | undefined {
  const t = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(t);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (addressFamily(t)) {
    host = t; // a bare address, IPv6 included
  } else {
    const i = t.lastIndexOf(':');
    if (i < 0) return undefined;
    host = t.slice(0, i);
    portText = t.slice(i + 1);
  }
  if (!ADDRESS_TEXT.test(host)) return undefined;
  const family = addressFamily(host);
  if (!family) return undefined;
  if (portText === undefined) {
    if (defaultPort === undefined) return undefined;
    return { family, address: canonicalAddress(host), port: defaultPort };
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { family, address: canonicalAddress(host), port };
}

/** Why no node could serve this address as a VIP, or undefined when it can. */
export function unusableVip(vip: Pick<Endpoint, 'address' | 'family'>): string | undefined {
  if (vip.family === 'inet') {
    const [a = 0] = vip.address.split('.').map(Number);
    if (vip.address === '0.0.0.0') return 'the unspecified address, not one a node can serve';
    if (vip.address === '255.255.255.255') return 'the broadcast address, not one a node can serve';
    if (a === 127) return 'a loopback address: only this node could reach it';
    if (a >= 224 && a <= 239) return 'a multicast address, not one a node can serve';
    return undefined;
  }
  if (vip.address === '::') return 'the unspecified address, not one a node can serve';
  if (vip.address === '::1') return 'a loopback address: only this node could reach it';
  if (/^ff/i.test(vip.address)) return 'a multicast address, not one a node can serve';
  return undefined;
}

export function formatEndpoint(endpoint: Pick<Endpoint, 'address' | 'port' | 'family'>): string {
  return endpoint.family === 'inet6'
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

export function sameEndpoint(one: Endpoint, other: Endpoint): boolean {
  return one.address === other.address && one.port === other.port;
}
