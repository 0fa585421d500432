// Writes bench/RESULTS.md and bench/results.json from the JSON the VM runs left in bench/out/.
// Runs on the host after `npm run bench`'s VM part.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type DiscoveryLoadOut, discoveryLoadRows, discoverySection } from './discovery-report.js';
import { type FloodOut, floodSection } from './flood-report.js';
import { type Summary, summary } from './stats.js';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));

interface FailoverResult {
  contender: string;
  outAfterMs: number | null;
  backAfterMs: number | null;
  /** lvscare only: its own log line taking the master out, from the fault. */
  loggedOutAfterMs?: number | null;
  /** How long the fault's command took (the fault counts from its start). */
  faultCommandMs?: number;
  /** Killed: when the master's own connections closed (close-witness.ts), from the fault. */
  masterClosedAfterMs?: number | null;
  failed: number;
  sent: number;
}
interface ProbeLoad {
  contender: string;
  healthzPerSecondPerMaster: number[];
  handshakesPerMinutePerMaster: number[];
}
interface Steadiness {
  contender: string;
  transitions: number;
  everOut: string[];
}
interface CreateDelete {
  create: Summary;
  delete: Summary;
  total: Summary;
}

/** What this file reads of the JSON each VM-side bench writes (bench/out/*.json). */
interface ThroughputOut {
  rounds: number;
  services: number;
  destinationsPerService: number;
  ipvsadm: string;
  ratioBatch: number;
  ratioBatchPerOp: number;
  perOperationServicesMeasured: number;
  libraryMs: CreateDelete;
  libraryBatchMs: CreateDelete;
  ipvsadmRestoreMs: CreateDelete;
  ipvsadmPerOperationMs: CreateDelete;
}
interface SideBySideOut {
  date: string;
  versions: { kernel: string; node: string; keepalived: string; haproxy: string };
  reps: number;
  clientRatePerContender: number;
  footprintWindowSeconds: number;
  soakSeconds: number;
  contenders: Array<{ name: string; describe: string }>;
  footprint: Record<string, { rssMiB: Summary; cpuPercent: Summary }>;
  probeLoad: ProbeLoad[];
  slowMaster: { healthzMs: number; timeoutMs: number; results: Steadiness[] };
  cpuSaturated: { busyLoops: number; results: Steadiness[] };
  failover: Array<{ fault: string; results: FailoverResult[] }>;
  dataPath: Record<
    string,
    { rps: Summary; p50: Summary; p90: Summary; p99: Summary; errors: number }
  >;
}
interface CareFootprintOut {
  startUpMs: Summary;
  perMaster: Array<{ healthzPerSecond: number; handshakesPerMinute: number }>;
}
interface IpvsListOut {
  rounds: number;
  services: number;
  destinationsPerService: number;
  ms: Record<string, Summary>;
  ratioToIpvsadm: number;
  /** The Node that ran the bench (and the listing, unless Node 24 is named below). */
  node?: string;
  /** With KHA_BENCH_NODE24: the listing on the image's Node as well. */
  ratioToIpvsadmNode24?: number;
  /** The floor (bench/ipvs-list-floor.ts): its node, and its time over ipvsadm's. */
  floorNode?: string;
  floorRatioToIpvsadm?: number;
}

// The files are this bench's own output, written by the scripts above in the same run.
const read = <T>(name: string) => JSON.parse(readFileSync(`${benchDir}out/${name}`, 'utf8')) as T;
const throughput = read<ThroughputOut>('ipvs-throughput.json');
const side = read<SideBySideOut>('side-by-side.json');
const care = read<CareFootprintOut>('care-footprint.json');
const discovery = read<DiscoveryLoadOut>('discovery-load.json');
const list = read<IpvsListOut>('ipvs-list.json');

/** Anything short of the full run's repetitions and windows is said to be reduced, plainly. */
const reduced =
  side.reps < 5 ||
  side.footprintWindowSeconds < 60 ||
  side.soakSeconds < 60 ||
  throughput.rounds < 5 ||
  list.rounds < 5 ||
  care.startUpMs.samples.length < 5;

const ms = (s: Summary) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
const one = (s: Summary, digits = 1) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

const contenders = side.contenders;
const faults = ['killed', 'black-holed', 'healthz-500'] as const;
const faultTitle = {
  killed: 'master process killed',
  'black-holed': 'master black-holed (every packet to it dropped)',
  'healthz-500': '/healthz answering 500 (still serving)',
};

