// lvscare against keepalived and HAProxy, all running at once on the kernel tier's topology
// (worker + three masters serving HTTPS /healthz), so every fault hits every contender at the
// same instant: failover time and failed client requests per fault, steady-state footprint next
// to a bare node, and the data path through IPVS vs through HAProxy. Runs in the kernel-tier VM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { get as httpGet } from 'node:http';
import { Agent, request } from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type * as ArtifactModule from '../test/dist/support/artifact.js';
import type * as RunModule from '../test/dist/support/run.js';
import type * as TopologyModule from '../test/dist/support/topology.js';
import type * as VipClientModule from '../test/dist/support/vip-client.js';
import { BalancerWatch, POLLER_NICENESS, WATCH_PERIOD_MS } from './balancer-watch.js';
import { type Contender, type Target, type WatchSpec, monotonicMs, sleep } from './contender.js';
import { DAEMON_ENV, DAEMON_NODE, DAEMON_NODE_VERSION } from './image-node.js';
import { cpuTicks, rssBytes } from './proc.js';
import { summary } from './stats.js';
import { cpuSaturated, probeLoad, slowMaster } from './steadiness.js';

const support = new URL('../../test/dist/support/', import.meta.url);
const supportModule = async <T>(file: string) => (await import(new URL(file, support).href)) as T;
const { LVSCARE_BIN } = await supportModule<typeof ArtifactModule>('artifact.js');
const { run, attempt } = await supportModule<typeof RunModule>('run.js');
const { Topology } = await supportModule<typeof TopologyModule>('topology.js');
const { VipClient } = await supportModule<typeof VipClientModule>('vip-client.js');
type Topology = TopologyModule.Topology;
type Master = TopologyModule.Master;
type VipClient = VipClientModule.VipClient;

const REPS = Number(process.env.KHA_BENCH_REPS ?? 5);
const FOOTPRINT_WINDOW_MS = Number(process.env.KHA_BENCH_WINDOW_MS ?? 60_000);
/** How long the slow master and the saturated CPU last. */
const SOAK_MS = Number(process.env.KHA_BENCH_SOAK_MS ?? 60_000);
/** The probe timeout every contender shares; the slow master answers within it. */
const PROBE_TIMEOUT_MS = 1000;
const SLOW_FRACTION = 0.8;
const CLIENT_RATE = 20; // requests/s per contender; four clients share the emulated CPU
const DATA_PATH_MS = 8000;
const DATA_PATH_CONCURRENCY = 4;
const contendersDir = fileURLToPath(new URL('../../bench/contenders/', import.meta.url));
const RUN_DIR = '/run/kha-bench';
const CLOSE_WITNESS = fileURLToPath(new URL('./close-witness.js', import.meta.url));
const CLK_TCK = Number(run('getconf', ['CLK_TCK']).trim());

