// lvscare care's steady state with three masters: resident memory and CPU next to a bare `node`
// process started the same way, the probe load each master sees, and the start-up time from exec
// to the first reconcile applied (the virtual server and its masters in the kernel: what a
// static pod restores for kubelet after a reboot). Runs in the kernel-tier VM.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpvsClient } from '@kha/netlink-ffi';
import { DAEMON_ENV, DAEMON_NODE, DAEMON_NODE_VERSION } from './image-node.js';
import { cpuTicks, rssBytes } from './proc.js';
import { summary } from './stats.js';
import type * as LvscareProcessModule from '../test/dist/support/lvscare-process.js';
import type * as RegistryModule from '../test/dist/support/registry.js';
import type * as RunModule from '../test/dist/support/run.js';
import type * as TopologyModule from '../test/dist/support/topology.js';

// The test tier's topology and helpers, compiled in test/dist; bench/dist sits one level deeper
// than this source, so they are found from the compiled file's own location.
const support = new URL('../../test/dist/support/', import.meta.url);
const { LVSCARE_BIN } = (await import(
  new URL('lvscare-process.js', support).href
)) as typeof LvscareProcessModule;
const { Topology } = (await import(new URL('topology.js', support).href)) as typeof TopologyModule;
const { run } = (await import(new URL('run.js', support).href)) as typeof RunModule;
const { publishMasters } = (await import(
  new URL('registry.js', support).href
)) as typeof RegistryModule;
type Topology = TopologyModule.Topology;

const WARMUP_MS = Number(process.env.KHA_BENCH_WARMUP_MS ?? 20_000);
const STARTS = Number(process.env.KHA_BENCH_REPS ?? 5);
const VIP = {
  family: 'inet' as const,
  protocol: 'tcp' as const,
  address: '10.103.97.2',
  port: 6443,
};
const WINDOW_MS = Number(process.env.KHA_BENCH_WINDOW_MS ?? 60_000);
const CLK_TCK = Number(run('getconf', ['CLK_TCK']).trim());

/** KHA_BENCH_DISCOVERY=1: the masters also serve their registration and lvscare follows it. */
const DISCOVERY = process.env.KHA_BENCH_DISCOVERY === '1';

/** A kubelet-like kubeconfig reaching the masters' registration through the VIP. */
function discoveryArgs(topo: Topology): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kha-bench-discovery-'));
  const registry = join(dir, 'registry.json');
  publishMasters(
    registry,
    topo.masters.map((m) => ({ ip: m.ip, port: m.port })),
  );
  topo.apiserverEnv = { KHA_REGISTRY_FILE: registry, KHA_CLIENT_CA: topo.caCert };
  const client = topo.pki.client('system:node:bench', 'system:nodes');
  const kubeconfig = join(dir, 'kubelet.conf');
  writeFileSync(
    kubeconfig,
    `clusters:
- name: c
  cluster: {server: "https://10.103.97.2:6443", certificate-authority: ${topo.caCert}, tls-server-name: kubernetes}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user: {client-certificate: ${client.cert}, client-key: ${client.key}}
`,
  );
  return ['--kubeconfig', kubeconfig, '--discover-state-file', join(dir, 'masters.json')];
}

