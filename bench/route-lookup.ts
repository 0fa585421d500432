// Route mode's per-round cost on a node with a large routing table: reading the whole table (what
// route mode did before: RTM_GETROUTE dump, then find the VIP's route) against two single-address
// questions (RTM_GETROUTE for the first master, and the VIP's table entry by fibmatch). Each way
// runs in a child process of its own, so that its peak resident memory is its own.
//   node bench/dist/route-lookup.js              set up the routes, measure both, print, clean up
//   node bench/dist/route-lookup.js dump|lookup  one measurement (JSON on stdout)
// Needs root in a network namespace of its own (bench/route-lookup.sh runs it in the VM).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RouteClient } from '@kha/netlink-ffi';
import { type Summary, summary } from './stats.js';

const ROUTES = Number(process.env.KHA_BENCH_ROUTES ?? 100_000);
const ROUNDS = Number(process.env.KHA_BENCH_ROUNDS ?? 10);
const RUNS = Number(process.env.KHA_BENCH_RUNS ?? 3);
const LINK = 'khabench0';
const VIP = '10.103.97.2';
const MASTER = '192.168.60.2';

type Approach = 'dump' | 'lookup';

interface Measurement {
  approach: Approach;
  roundMs: number[];
  /**
   * Longest gap between ticks of a 1 ms timer during the rounds: how long the event loop could not
   * run anything else. A reply already queued is read without returning to the event loop.
   */
  maxEventLoopDelayMs: number;
  rssBeforeBytes: number;
  /** VmHWM: the process's peak resident memory. */
  peakRssBytes: number;
}

function status(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

async function measure(approach: Approach): Promise<Measurement> {
  const rt = RouteClient.open({ timeoutMs: 120_000 });
  const round = async (): Promise<void> => {
    await rt.routeTo(MASTER);
    if (approach === 'dump')
      (await rt.routes('inet')).find(
        (r) => r.table === 254 && r.destination === VIP && r.prefixLength === 32,
      );
    else await rt.matchingRoute(VIP);
  };
  const rssBeforeBytes = status('VmRSS');
  let lastTick = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - lastTick);
    lastTick = now;
  }, 1);
  const roundMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Rounds are an interval apart in lvscare: the loop turns between them.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const start = performance.now();
    await round();
    roundMs.push(performance.now() - start);
  }
  await new Promise((resolve) => setTimeout(resolve, 5)); // the ticker sees the last round end
  clearInterval(ticker);
  await rt.close();
  return {
    approach,
    roundMs,
    maxEventLoopDelayMs: maxGap,
    rssBeforeBytes,
    peakRssBytes: status('VmHWM'),
  };
}

function ip(args: string[], input?: string): void {
  execFileSync('ip', args, { input, stdio: ['pipe', 'ignore', 'inherit'] });
}

function setUp(): void {
  spawnSync('ip', ['link', 'del', LINK]);
  ip(['link', 'add', LINK, 'type', 'dummy']);
  ip(['link', 'set', LINK, 'up']);
  ip(['addr', 'add', '192.168.60.10/24', 'dev', LINK]);
  const lines: string[] = [];
  for (let i = 0; i < ROUTES; i++)
    lines.push(`route add 172.${16 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}/32 dev ${LINK}`);
  ip(['-batch', '-'], `${lines.join('\n')}\n`);
  ip(['route', 'add', `${VIP}/32`, 'dev', LINK, 'src', '192.168.60.10']);
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only === 'dump' || only === 'lookup') {
    process.stdout.write(JSON.stringify(await measure(only)));
    return;
  }
  setUp();
  const self = fileURLToPath(import.meta.url);
  const runs: Record<Approach, Measurement[]> = { dump: [], lookup: [] };
  try {
    for (let r = 0; r < RUNS; r++) {
      for (const approach of (r % 2 ? ['lookup', 'dump'] : ['dump', 'lookup']) as Approach[]) {
        const out = execFileSync(process.execPath, [self, approach], { encoding: 'utf8' });
        runs[approach].push(JSON.parse(out) as Measurement);
      }
    }
  } finally {
    spawnSync('ip', ['link', 'del', LINK]);
  }
  const mib = (b: number) => b / 2 ** 20;
  const of = (a: Approach) => ({
    roundMs: summary(runs[a].flatMap((m) => m.roundMs)),
    maxEventLoopDelayMs: summary(runs[a].map((m) => m.maxEventLoopDelayMs)),
    peakRssMiB: summary(runs[a].map((m) => mib(m.peakRssBytes))),
    rssGrowthMiB: summary(runs[a].map((m) => mib(m.peakRssBytes - m.rssBeforeBytes))),
  });
  const result = {
    date: new Date().toISOString(),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    node: process.version,
    routes: ROUTES,
    roundsPerRun: ROUNDS,
    runs: RUNS,
    dump: of('dump'),
    lookup: of('lookup'),
  };
  const f = (s: Summary, d = 1) =>
    `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  console.log(
    [
      `route mode, one round, ${ROUTES} routes in the table; median (min–max) over ${RUNS} runs x ${ROUNDS} rounds`,
      '| per round                          | round ms | longest event-loop stall ms | peak RSS MiB | RSS growth MiB |',
      '| ---------------------------------- | -------- | --------------------------- | ------------ | -------------- |',
      ...(['dump', 'lookup'] as const).map((a) => {
        const s = result[a];
        const name =
          a === 'dump' ? 'whole-table dump (before)' : 'two single-address lookups (now)';
        return `| ${name} | ${f(s.roundMs)} | ${f(s.maxEventLoopDelayMs)} | ${f(s.peakRssMiB)} | ${f(s.rssGrowthMiB)} |`;
      }),
    ].join('\n'),
  );
  const dir = process.env.KHA_BENCH_OUT_DIR;
  if (dir) writeFileSync(`${dir}/route-lookup.json`, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
