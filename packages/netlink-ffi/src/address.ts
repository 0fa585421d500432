import { isIPv4, isIPv6 } from 'node:net';

/** Address families as the kernel numbers them (AF_INET, AF_INET6). */
export type AddressFamily = 'inet' | 'inet6';
/** AF_INET from <sys/socket.h>. */
export const AF_INET = 2;
/** AF_INET6 from <sys/socket.h>. */
export const AF_INET6 = 10;

/** The prefix length of a single address: 32 for IPv4, 128 for IPv6 (host routes, full masks). */
export function hostPrefixLength(family: AddressFamily): 32 | 128 {
  return family === 'inet' ? 32 : 128;
}

/** AF_INET or AF_INET6 for a family. */
export function familyNumber(family: AddressFamily): number {
  return family === 'inet' ? AF_INET : AF_INET6;
}

/** The family of an AF_* number, or undefined for any other. */
export function familyFromNumber(afNumber: number): AddressFamily | undefined {
  return afNumber === AF_INET ? 'inet' : afNumber === AF_INET6 ? 'inet6' : undefined;
}

/** The family of a textual address, or undefined when it is neither. */
export function addressFamily(address: string): AddressFamily | undefined {
  return isIPv4(address) ? 'inet' : isIPv6(address) ? 'inet6' : undefined;
}

/** 4 bytes for IPv4, 16 for IPv6. Throws RangeError on text that is not an address. */
export function addressToBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  let text = address;
  const out = Buffer.alloc(16);
  // A trailing dotted quad stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const q = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => parseInt(g, 16));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Text of an address held in `bytes` (the first 4 for IPv4), IPv6 in RFC 5952 form. */
export function bytesToAddress(bytes: Buffer, family: AddressFamily): string {
  if (family === 'inet') {
    if (bytes.length < 4) throw new RangeError(`IPv4 address needs 4 bytes, got ${bytes.length}`);
    return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  }
  if (bytes.length < 16) throw new RangeError(`IPv6 address needs 16 bytes, got ${bytes.length}`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(bytes.readUInt16BE(i * 2));
  // IPv4-mapped addresses keep their dotted tail, as inet_ntop prints them.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // Compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Normalised text of an address ("2001:db8:0::1" -> "2001:db8::1"). */
export function canonicalAddress(address: string): string {
  const family = addressFamily(address);
  if (!family) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  return bytesToAddress(addressToBytes(address), family);
}
