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

/** What kind of address this is, as far as serving or reaching an API server goes. */
export type AddressScope =
  'unicast' | 'unspecified' | 'loopback' | 'multicast' | 'link-local' | 'broadcast';

function ipv4Scope(address: string): AddressScope {
  const [a = 0, b = 0] = address.split('.').map(Number);
  if (address === '255.255.255.255') return 'broadcast';
  if (a === 0) return 'unspecified'; // 0.0.0.0/8: "this network", never a destination (RFC 1122)
  if (a === 127) return 'loopback';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a === 169 && b === 254) return 'link-local';
  return 'unicast';
}

/** The scope of a canonical address (canonicalAddress); IPv4-mapped IPv6 is judged as IPv4. */
export function addressScope(endpoint: Pick<Endpoint, 'address' | 'family'>): AddressScope {
  if (endpoint.family === 'inet') return ipv4Scope(endpoint.address);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(endpoint.address);
  if (mapped) return ipv4Scope(mapped[1]!);
  if (endpoint.address === '::') return 'unspecified';
  if (endpoint.address === '::1') return 'loopback';
  if (/^ff/i.test(endpoint.address)) return 'multicast';
  if (/^fe[89ab]/i.test(endpoint.address)) return 'link-local';
  return 'unicast';
}

/** Why no node could serve this address as a VIP, or undefined when it can. */
export function unusableVip(vip: Pick<Endpoint, 'address' | 'family'>): string | undefined {
  switch (addressScope(vip)) {
    case 'unspecified':
      // Only the all-zero address itself has always been refused as a VIP.
      return vip.address === '0.0.0.0' || vip.address === '::'
        ? 'the unspecified address, not one a node can serve'
        : undefined;
    case 'broadcast':
      return 'the broadcast address, not one a node can serve';
    case 'loopback':
      return 'a loopback address: only this node could reach it';
    case 'multicast':
      return 'a multicast address, not one a node can serve';
    default:
      return undefined;
  }
}

export function formatEndpoint(endpoint: Pick<Endpoint, 'address' | 'port' | 'family'>): string {
  return endpoint.family === 'inet6'
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

/** The key lvscare files a master or a kernel destination under: its address and port. */
export const endpointKey = (endpoint: Pick<Endpoint, 'address' | 'port'>): string =>
  `${endpoint.address}|${endpoint.port}`;
