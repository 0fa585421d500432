// One contender's view of the masters, polled by a process of its own: started by the
// side-by-side bench once per contender (at a raised priority, see balancer-watch.ts), so no
// contender's reading waits on another's or on the bench's clients. Reads the balancer's own
// state (/proc/net/ip_vs, HAProxy's stats socket) and prints a JSON line at start and at every
// change: {"at": <CLOCK_MONOTONIC ms>, "out": [names]}. A line on stdin sets the period in ms
// (0 pauses, so the footprint windows see no extra reads).
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { haproxyOut, ipvsOut } from './balancer-view.js';
import { type WatchSpec, monotonicMs } from './contender.js';

const spec = JSON.parse(process.argv[2]!) as WatchSpec;

function haproxyStat(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.end('show stat\n');
  });
}

async function readOut(): Promise<Set<string>> {
  if (spec.kind === 'ipvs')
    return ipvsOut(readFileSync('/proc/net/ip_vs', 'utf8'), spec.vip, spec.masters);
  return haproxyOut(await haproxyStat(spec.socket), spec.masters);
}

let periodMs = Number(process.argv[3] ?? 10);
let last: string | undefined;
let timer: NodeJS.Timeout | undefined;

async function poll(): Promise<void> {
  timer = undefined;
  const at = monotonicMs();
  // Not readable yet (HAProxy starting): every master out, as the bench waits for all in.
  const out = await readOut().catch(() => new Set(spec.masters.map((m) => m.name)));
  const key = [...out].sort().join(',');
  if (key !== last) {
    last = key;
    process.stdout.write(`${JSON.stringify({ at, out: [...out] })}\n`);
  }
  if (periodMs > 0) timer = setTimeout(() => void poll(), periodMs);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  periodMs = Number(line);
  if (periodMs > 0 && !timer) void poll();
  else if (periodMs <= 0 && timer) {
    clearTimeout(timer);
    timer = undefined;
  }
});
process.stdin.on('end', () => process.exit(0));
void poll();
