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

export function floodSection(out: FloodOut): string[] {
  const lines = [
    FLOOD_START,
    '## Liveness under a metrics flood',
    '',
    `\`KHA_BENCH_ONLY=liveness-flood npm run bench\` (\`bench/liveness-flood.ts\`), ${out.date.slice(0, 10)}, lvscare on Node ${out.node}. ` +
      `lvscare care as the static pod runs it (metrics on \`0.0.0.0:9299\`, liveness on its default \`127.0.0.1:9298\`, three masters) inside a CPU cgroup ` +
      `(${out.runs[0]?.cgroup ?? '?'}) at the pod's limit and at its request. ` +
      `The flood, from unprivileged local processes (uid 65534) on the metrics port: ${out.flooders.scrape[0]} processes asking for \`/metrics\` back to back over ${out.flooders.scrape[1]} kept connections each, ` +
      `and ${out.flooders.churn[0]} opening and closing connections ${out.flooders.churn[1]} at a time each. ` +
      `Each probe every ${out.sampleMs} ms, ${out.quietSeconds} s quiet, then ${out.floodSeconds} s of flood. Latencies in ms (p50 / p99 / max of the answered probes). ` +
      'Under the VM the CPU is emulated: compare the rows of one run, not absolute times across machines.',
    '',
    "Before (issue 22, the liveness probe on the shared listener that evicted its oldest idle connection, 200m): `/healthz` with the probe's 5 s timeout failed 8 of 8 and 12 of 12 (470 of 511 connections waiting to be accepted), and the kept-connection probe went from 1 ms to a median of 400–500 ms against its 1 s timeout.",
    '',
  ];
  for (const r of out.runs) {
    lines.push(
      `### CPU ${r.quota} (${r.millicores}m)`,
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
      `lvscare's CPU: ${r.quiet.cpuMillicores.toFixed(0)}m quiet, ${r.flood.cpuMillicores.toFixed(0)}m under the flood ` +
        `(throttled in ${r.quiet.throttledPeriodsPercent.toFixed(0)}% and ${r.flood.throttledPeriodsPercent.toFixed(0)}% of the 100 ms periods). ` +
        `The flood: ${sum('scrape', 'ok')} \`/metrics\` answered (${sum('scrape', 'failed')} refused or failed), ` +
        `${sum('churn', 'ok')} connections made and closed (${sum('churn', 'failed')} refused, reset or timed out).`,
      '',
    );
  }
  lines.push(FLOOD_END);
  return lines;
}
