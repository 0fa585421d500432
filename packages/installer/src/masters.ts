// --master values as sealos takes them: an address, address:port, or an IPv4 range a-b; several
// of those comma-separated.
import { addressFamily, addressToBytes, bytesToAddress } from '@kha/netlink-ffi';
import { type Endpoint, UsageError, formatEndpoint, parseEndpoint } from '@kha/lvscare';
import { why } from '@kha/lvscare/cli-kit';

export const DEFAULT_APISERVER_PORT = 6443;
/** A range longer than this is a typo, not a control plane. */
const MAX_RANGE = 64;

function ipv4ToNumber(a: string): number {
  return addressToBytes(a).readUInt32BE(0);
}

function numberToIpv4(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return bytesToAddress(b, 'inet');
}

/**
 * The masters one --master value names, several when comma-separated (as lvscare's --rs and
 * sealos' --masters take them); throws through why() when a piece names none.
 */
export function mastersIn(value: string): Endpoint[] {
  if (value.includes(',')) return value.split(',').flatMap((piece) => mastersIn(piece));
  if (value.trim() === '') return why('an empty address in the list');
  return mastersOne(value);
}

function mastersOne(value: string): Endpoint[] {
  const range = /^([0-9.]+)-([0-9.]+)(?::([0-9]+))?$/.exec(value.trim());
  if (range) {
    const [, from = '', to = '', portText] = range;
    if (addressFamily(from) !== 'inet' || addressFamily(to) !== 'inet')
      return why('not an IPv4 range');
    const port = portText === undefined ? DEFAULT_APISERVER_PORT : Number(portText);
    if (!(port >= 1 && port <= 65535)) return why('port out of range');
    const a = ipv4ToNumber(from);
    const b = ipv4ToNumber(to);
    if (b < a) return why('the range ends before it starts');
    if (b - a + 1 > MAX_RANGE) return why(`more than ${MAX_RANGE} addresses`);
    return Array.from({ length: b - a + 1 }, (_, i) => ({
      family: 'inet' as const,
      address: numberToIpv4(a + i),
      port,
    }));
  }
  const e = parseEndpoint(value, DEFAULT_APISERVER_PORT);
  return e ? [e] : why('not an address, address:port ([addr]:port for IPv6) or range a-b');
}

/** Problems across --master values: none given, one master twice, IPv4 mixed with IPv6. */
export function mastersProblems(lists: Endpoint[][]): Array<[string | undefined, string]> {
  if (lists.length === 0)
    return [[undefined, 'is required: one per control-plane node, e.g. --master 192.168.0.2']];
  const problems: Array<[string | undefined, string]> = [];
  const seen: Endpoint[] = [];
  for (const e of lists.flat()) {
    if (seen.some((o) => o.address === e.address && o.port === e.port))
      problems.push([formatEndpoint(e), 'is given twice']);
    else if (seen[0] && seen[0].family !== e.family)
      problems.push([formatEndpoint(e), 'mixes IPv4 and IPv6 masters']);
    else seen.push(e);
  }
  return problems;
}

/** Every master, in order, ports defaulted to 6443; duplicates and mixed families are bad input. */
export function parseMasters(values: string[]): Endpoint[] {
  const lists: Endpoint[][] = [];
  const problems: string[] = [];
  for (const v of values) {
    try {
      lists.push(mastersIn(v));
    } catch (err) {
      problems.push(
        `--master ${JSON.stringify(v)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (problems.length === 0)
    for (const [v, p] of mastersProblems(lists))
      problems.push(v === undefined ? `--master ${p}` : `--master ${JSON.stringify(v)}: ${p}`);
  if (problems.length > 0) throw new UsageError(problems);
  return lists.flat();
}
