// The "Liveness under a metrics flood" section of RESULTS.md, from liveness-flood.json: shared by
// results.ts (the full run) and flood-results.ts (that bench alone).

interface ProbeFigures {
  sent: number;
  failed: number;
  failures: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}
type Probes = Record<'liveness' | 'metricsPort' | 'livenessKept', ProbeFigures>;
interface Window {
  seconds: number;
  probes: Probes;
  cpuMillicores: number;
  throttledPeriodsPercent: number;
}
export interface FloodOut {
  date: string;
  /** daemon: lvscare care in the VM; listeners: flood-target.ts on the host. */
  target?: 'daemon' | 'listeners';
  node: string;
  floodSeconds: number;
  quietSeconds: number;
  sampleMs: number;
  flooders: { scrape: [number, number]; churn: [number, number] };
  runs: Array<{
    quota: string;
    millicores: number;
    cgroup: string;
    quiet: Window;
    flood: Window;
    flooders: Array<{ mode: string; width: number; ok: number; failed: number } | null>;
    afterFlood: Probes;
  }>;
}

export const FLOOD_START = '<!-- liveness-flood: written by bench/flood-report.ts -->';
export const FLOOD_END = '<!-- /liveness-flood -->';

const PROBES: Array<[keyof Probes, string]> = [
  [
    'liveness',
    '`/healthz` on the liveness listener, new connection, 5 s timeout (where the pod should probe)',
  ],
  ['livenessKept', '`/healthz` on the liveness listener, kept connection, 1 s timeout'],
  [
    'metricsPort',
    '`/healthz` on the metrics listener, new connection, 5 s timeout (where the pod probes today)',
  ],
];

const ms = (x: number | null) => (x === null ? '–' : x < 10 ? x.toFixed(1) : x.toFixed(0));
const failures = (f: ProbeFigures) =>
  f.failed === 0
    ? '0'
    : `${f.failed} (${Object.entries(f.failures)
        .map(([why, n]) => `${n} ${why}`)
        .join(', ')})`;

function runTables(out: FloodOut): string[] {
  const lines: string[] = [];
  for (const r of out.runs) {
    lines.push(
      `#### CPU ${r.quota} (${r.millicores}m)`,
      '',
      '| probe | quiet: failed / sent | quiet p50 / p99 / max | flood: failed / sent | flood p50 / p99 / max | just after: failed / sent |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const [key, what] of PROBES) {
      const q = r.quiet.probes[key];
      const f = r.flood.probes[key];
      const a = r.afterFlood[key];
      lines.push(
        `| ${what} | ${failures(q)} / ${q.sent} | ${ms(q.p50Ms)} / ${ms(q.p99Ms)} / ${ms(q.maxMs)} | ${failures(f)} / ${f.sent} | ${ms(f.p50Ms)} / ${ms(f.p99Ms)} / ${ms(f.maxMs)} | ${failures(a)} / ${a.sent} |`,
      );
    }
    const fl = r.flooders.filter((x) => x !== null);
    const sum = (mode: string, k: 'ok' | 'failed') =>
      fl.filter((x) => x.mode === mode).reduce((n, x) => n + x[k], 0);
    lines.push(
      '',
      `CPU used: ${r.quiet.cpuMillicores.toFixed(0)}m quiet, ${r.flood.cpuMillicores.toFixed(0)}m under the flood ` +
        `(throttled in ${r.quiet.throttledPeriodsPercent.toFixed(0)}% and ${r.flood.throttledPeriodsPercent.toFixed(0)}% of the 100 ms periods). ` +
        `The flood: ${sum('scrape', 'ok')} \`/metrics\` answered (${sum('scrape', 'failed')} refused or failed), ` +
        `${sum('churn', 'ok')} connections made and closed (${sum('churn', 'failed')} refused, reset or timed out).`,
      '',
    );
  }
  return lines;
}

/** The section from the host run (listeners) and the VM run (daemon), either or both. */
export function floodSection(host: FloodOut | undefined, vm: FloodOut | undefined): string[] {
  const any = host ?? vm;
  if (!any) return [];
  const lines = [
    FLOOD_START,
    '## Liveness under a metrics flood',
    '',
    `\`KHA_BENCH_ONLY=liveness-flood npm run bench\` (\`bench/liveness-flood.ts\`), ${any.date.slice(0, 10)}, Node ${any.node}. ` +
      `The flood, from unprivileged local processes (uid 65534) on the metrics port \`0.0.0.0:9299\`: ${any.flooders.scrape[0]} processes asking for \`/metrics\` back to back over ${any.flooders.scrape[1]} kept connections each, ` +
      `and ${any.flooders.churn[0]} opening and closing connections ${any.flooders.churn[1]} at a time each. ` +
      `The target is moved, once started, into a CPU cgroup (${any.runs[0]?.cgroup ?? '?'}) at the pod's limit and then at its request. ` +
      `Each probe every ${any.sampleMs} ms, ${any.quietSeconds} s quiet, then ${any.floodSeconds} s of flood, then 5 s after it. Latencies in ms (p50 / p99 / max of the answered probes; a slow probe delays the next, so a flood window holds fewer).`,
    '',
    "Before (issue 22: the liveness probe on the shared listener, which evicted its oldest idle connection, at 200m): `/healthz` with the probe's 5 s timeout failed 8 of 8 and 12 of 12 (470 of 511 connections waiting to be accepted), and the kept-connection probe went from 1 ms to a median of 400–500 ms against its 1 s timeout.",
    '',
  ];
  if (host)
    lines.push(
      "### On the host's CPU: lvscare's listeners (`bench/flood-target.ts`)",
      '',
      "The host has no IPVS, so `lvscare care` cannot start there: `flood-target.ts` runs lvscare's own `startMetricsServer` and `startLivenessServer` on the same addresses and limits, with a three-master CareMetrics and a 5 s loop tick (no probing, no kernel).",
      '',
      ...runTables(host),
    );
  if (vm)
    lines.push(
      '### In the kernel-tier VM: the daemon (emulated CPU)',
      '',
      '`lvscare care` as the static pod runs it, three masters. Under TCG the CPU is emulated, many times slower than a real one: the daemon alone fills the 200m quota before any flood, and 20m of an emulated CPU does not run it at all. Read these rows as the same code under a far smaller budget, not as a node.',
      '',
      ...runTables(vm),
    );
  lines.push(FLOOD_END);
  return lines;
}
