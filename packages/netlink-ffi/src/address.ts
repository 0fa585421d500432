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
  const out = Buffer.alloc(isIPv4(address) ? 4 : 16);
  writeAddress(address, out, 0);
  return out;
}

/**
 * Writes the bytes of an address into `buf` at `at`: 4 for IPv4, 16 for IPv6. Throws RangeError
 * on text that is not an address.
 */
function writeAddress(address: string, buf: Buffer, at: number): void {
  const family = addressFamily(address);
  if (!family) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  writeAddressOf(address, family, buf, at);
}

/** writeAddress for an address already known to be of `family` (checked by addressFamily). */
export function writeAddressOf(
  address: string,
  family: AddressFamily,
  buf: Buffer,
  at: number,
): void {
  if (family === 'inet') {
    writeDottedQuad(address, 0, buf, at);
    return;
  }
  let text = address;
  // A trailing dotted quad stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > 0) {
    writeDottedQuad(text, lastColon + 1, buf, at + 12);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => parseInt(g, 16));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  // The groups a dotted tail stands for are written already.
  const last = text === address ? 8 : 6;
  for (let i = 0; i < last; i++) buf.writeUInt16BE(all[i]!, at + i * 2);
}

/** The four numbers of a dotted quad (checked by isIPv4) from `text` at `from`, as bytes. */
function writeDottedQuad(text: string, from: number, buf: Buffer, at: number): void {
  let octet = 0;
  let byte = at;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      buf[byte++] = octet;
      octet = 0;
    } else octet = octet * 10 + (c - 0x30);
  }
  buf[byte] = octet;
}

/** Text of an address held in `bytes` (the first 4 for IPv4), IPv6 in RFC 5952 form. */
export function bytesToAddress(bytes: Buffer, family: AddressFamily): string {
  const need = family === 'inet' ? 4 : 16;
  if (bytes.length < need) {
    throw new RangeError(
      `${family === 'inet' ? 'IPv4' : 'IPv6'} address needs ${need} bytes, got ${bytes.length}`,
    );
  }
  return addressAt(bytes, 0, family);
}

/** Text of the address at `at` in `buf`; the caller has checked that its 4 or 16 bytes are there. */
export function addressAt(buf: Buffer, at: number, family: AddressFamily): string {
  if (family === 'inet') return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(at + i * 2));
  // IPv4-mapped addresses keep their dotted tail, as inet_ntop prints them.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
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
