// --master values as sealos takes them: an address, address:port, or an IPv4 range a-b.
import { addressFamily, addressToBytes, bytesToAddress } from '@kha/netlink-ffi';
import { type Endpoint, UsageError, formatEndpoint, parseEndpoint } from '@kha/lvscare';

export const DEFAULT_APISERVER_PORT = 6443;
/** A range longer than this is a typo, not a control plane. */
export const MAX_RANGE = 64;

const bad = (value: string, why: string): UsageError =>
  new UsageError(`--master ${JSON.stringify(value)}: ${why}`);

function ipv4ToNumber(a: string): number {
  return addressToBytes(a).readUInt32BE(0);
}

function numberToIpv4(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return bytesToAddress(b, 'inet');
}

function parseOne(value: string): Endpoint[] {
  const range = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(value.trim());
  if (range) {
    const [, from, to, portText] = range as unknown as [string, string, string, string | undefined];
    if (addressFamily(from) !== 'inet' || addressFamily(to) !== 'inet')
      throw bad(value, 'not an IPv4 range');
    const port = portText === undefined ? DEFAULT_APISERVER_PORT : Number(portText);
    if (!(port >= 1 && port <= 65535)) throw bad(value, 'port out of range');
    const a = ipv4ToNumber(from);
    const b = ipv4ToNumber(to);
    if (b < a) throw bad(value, 'the range ends before it starts');
    if (b - a + 1 > MAX_RANGE) throw bad(value, `more than ${MAX_RANGE} addresses`);
    return Array.from({ length: b - a + 1 }, (_, i) => ({
      family: 'inet' as const,
      address: numberToIpv4(a + i),
      port,
    }));
  }
  const e = parseEndpoint(value, DEFAULT_APISERVER_PORT);
  if (!e) throw bad(value, 'not an address, address:port ([addr]:port for IPv6) or range a-b');
  return [e];
}

/** Every master, in order, ports defaulted to 6443; duplicates and mixed families are bad input. */
export function parseMasters(values: string[]): Endpoint[] {
  if (values.length === 0)
    throw new UsageError(
      '--master is required: one per control-plane node, e.g. --master 192.168.0.2',
    );
  const out: Endpoint[] = [];
  for (const v of values) {
    for (const e of parseOne(v)) {
      if (out.some((o) => o.address === e.address && o.port === e.port))
        throw bad(v, `${formatEndpoint(e)} is given twice`);
      if (out[0] && out[0].family !== e.family) throw bad(v, 'mixes IPv4 and IPv6 masters');
      out.push(e);
    }
  }
  return out;
}