const runs = (f: (typeof faults)[number]) => side.failover.filter((r) => r.fault === f);

/** Per fault and contender: out-of-rotation times and failed requests over the repetitions. */
const failover = Object.fromEntries(
  faults.map((f) => {
    return [
      f,
      Object.fromEntries(
        contenders.map((c) => {
          const rs = runs(f).map((r) => r.results.find((x) => x.contender === c.name)!);
          const outs = rs.map((r) => r.outAfterMs).filter((x): x is number => x !== null);
          const backs = rs.map((r) => r.backAfterMs).filter((x): x is number => x !== null);
          const logged = rs
            .map((r) => r.loggedOutAfterMs)
            .filter((x): x is number => typeof x === 'number');
          return [
            c.name,
            {
              outAfterMs: outs.length ? summary(outs) : null,
              backAfterMs: backs.length ? summary(backs) : null,
              loggedOutAfterMs: logged.length ? summary(logged) : null,
              neverOut: rs.length - outs.length,
              failed: summary(rs.map((r) => r.failed)),
              sent: summary(rs.map((r) => r.sent)),
            },
          ];
        }),
      ),
    ];
  }),
) as Record<
  (typeof faults)[number],
  Record<
    string,
    {
      outAfterMs: Summary | null;
      backAfterMs: Summary | null;
      loggedOutAfterMs: Summary | null;
      neverOut: number;
      failed: Summary;
      sent: Summary;
    }
  >
>;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** lvscare with its defaults, alone with the masters (care-footprint), as each master counted. */
const probesPerSecondPerMaster = mean(care.perMaster.map((p) => p.healthzPerSecond));
const handshakesPerMinutePerMaster = mean(care.perMaster.map((p) => p.handshakesPerMinute));
const load = side.probeLoad;
/** Per worker, as the masters counted it in the side-by-side run; sealos' from its settings. */
const loadRows: Array<{ name: string; rps: number; tlsPerMin: number; how: string }> = [
  ...load.map((l) => ({
    name: l.contender,
    rps: mean(l.healthzPerSecondPerMaster),
    tlsPerMin: mean(l.handshakesPerMinutePerMaster),
    how: 'measured',
  })),
  {
    name: "sealos' lvscare",
    rps: 1 / 5,
    tlsPerMin: 60 / 5,
    how: 'from its settings: a 5 s interval, a new connection and TLS handshake per probe',
  },
];
const WORKERS = [100, 1000, 5000];

const fp = side.footprint;
const bare = fp['bare node']!;
const dp = side.dataPath;
const ipvsDp = dp['IPVS (lvscare VIP)']!;
const haDp = dp.HAProxy!;

const outMedian = (f: (typeof faults)[number], c: string) =>
  failover[f][c]!.outAfterMs?.median ?? Number.NaN;
const headline = {
  killedLvscareVsKeepalived: outMedian('killed', 'keepalived') / outMedian('killed', 'lvscare'),
  killedLvscareVsHaproxy: outMedian('killed', 'haproxy') / outMedian('killed', 'lvscare'),
  blackholedLvscareVsKeepalived:
    outMedian('black-holed', 'keepalived') / outMedian('black-holed', 'lvscare'),
  blackholedLvscareVsHaproxy:
    outMedian('black-holed', 'haproxy') / outMedian('black-holed', 'lvscare'),
  rssLvscareVsHaproxy: fp.lvscare!.rssMiB.median / fp.haproxy!.rssMiB.median,
  rssLvscareVsKeepalived: fp.lvscare!.rssMiB.median / fp.keepalived!.rssMiB.median,
  dataPathRpsIpvsVsHaproxy: ipvsDp.rps.median / haDp.rps.median,
  dataPathP50HaproxyVsIpvs: haDp.p50.median / ipvsDp.p50.median,
  throughputBatchVsIpvsadmRestore: throughput.ratioBatch,
  throughputBatchVsIpvsadmPerOp: throughput.ratioBatchPerOp,
};

const DATA_PATH_NOTE =
  'The same client on the worker, 4 concurrent keep-alive HTTPS connections sending `GET /` for 8 s, ' +
  'through the lvscare VIP (kernel IPVS, NAT) and through HAProxy (user-space TCP relay), ' +
  'alternating which goes first; the TLS handshakes happen once per connection, so what differs is ' +
  'the per-request path.';

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, host kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;

