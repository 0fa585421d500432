// Issue 22's flood, against lvscare care as the static pod runs it (metrics on 0.0.0.0:9299,
// liveness on its default 127.0.0.1:9298), moved once started into a CPU cgroup at the pod's limit
// and then at its request (RESOURCES in packages/installer/src/static-pod.ts: 200m and 20m; under
// contention the request is what the node guarantees). Four unprivileged local processes flood
// the metrics port: two ask for /metrics back to back over kept connections, two open and close
// connections as fast as they can. Meanwhile kubelet-like probes (a new connection each, 5 s
// timeout) hit /healthz on the liveness listener and on the metrics listener (where today's pod
// probes), and a kept connection polls the liveness listener with a 1 s timeout. Runs in the
// kernel-tier VM (lvscare needs IPVS) and writes liveness-flood.json to KHA_BENCH_OUT_DIR; with
// KHA_BENCH_FLOOD_HOST=1, on the host against flood-target.ts: liveness-flood-host.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DAEMON_ENV, DAEMON_NODE, DAEMON_NODE_VERSION } from './image-node.js';
import { cpuTicks } from './proc.js';
import type * as LvscareProcessModule from '../test/dist/support/lvscare-process.js';
import type * as RunModule from '../test/dist/support/run.js';
import type * as TopologyModule from '../test/dist/support/topology.js';

const support = new URL('../../test/dist/support/', import.meta.url);
const { LVSCARE_BIN } = (await import(
  new URL('lvscare-process.js', support).href
)) as typeof LvscareProcessModule;
const { Topology } = (await import(new URL('topology.js', support).href)) as typeof TopologyModule;
const { run } = (await import(new URL('run.js', support).href)) as typeof RunModule;

/**
 * KHA_BENCH_FLOOD_HOST=1: on a host without IPVS, lvscare's listeners alone (flood-target.ts) on
 * the host's real CPU, in place of the daemon in the VM, whose emulated CPU makes a quota of a
 * fraction of a core mean far less than on a node.
 */