function started(
  cmd: string,
  args: string[],
  name: string,
  onLine?: (line: string) => void,
): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: DAEMON_ENV });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  p.stdout.on('data', keep);
  p.stderr.on('data', keep);
  if (onLine)
    for (const s of [p.stdout, p.stderr]) createInterface({ input: s }).on('line', onLine);
  p.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}) during the bench:\n${tail}`);
      process.exit(1); // a contender that did not run is an error, not a missing row
    }
  });
  return p;
}
let stopping = false;

/**
 * lvscare's own word on when it took a master out: the time of its log line setting the master's
 * weight to 0 (or removing it), logged once the kernel took the change. Beside the poller's time,
 * never instead of it: the peers are timed by the poller alone.
 */
class WeightLog {
  private readonly outs: Array<{ at: number; ip: string }> = [];

  /** Its state changes with their reasons, for the soaks' output: why a master left, if one did. */
  readonly changes: string[] = [];

  line(text: string): void {
    let rec: { time?: string; msg?: string; master?: string; reason?: string };
    try {
      rec = JSON.parse(text) as typeof rec;
    } catch {
      return;
    }
    if (rec.msg === 'master down' || rec.msg === 'master up')
      this.changes.push(
        `${rec.time} ${rec.master} ${rec.msg}${rec.reason ? `: ${rec.reason}` : ''}`,
      );
    const m = /^(?:set (\S+):\d+ weight 0|remove (\S+):\d+)$/.exec(rec.msg ?? '');
    if (m && rec.time) this.outs.push({ at: Date.parse(rec.time), ip: (m[1] ?? m[2])! });
  }

  /** Epoch ms of the first line taking `ip` out at or after `from` (epoch ms). */
  firstOut(ip: string, from: number): number | undefined {
    return this.outs.find((o) => o.ip === ip && o.at >= from)?.at;
  }
}

/** lvscare's state changes since the last call, as it logged them. */
function logChanges(contenders: Watched[]): void {
  for (const c of contenders)
    if (c.log?.changes.length) console.log(`${c.name}: ${c.log.changes.splice(0).join('; ')}`);
}

interface Watched extends Contender {
  watch: BalancerWatch;
  /** lvscare contenders only. */
  log?: WeightLog;
}

async function startContenders(topo: Topology): Promise<Watched[]> {
  const rs = topo.masters.flatMap((m) => ['--rs', `${m.ip}:6443`]);
  const masters = topo.masters.map((m) => ({ name: m.name, ip: m.ip, port: m.port }));
  const watched = (c: Omit<Contender, 'isOut'>, spec: WatchSpec, log?: WeightLog): Watched => {
    const watch = new BalancerWatch(spec);
    return { ...c, watch, log, isOut: (m: Master) => Promise.resolve(watch.isOut(m.name)) };
  };
  const lvscare = (name: string, vip: string, metrics: string, extra: string[]) => {
    const log = new WeightLog();
    const host = vip.split(':')[0]!;
    const p = started(
      LVSCARE_BIN,
      [
        'care',
        '--vs',
        vip,
        ...rs,
        '--health-ca-file',
        topo.caCert,
        '--metrics-address',
        metrics,
        '--health-req-headers',
        `User-Agent=kha-bench-${name}`,
        ...extra,
      ],
      `lvscare ${vip}`,
      (line) => log.line(line),
    );
    return { p, log, target: { host, port: 6443 } };
  };
  mkdirSync(RUN_DIR, { recursive: true });
  // What an operator adds for keepalived on this multi-NIC worker (lvscare's route mode does it).
  run('ip', ['route', 'replace', '10.103.97.3/32', 'dev', 'kbr0', 'src', topo.workerIp]);
  const ipvsSpec = (target: Target): WatchSpec => ({ kind: 'ipvs', vip: target, masters });
  const main = lvscare('lvscare', '10.103.97.2:6443', '127.0.0.1:19301', []);
  const sameRate = lvscare('lvscare-same-rate', '10.103.97.4:6443', '127.0.0.1:19302', [
    '--interval',
    '1s',
    '--fast-interval',
    '1s',
  ]);
  const keepalivedTarget = { host: '10.103.97.3', port: 6443 };
  const contenders: Watched[] = [
    watched(
      {
        name: 'lvscare',
        describe:
          'lvscare care, defaults (5 s interval, 1 s timeout, fall 2, rise 2, 200 ms re-probe; the kept connection closing or timing out under TCP keepalive takes a master out at once)',
        target: main.target,
        agent: 'kha-bench-lvscare',
        process: main.p,
      },
      ipvsSpec(main.target),
      main.log,
    ),
    watched(
      {
        name: 'lvscare-same-rate',
        describe:
          "lvscare care at the peers' probe rate (--interval 1s --fast-interval 1s: no quick re-probe; the same connection signals)",
        target: sameRate.target,
        agent: 'kha-bench-lvscare-same-rate',
        process: sameRate.p,
      },
      ipvsSpec(sameRate.target),
      sameRate.log,
    ),
    watched(
      {
        name: 'keepalived',
        describe:
          'keepalived LVS checker, SSL_GET /healthz, delay_loop 1, retry 1 (bench/contenders/keepalived.conf)',
        target: keepalivedTarget,
        agent: 'KeepAliveClient', // keepalived's SSL_GET request line carries this
        process: started(
          'keepalived',
          [
            '--dont-fork',
            '--check',
            '-f',
            `${contendersDir}keepalived.conf`,
            '-p',
            `${RUN_DIR}/keepalived.pid`,
            '-c',
            `${RUN_DIR}/checkers.pid`,
            '-r',
            `${RUN_DIR}/vrrp.pid`,
          ],
          'keepalived',
        ),
      },
      ipvsSpec(keepalivedTarget),
    ),
    watched(
      {
        name: 'haproxy',
        describe:
          'HAProxy TCP proxy on 127.0.0.1:16443, httpchk GET /healthz, inter 1s fall 2 rise 2 (bench/contenders/haproxy.cfg)',
        target: { host: '127.0.0.1', port: 16443 },
        agent: '', // option httpchk sends a bare request line
        process: started('haproxy', ['-db', '-f', `${contendersDir}haproxy.cfg`], 'haproxy'),
      },
      { kind: 'haproxy', socket: `${RUN_DIR}/haproxy.sock`, masters },
    ),
  ];
  await watching(contenders, WATCH_PERIOD_MS);
  await waitAllIn(contenders, topo.masters, 60_000);
  return contenders;
}

/** Every poller reads every `ms` from now on (0: paused). */
async function watching(contenders: Watched[], ms: number): Promise<void> {
  await Promise.all(contenders.map((c) => c.watch.poll(ms)));
}

async function waitAllIn(contenders: Contender[], masters: Master[], timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      contenders.flatMap((c) => masters.map(async (m) => !(await c.isOut(m).catch(() => true)))),
    );
    if (states.every(Boolean)) return;
    if (performance.now() > deadline) throw new Error('contenders did not put every master in');
    await sleep(250);
  }
}

// ---- footprint ---------------------------------------------------------------------------

function processTree(pid: number): number[] {
  const children = attempt('pgrep', ['-P', String(pid)])
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}

const sum = (pids: number[], of: (pid: number) => number) =>
  pids.reduce((total, pid) => total + of(pid), 0);

async function footprint(procs: Array<{ name: string; pid: number }>) {
  const windows: Record<string, { rssMiB: number[]; cpuPercent: number[] }> = {};
  for (const p of procs) windows[p.name] = { rssMiB: [], cpuPercent: [] };
  for (let rep = 0; rep < REPS; rep++) {
    const trees = procs.map((p) => processTree(p.pid));
    const before = trees.map((t) => sum(t, cpuTicks));
    const samples: number[][] = procs.map(() => []);
    const t0 = performance.now();
    while (performance.now() - t0 < FOOTPRINT_WINDOW_MS) {
      trees.forEach((t, i) => samples[i]!.push(sum(t, rssBytes)));
      await sleep(5000);
    }
    const seconds = (performance.now() - t0) / 1000;
    procs.forEach((p, i) => {
      const mean = samples[i]!.reduce((a, b) => a + b, 0) / samples[i]!.length;
      windows[p.name]!.rssMiB.push(mean / 1048576);
      windows[p.name]!.cpuPercent.push(
        ((sum(trees[i]!, cpuTicks) - before[i]!) / CLK_TCK / seconds) * 100,
      );
    });
    console.log(`footprint window ${rep + 1}/${REPS} done`);
  }
  return Object.fromEntries(
    Object.entries(windows).map(([k, v]) => [
      k,
      { rssMiB: summary(v.rssMiB), cpuPercent: summary(v.cpuPercent) },
    ]),
  );
}

// ---- failover ----------------------------------------------------------------------------

type Fault = 'killed' | 'black-holed' | 'healthz-500';
const FAULTS: Fault[] = ['killed', 'black-holed', 'healthz-500'];

/**
 * The master's control endpoint asked directly from the bench (it listens on the bridge): under
 * the emulated CPU `ip netns exec curl` took up to 4 s, all of it counted into the failover.
 */
function controlDirect(m: Master, query: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`http://${m.ip}:${m.controlPort}/control?${query}`, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? resolve()
          : reject(new Error(`control ${m.name}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
  });
}

/**
 * The topology's firewall (every packet to and from the master dropped, one transaction), entered
 * with nsenter: `ip netns exec` also remounts /sys, which took seconds under the emulated CPU.
 */
function blackholeNow(m: Master): void {
  run(
    'nsenter',
    [`--net=/run/netns/${m.ns}`, 'nft', '-f', '-'],
    [
      'table inet kha-blackhole {',
      '  chain in { type filter hook input priority -300; policy drop; }',
      '  chain out { type filter hook output priority -300; policy drop; }',
      '}',
    ].join('\n'),
  );
}

async function applyFault(topo: Topology, m: Master, f: Fault): Promise<void> {
  if (f === 'killed') topo.killMaster(m);
  else if (f === 'black-holed') blackholeNow(m);
  else await controlDirect(m, 'healthz=fail');
}

async function clearFault(topo: Topology, m: Master, f: Fault): Promise<void> {
  if (f === 'killed') await topo.startMaster(m);
  else if (f === 'black-holed') topo.blackhole(m, false);
  else await topo.control(m, 'healthz=ok');
}

/** Waits until every contender has seen `master` out (`out`) or in since `from`, or `ms`. */
async function untilSeen(
  contenders: Watched[],
  master: string,
  out: boolean,
  from: number,
  ms: number,
): Promise<void> {
  const deadline = monotonicMs() + ms;
  while (
    contenders.some((c) => c.watch.firstSeen(master, out, from) === undefined) &&
    monotonicMs() < deadline
  )
    await sleep(20);
}

/** The close witness (close-witness.ts) of one master, at the pollers' niceness. */
class CloseWitness {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(m: Master): Promise<CloseWitness> {
    const child = spawn(
      'nice',
      ['-n', String(POLLER_NICENESS), process.execPath, CLOSE_WITNESS, m.ip, String(m.port)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done || !('connected' in (JSON.parse(first.value) as object)))
      throw new Error(`close witness of ${m.name} did not connect`);
    return new CloseWitness(child, lines);
  }

  /** When the master's end of the connection closed (CLOCK_MONOTONIC ms), or undefined by `ms`. */
  async closed(ms: number): Promise<number | undefined> {
    const timeout = sleep(ms).then(() => undefined);
    const line = await Promise.race([this.lines.next(), timeout]);
    this.child.kill('SIGKILL');
    if (!line || line.done) return undefined;
    return (JSON.parse(line.value) as { closed?: number }).closed;
  }
}

async function failoverRun(topo: Topology, contenders: Watched[], victim: Master, fault: Fault) {
  const clients = contenders.map((c) => new VipClient(c.target.host, c.target.port, CLIENT_RATE));
  for (const c of clients) c.start();
  await sleep(2000);
  // The fault counts from its command starting: under the emulated CPU `ip netns exec nft`
  // can take a second or more and the firewall holds from its commit, somewhere inside that
  // (HAProxy was once seen out before the command returned). The command's own time is kept,
  // the same for every contender.
  const witness = fault === 'killed' ? await CloseWitness.start(victim) : undefined;
  const t0 = monotonicMs();
  const wallT0 = Date.now();
  const clientT0 = performance.now();
  await applyFault(topo, victim, fault);
  const faultCommandMs = monotonicMs() - t0;
  await untilSeen(contenders, victim.name, true, t0, 15_000);
  const closedAt = await witness?.closed(5_000);
  await sleep(2500); // requests already sent to the victim finish or time out
  const clientT1 = performance.now();
  await Promise.all(clients.map((c) => c.stop()));
  const clearing = monotonicMs();
  await clearFault(topo, victim, fault);
  // Cleared: the master answers 200 again (a restarted one once it listens). Until it is back in.
  const t2 = monotonicMs();
  await untilSeen(contenders, victim.name, false, clearing, 60_000);
  await waitAllIn(contenders, topo.masters, 60_000);
  return contenders.map((c, i) => {
    const outAt = c.watch.firstSeen(victim.name, true, t0);
    const backAt = c.watch.firstSeen(victim.name, false, clearing);
    const loggedAt = c.log?.firstOut(victim.ip, wallT0);
    return {
      contender: c.name,
      outAfterMs: outAt === undefined ? null : outAt - t0,
      backAfterMs: backAt === undefined ? null : Math.max(0, backAt - t2),
      ...(c.log ? { loggedOutAfterMs: loggedAt === undefined ? null : loggedAt - wallT0 } : {}),
      faultCommandMs,
      ...(witness ? { masterClosedAfterMs: closedAt === undefined ? null : closedAt - t0 } : {}),
      failed: clients[i]!.failures(clientT0, clientT1).length,
      sent: clients[i]!.between(clientT0, clientT1).length,
    };
  });
}

// ---- data path ---------------------------------------------------------------------------

/** Keep-alive HTTPS requests from DATA_PATH_CONCURRENCY loops for DATA_PATH_MS. */
async function keepAliveLoad(target: Target) {
  const agent = new Agent({ keepAlive: true, maxSockets: DATA_PATH_CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + DATA_PATH_MS;
  const one = () =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      const req = request(
        { host: target.host, port: target.port, path: '/', agent, rejectUnauthorized: false },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: DATA_PATH_CONCURRENCY }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / seconds, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), errors };
}

// ---- main --------------------------------------------------------------------------------

async function main(): Promise<void> {
  run('ipvsadm', ['-C']);
  const topo = new Topology();
  topo.build();
  for (const m of topo.masters) await topo.startMaster(m);
  const bare = spawn(DAEMON_NODE, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let contenders: Watched[] = [];
  try {
    contenders = await startContenders(topo);
    const versions = {
      keepalived: attempt('keepalived', ['--version']).stderr.split('\n')[0]!.trim(),
      haproxy: run('haproxy', ['-v']).split('\n')[0]!.trim(),
      node: DAEMON_NODE_VERSION,
      kernel: run('uname', ['-r']).trim(),
    };
    console.log('contenders up:', contenders.map((c) => c.name).join(', '));

    await sleep(20_000); // warm-up before the steady-state windows
    // No poller reads during the footprint windows: HAProxy answering stats would count as its.
    await watching(contenders, 0);
    // The probe load is counted at the masters over the same steady-state windows.
    const [fp, load] = await Promise.all([
      footprint([
        ...contenders.map((c) => ({ name: c.name, pid: c.process.pid! })),
        { name: 'bare node', pid: bare.pid! },
      ]),
      probeLoad(topo, contenders, run, REPS * FOOTPRINT_WINDOW_MS),
    ]);
    console.log(`probe load: ${JSON.stringify(load)}`);
    await watching(contenders, WATCH_PERIOD_MS);

    const slowMs = SLOW_FRACTION * PROBE_TIMEOUT_MS;
    const slow = await slowMaster(topo, contenders, topo.masters[0]!, slowMs, SOAK_MS);
    console.log(`slow master (${slowMs} ms): ${JSON.stringify(slow)}`);
    logChanges(contenders);
    await waitAllIn(contenders, topo.masters, 60_000);
    const busy = await cpuSaturated(topo, contenders, SOAK_MS);
    console.log(`CPU saturated: ${JSON.stringify(busy)}`);
    logChanges(contenders);
    await waitAllIn(contenders, topo.masters, 60_000);

    const failover: Array<{ fault: Fault; rep: number; victim: string; results: unknown[] }> = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const fault of FAULTS) {
        const victim = topo.masters[rep % topo.masters.length]!;
        const results = await failoverRun(topo, contenders, victim, fault);
        failover.push({ fault, rep, victim: victim.name, results });
        console.log(`failover ${fault} #${rep + 1} (${victim.name}): ${JSON.stringify(results)}`);
      }
    }

    const dataPath: Record<string, Array<Awaited<ReturnType<typeof keepAliveLoad>>>> = {
      'IPVS (lvscare VIP)': [],
      HAProxy: [],
    };
    const targets: Record<string, Target> = {
      'IPVS (lvscare VIP)': contenders[0]!.target,
      HAProxy: contenders.find((c) => c.name === 'haproxy')!.target,
    };
    for (let rep = 0; rep < REPS; rep++) {
      for (const [name, target] of rep % 2
        ? Object.entries(targets).reverse()
        : Object.entries(targets)) {
        dataPath[name]!.push(await keepAliveLoad(target));
      }
      console.log(`data path ${rep + 1}/${REPS} done`);
    }

    const out = process.env.KHA_BENCH_OUT_DIR;
    const result = {
      date: new Date().toISOString(),
      versions,
      reps: REPS,
      clientRatePerContender: CLIENT_RATE,
      footprintWindowSeconds: FOOTPRINT_WINDOW_MS / 1000,
      contenders: contenders.map((c) => ({ name: c.name, describe: c.describe })),
      footprint: fp,
      probeLoad: load,
      soakSeconds: SOAK_MS / 1000,
      slowMaster: { healthzMs: slowMs, timeoutMs: PROBE_TIMEOUT_MS, results: slow },
      cpuSaturated: { busyLoops: cpus().length, results: busy },
      failover,
      dataPath: Object.fromEntries(
        Object.entries(dataPath).map(([k, runs]) => [
          k,
          {
            rps: summary(runs.map((r) => r.rps)),
            p50: summary(runs.map((r) => r.p50)),
            p90: summary(runs.map((r) => r.p90)),
            p99: summary(runs.map((r) => r.p99)),
            errors: runs.reduce((a, r) => a + r.errors, 0),
          },
        ]),
      ),
    };
    if (out) writeFileSync(`${out}/side-by-side.json`, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    stopping = true;
    for (const c of contenders) {
      c.process.kill('SIGTERM');
      c.watch.stop();
    }
    bare.kill('SIGKILL');
    await sleep(1000);
    topo.destroy();
    attempt('ip', ['route', 'del', '10.103.97.3/32']);
    run('ipvsadm', ['-C']);
  }
}

await main();