const lines: string[] = [
  '# Side-by-side results',
  '',
  ...(reduced
    ? [
        `**Reduced run, not the full bench**: ${side.reps} repetitions (full: 5), ${side.footprintWindowSeconds} s footprint windows (60), ${side.soakSeconds} s soaks (60), ${throughput.rounds} throughput rounds and ${list.rounds} listing rounds (5), ${care.startUpMs.samples.length} start-ups (5). Medians of so few runs are indications, not the bench's figures.`,
        '',
      ]
    : []),
  `Measured ${side.date.slice(0, 10)} with \`npm run bench\`${reduced ? ' (reduced settings, see above)' : ''}.`,
  `Machine: ${machine}. Everything ran in the kernel-tier VM: Debian kernel ${side.versions.kernel} under`,
  `qemu TCG (emulated CPU), Node ${side.versions.node}, ${side.versions.keepalived}, ${side.versions.haproxy}, ${throughput.ipvsadm}.`,
  'The CPU is emulated, so absolute times are slow; compare contenders within this run.',
  `Every figure is the median and (min–max) over ${side.reps} repetitions.`,
  '',
  '## Headline ratios (medians, this run)',
  '',
  `- Killed master out of rotation: keepalived takes ${headline.killedLvscareVsKeepalived.toFixed(1)}× and HAProxy ${headline.killedLvscareVsHaproxy.toFixed(1)}× lvscare's time.`,
  `- Black-holed master: keepalived ${headline.blackholedLvscareVsKeepalived.toFixed(1)}×, HAProxy ${headline.blackholedLvscareVsHaproxy.toFixed(1)}× lvscare's time.`,
  `- Resident memory: lvscare ${headline.rssLvscareVsHaproxy.toFixed(1)}× HAProxy's, ${headline.rssLvscareVsKeepalived.toFixed(1)}× keepalived's.`,
  `- Data path, keep-alive requests: IPVS ${headline.dataPathRpsIpvsVsHaproxy.toFixed(2)}× HAProxy's requests/s; HAProxy's median latency ${headline.dataPathP50HaproxyVsIpvs.toFixed(2)}× IPVS's.`,
  `- 1000 services × 3 destinations: the batched library takes ${headline.throughputBatchVsIpvsadmRestore.toFixed(2)}× the time of \`ipvsadm -R\` and ${headline.throughputBatchVsIpvsadmPerOp.toFixed(3)}× that of one ipvsadm per operation.`,
  '',
  '## Contenders',
  '',
  ...contenders.map((c) => `- **${c.name}**: ${c.describe}`),
  '',
  'All run at once on one worker with three masters (each in its own network namespace on one',
  'bridge, HTTPS `/healthz` from a test CA, default route via a router that is not the worker),',
  `so a fault hits all of them at the same instant. Each has its own client making`,
  `${side.clientRatePerContender} requests/s, one fresh TLS connection each, through its VIP (HAProxy: its local port).`,
  'keepalived, HAProxy and lvscare-same-rate probe one `/healthz` per master per second, 1 s timeout,',
  'out after 2 failures, back after 2 successes; lvscare at its defaults probes every 5 s and lets the',
  'kept connection carry the fast paths. Configuration files: [`contenders/keepalived.conf`](contenders/keepalived.conf),',
  '[`contenders/haproxy.cfg`](contenders/haproxy.cfg); lvscare is started with the flags named above.',
  '',
  '## 1. Failover',
  '',
  '"Out after": from the fault (its command started: `ip netns exec nft` may take a second under',
  'the emulated CPU, the firewall holding from its commit inside it) until the contender stops giving the',
  'master new connections: weight 0 or no destination in `/proc/net/ip_vs` (IPVS contenders),',
  'not `UP` in `show stat` (HAProxy), read every 10 ms by a poller process per contender at',
  'niceness -10, each reading stamped with the monotonic clock when it was made (the bench',
  "process, busy with the clients' TLS handshakes, only collects them). Under each table, for",
  "comparison only, lvscare's own log line setting the master's weight to 0 (written once the",
  'kernel took it). "Failed": requests the',
  "contender's client saw fail from the fault until 2.5 s after the master was out.",
  '"Back after": from the fault cleared (the restarted master listening and answering 200, the',
  'firewall removed, `/healthz` 200 again) until the contender gives the master connections again.',
  '',
];
for (const f of faults) {
  lines.push(
    `### ${faultTitle[f]}`,
    '',
    '| contender | out after (ms) | failed requests | of sent | back after (ms) |',
    '|---|---|---|---|---|',
  );
  for (const c of contenders) {
    const r = failover[f][c.name]!;
    const out = r.outAfterMs ? ms(r.outAfterMs) : 'never';
    const never = r.neverOut && r.outAfterMs ? ` (never in ${r.neverOut} of ${side.reps})` : '';
    const back = r.backAfterMs ? ms(r.backAfterMs) : 'never';
    lines.push(
      `| ${c.name} | ${out}${never} | ${one(r.failed, 0)} | ${one(r.sent, 0)} | ${back} |`,
    );
  }
  const logged = contenders.flatMap((c) => {
    const l = failover[f][c.name]!.loggedOutAfterMs;
    return l ? [`${c.name} ${ms(l)} ms`] : [];
  });
  if (logged.length) lines.push('', `lvscare's own log, weight 0 after: ${logged.join('; ')}.`);
  const closed = runs(f)
    .map((r) => r.results[0]?.masterClosedAfterMs)
    .filter((x): x is number => typeof x === 'number');
  if (closed.length)
    lines.push(
      '',
      `The killed master's own connections closed (an idle one held by a witness process at the pollers' priority) after ${ms(summary(closed))} ms: no contender can know sooner.`,
    );
  lines.push('');
}
const steady = (title: string, note: string, rs: Steadiness[]) => [
  `### ${title}`,
  '',
  note,
  '',
  '| contender | state changes | masters ever out |',
  '|---|---|---|',
  ...rs.map((r) => `| ${r.contender} | ${r.transitions} | ${r.everOut.join(', ') || 'none'} |`),
  '',
];
lines.push(
  ...steady(
    `master answering slowly: /healthz after ${side.slowMaster.healthzMs} ms (timeout ${side.slowMaster.timeoutMs} ms) for ${side.soakSeconds} s`,
    "Every contender's view of every master read every 100 ms; a correct contender changes nothing.",
    side.slowMaster.results,
  ),
  ...steady(
    `worker CPU saturated: ${side.cpuSaturated.busyLoops} busy loops (one per core) for ${side.soakSeconds} s`,
    'Another process spinning on every core of the worker; no master is at fault.',
    side.cpuSaturated.results,
  ),
  '## Probe load per master',
  '',
  `Counted at each master (its \`/healthz\` requests and new TLS connections, told apart by the`,
  `prober's User-Agent) over the ${side.reps} × ${side.footprintWindowSeconds} s steady-state windows, averaged over the three masters; then`,
  'multiplied by the number of workers, each running one prober.',
  '',
  '| prober | per worker: /healthz per s | per worker: TLS handshakes per min | 100 workers: req/s, handshakes/min | 1,000 workers | 5,000 workers | how known |',
  '|---|---|---|---|---|---|---|',
  ...loadRows.map(
    (r) =>
      `| ${r.name} | ${r.rps.toFixed(2)} | ${r.tlsPerMin.toFixed(1)} | ${WORKERS.map((w) => `${(r.rps * w).toFixed(0)}, ${(r.tlsPerMin * w).toFixed(0)}`).join(' | ')} | ${r.how} |`,
  ),
  '',
  `lvscare alone with its defaults (the footprint run below): **${probesPerSecondPerMaster.toFixed(3)} \`/healthz\` per second per master**, ${handshakesPerMinutePerMaster.toFixed(2)} new TLS connections per minute per master.`,
  '',
  ...discoverySection(discovery),
  '',
  '## Start-up',
  '',
  `lvscare care with its defaults, from exec of \`dist/image/lvscare.mjs\` to the virtual server holding every master in the kernel (its first reconcile applied; read over netlink every 5 ms), ${care.startUpMs.samples.length} starts: **${ms(care.startUpMs)} ms**.`,
  '',
  '## `lvscare ipvs list --json`',
  '',
  `${list.services} services × ${list.destinationsPerService} destinations in the kernel, each way run as a fresh process (the bundled \`dist/image/lvscare.mjs\` through its own first line, start-up included), ${list.rounds} rounds in alternating order:`,
  '',
  '| command | ms |',
  '|---|---|',
  ...Object.entries(list.ms).map(([k, v]) => `| ${k} | ${ms(v)} |`),
  '',
  `\`lvscare ipvs list --json\` / \`ipvsadm -Ln\`: **${list.ratioToIpvsadm.toFixed(2)}** under ${list.node ?? "the host's Node"}${list.ratioToIpvsadmNode24 ? `, **${list.ratioToIpvsadmNode24.toFixed(2)}** under Node 24 (the image's runtime, first on PATH for the entry point's first line)` : ''} (medians; target at most 1.5).`,
  ...(list.floorRatioToIpvsadm === undefined
    ? []
    : [
        '',
        `The floor, a fresh node (${list.floorNode}) that loads koffi, makes the same kernel exchanges and writes as many bytes with none of our code and nothing decoded: **${list.floorRatioToIpvsadm.toFixed(2)}** × \`ipvsadm -Ln\`. Whatever lvscare takes above it is ours: loading our code, decoding the replies, building the JSON.`,
      ]),
  '',
);
lines.push(
  '## 2. Footprint',
  '',
  `Resident memory (mean of samples every 5 s) and CPU over ${side.reps} consecutive ${side.footprintWindowSeconds} s windows after a 20 s`,
  'warm-up, each contender with its child processes (keepalived: parent and checker), all running',
  'at once, idle but probing; a bare `node -e "setInterval(() => {}, 1000)"` as the floor.',
  '',
  '| process | RSS (MiB) | above bare node (MiB; node processes) | CPU (% of one core) |',
  '|---|---|---|---|',
  ...Object.entries(fp).map(
    ([name, v]) =>
      `| ${name} | ${one(v.rssMiB)} | ${name.startsWith('lvscare') ? (v.rssMiB.median - bare.rssMiB.median).toFixed(1) : ''} | ${one(v.cpuPercent, 2)} |`,
  ),
  '',
  '## 3. Netlink throughput',
  '',
  `${throughput.services} services × ${throughput.destinationsPerService} masquerade destinations created, then the services deleted; ${throughput.rounds} rounds in rotating order; the kernel's rule count checked with \`ipvsadm -Sn\` after each phase.`,
  '',
  '| path | create (ms) | delete (ms) | total (ms) |',
  '|---|---|---|---|',
  ...(
    [
      ['library, one request per round trip', throughput.libraryMs],
      ['library, batched (64 per datagram)', throughput.libraryBatchMs],
      ['`ipvsadm -R`', throughput.ipvsadmRestoreMs],
      [
        `one \`ipvsadm\` process per operation (${throughput.perOperationServicesMeasured} services run, scaled ×${throughput.services / throughput.perOperationServicesMeasured})`,
        throughput.ipvsadmPerOperationMs,
      ],
    ] as Array<[string, CreateDelete]>
  ).map(([n, r]) => `| ${n} | ${ms(r.create)} | ${ms(r.delete)} | ${ms(r.total)} |`),
  '',
  '## 4. Data path',
  '',
  DATA_PATH_NOTE,
  '',
  '| path | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | errors |',
  '|---|---|---|---|---|---|',
  ...Object.entries(dp).map(
    ([n, r]) =>
      `| ${n} | ${one(r.rps, 0)} | ${one(r.p50)} | ${one(r.p90)} | ${one(r.p99)} | ${r.errors} |`,
  ),
  '',
);

