// The "Discovery API load" section of bench/RESULTS.md from discovery-load.json. results.ts puts
// it in a full run; run alone (`node bench/dist/discovery-report.js` after discovery-load) it
// replaces just that section of RESULTS.md and the discoveryLoad entry of results.json, so the
// discovery figures can be measured again without the hour of the other benches.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summary } from './stats.js';

export interface DiscoveryLoadOut {
  date: string;
  periodMs: number;
  defaultPeriodMs: number;
  warmUpPeriods: number;
  paths: Array<{
    path: 'poll' | 'watch';
    workers: number;
    periods: number;
    perPeriod: number[];
    forbiddenPerPeriod: number[];
    errors: Record<string, number>;
  }>;
}

export const DISCOVERY_BEGIN = '<!-- discovery-load: written by bench/discovery-report.ts -->';
export const DISCOVERY_END = '<!-- /discovery-load -->';
const FLEETS = [1000, 5000];

export function discoveryLoadRows(d: DiscoveryLoadOut) {
  const perMinute = 60_000 / d.defaultPeriodMs;
  return d.paths.map((p) => {
    const s = summary(p.perPeriod);
    return {
      path: p.path,
      perWorkerPerMinute: s.median * perMinute,
      min: s.min * perMinute,
      max: s.max * perMinute,
      forbiddenPerMinute: (p.forbiddenPerPeriod[0] ?? 0) * perMinute,
      fleetPerSecond: FLEETS.map((w) => (s.max * perMinute * w) / 60),
      errors: Object.entries(p.errors)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', '),
    };
  });
}

export function discoverySection(d: DiscoveryLoadOut): string[] {
  const rows = discoveryLoadRows(d);
  const one = rows[0]!;
  return [
    DISCOVERY_BEGIN,
    '## Discovery API load per worker',
    '',
    `Measured ${d.date} with \`npm run bench\` (\`bench/discovery-load.ts\`): ${one ? d.paths[0]!.workers : 0} workers per path, each lvscare's`,
    'own discovery with its own client certificate, against the stand-in API server, which authorizes as a kubeadm cluster does; requests counted there per worker over',
    `${d.paths[0]!.periods.toFixed(0)} periods of steady state after ${d.warmUpPeriods} of start-up. Every request discovery makes is paced by its period`,
    `(\`--discover-period\`, default ${d.defaultPeriodMs / 1000} s), so the count per period, measured at ${d.periodMs} ms, is the count per minute at the default.`,
    'The 1,000 and 5,000 worker columns take the busiest worker of the run.',
    '',
    '| path (what the cluster allows) | requests per worker per minute, median (min–max) | of them refused (403) | 1,000 workers: requests/s | 5,000 workers: requests/s | errors in the window |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.path === 'poll' ? "poll `endpoints/kubernetes` (a kubelet's own rights)" : 'watch the `kubernetes` EndpointSlice (kha-discovery-rbac.yaml applied)'} | ${r.perWorkerPerMinute.toFixed(3)} (${r.min.toFixed(3)}–${r.max.toFixed(3)}) | ${r.forbiddenPerMinute.toFixed(3)} | ${r.fleetPerSecond[0]!.toFixed(1)} | ${r.fleetPerSecond[1]!.toFixed(1)} | ${r.errors || 'none'} |`,
    ),
    '',
    'The poll path makes one GET a period (plus up to a quarter of jitter) and tries the watch again every ten periods, refused while no grant is applied; the watch path renews its watch once a period from where it was, with no re-list. Beside the probe load above, discovery is the smaller load on the API servers.',
    DISCOVERY_END,
  ];
}

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));

/** Replaces the section in RESULTS.md and the entry in results.json. */
function splice(d: DiscoveryLoadOut): void {
  const md = readFileSync(`${benchDir}RESULTS.md`, 'utf8');
  const section = discoverySection(d).join('\n');
  const begin = md.indexOf(DISCOVERY_BEGIN);
  const end = md.indexOf(DISCOVERY_END);
  const anchor = md.indexOf('## Start-up');
  const next =
    begin >= 0 && end > begin
      ? `${md.slice(0, begin)}${section}${md.slice(end + DISCOVERY_END.length)}`
      : anchor >= 0
        ? `${md.slice(0, anchor)}${section}\n\n${md.slice(anchor)}`
        : `${md}\n${section}\n`;
  writeFileSync(`${benchDir}RESULTS.md`, next);
  const json = JSON.parse(readFileSync(`${benchDir}results.json`, 'utf8')) as Record<
    string,
    unknown
  >;
  json.discoveryLoad = { ...d, rows: discoveryLoadRows(d) };
  writeFileSync(`${benchDir}results.json`, `${JSON.stringify(json, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const d = JSON.parse(
    readFileSync(`${benchDir}out/discovery-load.json`, 'utf8'),
  ) as DiscoveryLoadOut;
  splice(d);
  console.log('written: the discovery section of bench/RESULTS.md and bench/results.json');
}