const ON_HOST = process.env.KHA_BENCH_FLOOD_HOST === '1';
const METRICS = { host: '127.0.0.1', port: 9299 };
const LIVENESS = { host: '127.0.0.1', port: 9298 };
/** The pod's CPU limit and request, millicores (static-pod.ts RESOURCES). */
const QUOTAS = [
  { name: 'limit', millicores: 200 },
  { name: 'request', millicores: 20 },
];
const FLOOD_MS = Number(process.env.KHA_BENCH_WINDOW_MS ?? 60_000);
const QUIET_MS = Math.max(10_000, FLOOD_MS / 4);
/** A probe of each kind every this often (kubelet's period is 10 s: this samples far more). */
const SAMPLE_MS = 250;
const SCRAPERS_PER_FLOODER = 4;
const CHURNERS_PER_FLOODER = 256;
const NOBODY = 65534;
const CLK_TCK = Number(run('getconf', ['CLK_TCK']).trim());
const FLOODER = fileURLToPath(new URL('metrics-flooder.js', support));
const FLOOD_TARGET = fileURLToPath(new URL('flood-target.js', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CPU bandwidth cgroup (CFS quota): v2's cpu.max where the cpu controller is on v2, else v1. */
class CpuCgroup {
  readonly dir: string;
  readonly kind: string;
  constructor(name: string, millicores: number) {
    const v2 = '/sys/fs/cgroup';
    const onV2 =
      existsSync(`${v2}/cgroup.controllers`) &&
      readFileSync(`${v2}/cgroup.controllers`, 'utf8').split(/\s+/).includes('cpu');
    const period = 100_000;
    const quota = (millicores / 1000) * period;
    if (onV2) {
      this.dir = `${v2}/${name}`;
      this.kind = 'cgroup v2 cpu.max';
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(`${this.dir}/cpu.max`, `${quota} ${period}`);
    } else {
      this.dir = `${v2}/cpu/${name}`;
      this.kind = 'cgroup v1 cpu.cfs_quota_us (the cpu controller is not on v2 here)';
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(`${this.dir}/cpu.cfs_period_us`, String(period));
      writeFileSync(`${this.dir}/cpu.cfs_quota_us`, String(quota));
    }
  }

  /** Moves a running process (all its threads) into the group. */
  add(pid: number): void {
    writeFileSync(`${this.dir}/cgroup.procs`, String(pid));
  }

  /** Periods run and periods throttled (cpu.stat, the same two fields in v1 and v2). */
  throttling(): { periods: number; throttled: number } {
    const stat = readFileSync(`${this.dir}/cpu.stat`, 'utf8');
    const field = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    return { periods: field('nr_periods'), throttled: field('nr_throttled') };
  }

  /** CPU ticks of every process in the group (lvscare re-executes itself on the image's node). */
  ticks(): number {
    const procs = readFileSync(`${this.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
    return procs.reduce((sum, pid) => {
      try {
        return sum + cpuTicks(Number(pid));
      } catch {
        return sum; // gone since the list was read
      }
    }, 0);
  }

  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // a process still inside; the VM is thrown away anyway
    }
  }
}

interface Probe {
  ms: number | null;
  failure?: string;
}

function get(
  target: { host: string; port: number },
  timeoutMs: number,
  agent: Agent | false,
): Promise<Probe> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/healthz', agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve(
          res.statusCode === 200
            ? { ms: performance.now() - t0 }
            : { ms: null, failure: `status ${res.statusCode}` },
        ),
      );
    });
    const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ms: null, failure: err.code ?? err.message }),
    );
    req.end();
  });
}

/** Probes every SAMPLE_MS until `until`, each waiting for the last to settle. */
async function sample(probe: () => Promise<Probe>, until: number): Promise<Probe[]> {
  const out: Probe[] = [];
  while (performance.now() < until) {
    const t0 = performance.now();
    out.push(await probe());
    await sleep(Math.max(0, SAMPLE_MS - (performance.now() - t0)));
  }
  return out;
}

const quantile = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export interface ProbeFigures {
  sent: number;
  failed: number;
  failures: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

function figures(probes: Probe[]): ProbeFigures {
  const ok = probes.flatMap((p) => (p.ms === null ? [] : [p.ms]));
  const failures: Record<string, number> = {};
  for (const p of probes) if (p.failure) failures[p.failure] = (failures[p.failure] ?? 0) + 1;
  return {
    sent: probes.length,
    failed: probes.length - ok.length,
    failures,
    p50Ms: quantile(ok, 0.5),
    p99Ms: quantile(ok, 0.99),
    maxMs: ok.length ? Math.max(...ok) : null,
  };
}

/** The three probes side by side for `ms`, with the daemon's CPU and throttling over it. */
async function window(group: CpuCgroup, ms: number) {
  const kept = new Agent({ keepAlive: true, maxSockets: 1 });
  const until = performance.now() + ms;
  const [ticks0, thr0, t0] = [group.ticks(), group.throttling(), performance.now()];
  const [liveness, metricsPort, livenessKept] = await Promise.all([
    sample(() => get(LIVENESS, 5000, false), until),
    sample(() => get(METRICS, 5000, false), until),
    sample(() => get(LIVENESS, 1000, kept), until),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const thr1 = group.throttling();
  kept.destroy();
  return {
    seconds,
    probes: {
      liveness: figures(liveness),
      metricsPort: figures(metricsPort),
      livenessKept: figures(livenessKept),
    },
    cpuMillicores: ((group.ticks() - ticks0) / CLK_TCK / seconds) * 1000,
    throttledPeriodsPercent:
      thr1.periods > thr0.periods
        ? ((thr1.throttled - thr0.throttled) / (thr1.periods - thr0.periods)) * 100
        : 0,
  };
}

function flooder(mode: 'scrape' | 'churn', width: number, ms: number): ChildProcess {
  return spawn(
    process.execPath,
    [FLOODER, mode, `${METRICS.host}:${METRICS.port}`, String(ms), String(width)],
    { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

const output = (p: ChildProcess): Promise<unknown> =>
  new Promise((resolve) => {
    let text = '';
    p.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    p.once('exit', () => resolve(text ? JSON.parse(text) : null));
  });

/** lvscare care as the pod runs it (full CPU: start-up is not what this bench measures). */
function startCare(topo: TopologyModule.Topology | undefined): ChildProcess {
  const args = [
    'care',
    '--vs',
    '10.103.97.2:6443',
    ...(topo?.masters ?? []).flatMap((m) => ['--rs', `${m.ip}:6443`]),
    '--health-ca-file',
    topo?.caCert ?? '',
    '--metrics-address',
    `0.0.0.0:${METRICS.port}`,
  ];
  const care = spawn(ON_HOST ? DAEMON_NODE : LVSCARE_BIN, ON_HOST ? [FLOOD_TARGET] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: DAEMON_ENV,
  });
  care.stderr.on('data', (c: Buffer) => stderrTail.push(...c.toString().split('\n')));
  return care;
}

/** A process and its descendants (on Node 24 `care` re-executes itself as a child). */
function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}

/** The daemon's last words, for a start that fails. */
const stderrTail: string[] = [];

/** Start-up under an emulated CPU is slow: give it minutes, and say how long it took. */
async function waitAlive(care: ChildProcess): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 300_000 && care.exitCode === null) {
    if ((await get(LIVENESS, 2000, false)).ms !== null) return performance.now() - t0;
    await sleep(500);
  }
  throw new Error(
    `lvscare's liveness listener not answering:\n${stderrTail.slice(-15).join('\n')}`,
  );
}

async function measure(topo: TopologyModule.Topology | undefined, quota: (typeof QUOTAS)[number]) {
  const group = new CpuCgroup(`kha-bench-flood-${quota.name}`, quota.millicores);
  const care = startCare(topo);
  try {
    const startMs = await waitAlive(care);
    await sleep(5000); // the first probes and reconcile are behind it
    const pids = processTree(care.pid!);
    for (const pid of pids) group.add(pid);
    console.error(
      `liveness-flood: lvscare answering after ${(startMs / 1000).toFixed(1)} s; pids ${pids.join(', ')} now at ${quota.millicores}m`,
    );
    await sleep(5000); // settled at the quota
    const quiet = await window(group, QUIET_MS);
    const floods = [
      flooder('scrape', SCRAPERS_PER_FLOODER, FLOOD_MS + 4000),
      flooder('scrape', SCRAPERS_PER_FLOODER, FLOOD_MS + 4000),
      flooder('churn', CHURNERS_PER_FLOODER, FLOOD_MS + 4000),
      flooder('churn', CHURNERS_PER_FLOODER, FLOOD_MS + 4000),
    ];
    const done = Promise.all(floods.map(output));
    await sleep(2000); // the flood at full strength before the window opens
    const flood = await window(group, FLOOD_MS);
    const flooders = await done;
    const after = await window(group, 5000);
    return {
      quota: quota.name,
      millicores: quota.millicores,
      startMs,
      cgroup: group.kind,
      quiet,
      flood,
      flooders,
      afterFlood: after.probes,
    };
  } finally {
    if (care.exitCode === null) {
      care.kill('SIGTERM');
      await new Promise((r) => care.once('exit', r));
    }
    await sleep(1000);
    group.remove();
  }
}

async function main(): Promise<void> {
  let topo: TopologyModule.Topology | undefined;
  if (!ON_HOST) {
    run('ipvsadm', ['-C']);
    topo = new Topology();
    topo.build();
    for (const m of topo.masters) await topo.startMaster(m);
  }
  try {
    const runs = [];
    for (const q of QUOTAS) runs.push(await measure(topo, q));
    const result = {
      date: new Date().toISOString(),
      target: ON_HOST ? 'listeners' : 'daemon',
      node: DAEMON_NODE_VERSION,
      floodSeconds: FLOOD_MS / 1000,
      quietSeconds: QUIET_MS / 1000,
      sampleMs: SAMPLE_MS,
      flooders: { scrape: [2, SCRAPERS_PER_FLOODER], churn: [2, CHURNERS_PER_FLOODER] },
      runs,
    };
    console.log(JSON.stringify(result, null, 2));
    const out = process.env.KHA_BENCH_OUT_DIR;
    const name = ON_HOST ? 'liveness-flood-host' : 'liveness-flood';
    if (out) writeFileSync(`${out}/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (topo) {
      topo.destroy();
      run('ipvsadm', ['-C']);
    }
  }
}

await main();