// The liveness flood's section, when that bench ran too (it is kept by flood-results.ts otherwise).
const floodOut = (name: string) =>
  existsSync(`${benchDir}out/${name}`) ? read<FloodOut>(name) : undefined;
const flood = floodSection(floodOut('liveness-flood-host.json'), floodOut('liveness-flood.json'));
if (flood.length) lines.push('', ...flood);
// The release artifacts' section is written by npm run smoke:arm64 (test/arm64/smoke.sh), not by
// a bench: carried over as the last smoke run wrote it.
const previous = existsSync(`${benchDir}RESULTS.md`)
  ? readFileSync(`${benchDir}RESULTS.md`, 'utf8')
  : '';
const release = /<!-- release:start -->[\s\S]*<!-- release:end -->/.exec(previous);
if (release) lines.push('', release[0]);
writeFileSync(`${benchDir}RESULTS.md`, `${lines.join('\n')}\n`);
writeFileSync(
  `${benchDir}results.json`,
  `${JSON.stringify(
    {
      machine,
      reduced,
      headline,
      failover,
      footprint: fp,
      throughput,
      dataPath: dp,
      side,
      probesPerSecondPerMaster,
      handshakesPerMinutePerMaster,
      probeLoad: loadRows,
      steadiness: { slowMaster: side.slowMaster, cpuSaturated: side.cpuSaturated },
      startUpMs: care.startUpMs,
      ipvsList: list,
      careFootprint: care,
      discoveryLoad: { ...discovery, rows: discoveryLoadRows(discovery) },
    },
    null,
    2,
  )}\n`,
);
console.log('written: bench/RESULTS.md, bench/results.json');