/** Each master's counters, with the time each was read (reads are slow under emulation). */
function masterCounters(
  topo: Topology,
): Array<{ healthz: number; connections: number; at: number }> {
  return topo.masters.map((m) => {
    const url = `http://${m.ip}:${m.controlPort}/control`;
    const c = JSON.parse(run('ip', ['netns', 'exec', m.ns, 'curl', '-sf', url])) as {
      healthz: number;
      connections: number;
    };
    return { ...c, at: performance.now() };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Started as an operator starts it: the executable through its first line, on the image's node.
const startCare = (topo: Topology, extra: string[] = []) =>
  spawn(
    LVSCARE_BIN,
    [
      'care',
      '--vs',
      `${VIP.address}:${VIP.port}`,
      ...topo.masters.flatMap((m) => ['--rs', `${m.ip}:6443`]),
      '--health-ca-file',
      topo.caCert,
      ...extra,
    ],
    { stdio: 'ignore', env: DAEMON_ENV },
  );

/** From exec to the virtual server holding every master, read over netlink every 5 ms. */
async function startUpMs(topo: Topology, ipvs: IpvsClient): Promise<number> {
  run('ipvsadm', ['-C']);
  const t0 = performance.now();
  const care = startCare(topo);
  try {
    for (;;) {
      const dests = await ipvs.destinations(VIP).catch(() => []);
      if (dests.length === topo.masters.length) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error('lvscare applied nothing within 60 s');
      await sleep(5);
    }
  } finally {
    care.kill('SIGKILL');
    await new Promise((r) => care.once('exit', r));
  }
}

async function main(): Promise<void> {
  run('ipvsadm', ['-C']);
  const topo = new Topology();
  topo.build();
  const extra = DISCOVERY ? discoveryArgs(topo) : [];
  for (const m of topo.masters) await topo.startMaster(m);
  const ipvs = await IpvsClient.open();
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await startUpMs(topo, ipvs));
  await ipvs.close();
  console.log(
    `start-up to first reconcile applied: ${starts.map((x) => x.toFixed(0)).join(', ')} ms`,
  );
  run('ipvsadm', ['-C']);
  const bare = spawn(DAEMON_NODE, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const care = startCare(topo, extra);
  try {
    await sleep(WARMUP_MS);
    const before = {
      care: cpuTicks(care.pid!),
      bare: cpuTicks(bare.pid!),
      masters: masterCounters(topo),
    };
    const rss: Array<{ care: number; bare: number }> = [];
    const t0 = performance.now();
    while (performance.now() - t0 < WINDOW_MS) {
      rss.push({ care: rssBytes(care.pid!), bare: rssBytes(bare.pid!) });
      await sleep(5000);
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = {
      care: cpuTicks(care.pid!),
      bare: cpuTicks(bare.pid!),
      masters: masterCounters(topo),
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mb = (b: number) => b / 1024 / 1024;
    const result = {
      date: new Date().toISOString(),
      node: DAEMON_NODE_VERSION,
      windowSeconds: seconds,
      rssMiB: {
        lvscare: mb(mean(rss.map((r) => r.care))),
        bareNode: mb(mean(rss.map((r) => r.bare))),
      },
      rssAboveBareMiB: mb(mean(rss.map((r) => r.care - r.bare))),
      cpuPercentOfOneCore: {
        lvscare: ((after.care - before.care) / CLK_TCK / seconds) * 100,
        bareNode: ((after.bare - before.bare) / CLK_TCK / seconds) * 100,
      },
      startUpMs: summary(starts),
      perMaster: topo.masters.map((m, i) => {
        const seconds = (after.masters[i]!.at - before.masters[i]!.at) / 1000;
        const newConnections = after.masters[i]!.connections - before.masters[i]!.connections;
        return {
          master: m.name,
          healthzPerSecond: (after.masters[i]!.healthz - before.masters[i]!.healthz) / seconds,
          newConnections,
          handshakesPerMinute: (newConnections / seconds) * 60,
        };
      }),
    };
    const r = result;
    console.log(
      [
        `| lvscare care, 3 masters, defaults${DISCOVERY ? ', discovery on' : ''}, ${Math.round(seconds)} s after ${WARMUP_MS / 1000} s warm-up | lvscare | bare node |`,
        '|---|---|---|',
        `| RSS (MiB, mean) | ${r.rssMiB.lvscare.toFixed(1)} | ${r.rssMiB.bareNode.toFixed(1)} |`,
        `| CPU (% of one core) | ${r.cpuPercentOfOneCore.lvscare.toFixed(2)} | ${r.cpuPercentOfOneCore.bareNode.toFixed(2)} |`,
        '',
        `RSS above bare node: ${r.rssAboveBareMiB.toFixed(1)} MiB`,
        ...r.perMaster.map(
          (p) =>
            `${p.master}: ${p.healthzPerSecond.toFixed(2)} /healthz per second, ${p.newConnections} new connections`,
        ),
      ].join('\n'),
    );
    const out = process.env.KHA_BENCH_OUT_DIR;
    if (out)
      writeFileSync(
        `${out}/care-footprint${DISCOVERY ? '-discovery' : ''}.json`,
        `${JSON.stringify(result, null, 2)}\n`,
      );
  } finally {
    care.kill('SIGKILL');
    bare.kill('SIGKILL');
    topo.destroy();
    run('ipvsadm', ['-C']);
  }
}

await main();
