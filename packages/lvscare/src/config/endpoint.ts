import { type AddressFamily, addressFamily, canonicalAddress } from '@kha/netlink-ffi';

/** An IP address and port: a VIP or a master (real server). */
export interface Endpoint {
  family: AddressFamily;
  address: string;
  port: number;
}

/** "10.0.0.1:6443", "[fd00::1]:6443"; with defaultPort, a bare address too. */
export function parseEndpoint(text: string, defaultPort?: number): Endpoint | undefined {
  const t = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
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
  const family = addressFamily(host);
  if (!family) return undefined;
  if (portText === undefined) {
    if (defaultPort === undefined) return undefined;
    return { family, address: canonicalAddress(host), port: defaultPort };
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { family, address: canonicalAddress(host), port };
}

export function formatEndpoint(e: Pick<Endpoint, 'address' | 'port' | 'family'>): string {
  return e.family === 'inet6' ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.address === b.address && a.port === b.port;
}
