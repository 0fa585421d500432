// What the kernel tier's discovery scenarios share: the worker's kubelet.conf as kubeadm writes it
// (the client certificate behind kubelet's kubelet-client-current.pem symlink), lvscare's command
// line with the seed only, and the stand-in API servers' counters read through their control port.
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeApiStats, emptyApiStats } from './kube-api.js';
import type { Master, Topology } from './topology.js';
import { type Vip, careArgs, masterText } from './care-scenario.js';

/** The worker's identity, as kubelet's client certificate carries it. */
const WORKER_USER = 'system:node:worker';

/** lvscare's --discover-period in these scenarios: its smallest, so that polls come often. */
export const PERIOD_MS = 5000;
/** A poll comes within a period and a quarter (jitter); the first probe then takes the new master. */
export const POLL_MS = PERIOD_MS * 1.25;

export interface WorkerKubelet {
  /** /etc/kubernetes/kubelet.conf */
  kubeconfig: string;
  /** /var/lib/kubelet/pki/kubelet-client-current.pem: a symlink to a dated file. */
  current: string;
  /** Makes a dated certificate (cert and key in one file, as kubelet writes them) valid `seconds`. */
  dated(name: string, seconds: number): string;
  /** Repoints the symlink as kubelet does on rotation: a new link renamed over the old one. */
  rotateTo(file: string): void;
}

export function workerKubelet(topo: Topology, dir: string, vip: Vip): WorkerKubelet {
  const pkiDir = join(dir, 'kubelet-pki');
  mkdirSync(pkiDir, { recursive: true });
  const current = join(pkiDir, 'kubelet-client-current.pem');
  const dated = (name: string, seconds: number): string => {
    const c = topo.pki.shortLivedClient(WORKER_USER, 'system:nodes', seconds, name);
    const both = join(pkiDir, `${name}.pem`);
    writeFileSync(both, readFileSync(c.cert, 'utf8') + readFileSync(c.key, 'utf8'), {
      mode: 0o600,
    });
    return both;
  };
  const rotateTo = (file: string): void => {
    symlinkSync(file, `${current}.tmp`);
    renameSync(`${current}.tmp`, current);
  };
  rotateTo(dated('kubelet-client-first', 24 * 3600));
  const kubeconfig = join(dir, 'kubelet.conf');
  // As kubeadm writes it, but the server is the VIP's address (a node's /etc/hosts maps
  // apiserver.cluster.local there) and the stand-ins' certificates carry DNS:kubernetes.
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kubernetes',
      '  cluster:',
      `    server: https://${vip.address}:${vip.port}`,
      `    certificate-authority: ${topo.caCert}`,
      '    tls-server-name: kubernetes',
      'contexts:',
      `- name: ${WORKER_USER}@kubernetes`,
      `  context: {cluster: kubernetes, user: ${WORKER_USER}}`,
      `current-context: ${WORKER_USER}@kubernetes`,
      'users:',
      `- name: ${WORKER_USER}`,
      '  user:',
      `    client-certificate: ${current}`,
      `    client-key: ${current}`,
      '',
    ].join('\n'),
  );
  return { kubeconfig, current, dated, rotateTo };
}

/** The static pod's command line: the seed masters only, the kubeconfig, the state file. */
export function discoveryArgs(
  topo: Topology,
  vip: Vip,
  seed: Master[],
  kubeconfig: string,
  stateFile: string,
): string[] {
  const base = careArgs(topo, vip, [
    '--kubeconfig',
    kubeconfig,
    '--discover-state-file',
    stateFile,
    '--discover-period',
    `${PERIOD_MS}ms`,
  ]);
  const seedText = new Set(seed.map((m) => masterText(m)));
  const out: string[] = [];
  for (let i = 0; i < base.length; i++) {
    if (base[i] === '--rs' && !seedText.has(base[i + 1]!)) {
      i++;
      continue;
    }
    out.push(base[i]!);
  }
  return out;
}

/** The registration requests every running stand-in answered, summed over the masters. */
export function apiTotals(topo: Topology, masters: Master[]): KubeApiStats & { requests: number } {
  const sum = { ...emptyApiStats(), requests: 0 };
  for (const m of masters) {
    let s: KubeApiStats | undefined;
    try {
      s = (JSON.parse(topo.controlRead(m)) as { api?: KubeApiStats }).api;
    } catch {
      continue; // that master is not running
    }
    if (!s) continue;
    for (const kind of ['EndpointSlice', 'Endpoints'] as const) {
      sum.gets[kind] += s.gets[kind];
      sum.lists[kind] += s.lists[kind];
      sum.watches[kind] += s.watches[kind];
    }
    sum.unauthorized += s.unauthorized;
    sum.forbidden += s.forbidden;
    sum.gone += s.gone;
    sum.unavailable += s.unavailable;
    for (const [u, n] of Object.entries(s.byUser)) sum.byUser[u] = (sum.byUser[u] ?? 0) + n;
    sum.requests += s.unauthorized + Object.values(s.byUser).reduce((a, b) => a + b, 0);
  }
  return sum;
}

/** The lines of /metrics that start with `name`. */
export async function metricLines(metricsAddress: string, name: string): Promise<string[]> {
  const body = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  return body.split('\n').filter((l) => l.startsWith(name));
}

/** The value of one exact series, e.g. `lvscare_discovery_mode{mode="poll"}`; NaN when absent. */
export async function metricValue(metricsAddress: string, series: string): Promise<number> {
  const line = (await metricLines(metricsAddress, series)).find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}
