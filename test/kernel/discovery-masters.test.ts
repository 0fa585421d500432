// Master discovery end to end: the fake API servers on m1..m4 also serve the `kubernetes`
// Service's EndpointSlices and Endpoints (list + watch over HTTPS, client certificates checked
// against the cluster CA), from one registry file as API servers share etcd. lvscare on the
// worker reads them through the VIP itself with a kubelet-like client certificate, seeded with
// --rs m1..m3. ipvsadm is the witness; the manifest (the command line) never changes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  SLACK_MS,
  TAKE_OUT_MS,
  TIMING,
  careArgs,
  masterText,
  resetKernel,
  sleep,
  startCare,
  stopCare,
  vip4 as vip,
  waitWeights,
  weights,
  withClient,
} from '../support/care-scenario.js';
import { assertKernelTier } from '../support/kernel.js';
import type { LvscareProcess } from '../support/lvscare-process.js';
import { type RegisteredMaster, publishMasters, setOutage } from '../support/registry.js';
import { Topology } from '../support/topology.js';

/** lvscare's own discovery pacing (master-discovery.ts): the longest retry pause after errors. */
const MAX_BACKOFF_MS = 30_000;
/** A watch event reaches lvscare at once; then the new master needs its first passing probe. */
const JOIN_MS = BRING_BACK_MS;
/** Taken out at weight 0 at once; removed once drained or after --drain-timeout. */
const RETIRE_MS = TAKE_OUT_MS + TIMING.drainMs + SLACK_MS;

const dir = mkdtempSync(join(tmpdir(), 'kha-discovery-'));
const registry = join(dir, 'registry.json');
const stateFile = join(dir, 'state', 'masters.json');
const topo = new Topology(4);
const [m1, m2, m3, m4] = topo.masters as [
  (typeof topo.masters)[0],
  (typeof topo.masters)[0],
  (typeof topo.masters)[0],
  (typeof topo.masters)[0],
];
const seed = [m1, m2, m3];
const text = (m: (typeof topo.masters)[0]): string => masterText(m);
const registered = (...ms: Array<(typeof topo.masters)[0]>): RegisteredMaster[] =>
  ms.map((m) => ({ ip: m.ip, port: m.port }));
let care: LvscareProcess | undefined;
let kubeconfig: string;

/** The command line of the static pod: the seed, the kubeconfig, the state file; never edited. */
function args(): string[] {
  const base = careArgs(topo, vip, [
    '--kubeconfig',
    kubeconfig,
    '--discover-state-file',
    stateFile,
  ]);
  // careArgs lists every master of the topology: keep the seed only.
  const out: string[] = [];
  for (let i = 0; i < base.length; i++) {
    if (base[i] === '--rs' && base[i + 1] === text(m4)) {
      i++;
      continue;
    }
    out.push(base[i]!);
  }
  return out;
}

async function metric(name: string): Promise<string[]> {
  const body = await (await fetch(`http://${METRICS}/metrics`)).text();
  return body.split('\n').filter((l) => l.startsWith(name));
}

before(async () => {
  assertKernelTier();
  resetKernel();
  topo.build();
  const client = topo.pki.client('system:node:worker', 'system:nodes');
  kubeconfig = join(dir, 'kubelet.conf');
  // As kubeadm writes it, but the server is the VIP's address (a node's /etc/hosts maps
  // apiserver.cluster.local there) and the fake apiservers' certificates carry DNS:kubernetes.
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
      '- name: system:node:worker@kubernetes',
      '  context: {cluster: kubernetes, user: system:node:worker}',
      'current-context: system:node:worker@kubernetes',
      'users:',
      '- name: system:node:worker',
      '  user:',
      `    client-certificate: ${client.cert}`,
      `    client-key: ${client.key}`,
      '',
    ].join('\n'),
  );
  publishMasters(registry, registered(m1, m2, m3));
  topo.apiserverEnv = {
    KHA_REGISTRY_FILE: registry,
    KHA_CLIENT_CA: topo.caCert,
    KHA_BOOKMARK_MS: '5000',
  };
  for (const m of seed) await topo.startMaster(m);
  care = await startCare(args(), seed.map(text));
  assert.ok(
    await waitWeights(vip, Object.fromEntries(seed.map((m) => [text(m), 1])), BRING_BACK_MS),
    `the seed at weight 1: ${JSON.stringify([...weights(vip)])}`,
  );
});

after(async () => {
  await stopCare(care);
  topo.destroy();
  resetKernel();
});

test('a fourth master comes up and registers: it carries traffic through the VIP within seconds, no manifest change', async () => {
  await topo.startMaster(m4);
  const registeredAt = performance.now();
  publishMasters(registry, registered(m1, m2, m3, m4));
  const joined = await waitWeights(vip, { [text(m4)]: 1 }, JOIN_MS);
  assert.ok(joined, `m4 not added within ${JOIN_MS}ms: ${JSON.stringify([...weights(vip)])}`);
  console.log(`# m4 at weight 1 ${Math.round(joined - registeredAt)}ms after it registered`);
  const client = await withClient(vip, () => sleep(3000));
  const by = client.answeredBy();
  assert.ok((by.m4 ?? 0) > 0, `no request answered by m4: ${JSON.stringify(by)}`);
  assert.deepEqual(client.failures(), []);
  assert.ok(care!.logs.some((l) => l.msg === 'discovered masters changed'));
  assert.deepEqual(
    (JSON.parse(readFileSync(stateFile, 'utf8')) as { masters: string[] }).masters,
    [m1, m2, m3, m4].map(text).sort(),
    'the state file lists what was discovered',
  );
  assert.ok(
    (await metric('lvscare_discovered_masters')).some((l) => l.endsWith(' 4')),
    'lvscare_discovered_masters 4',
  );
});

test('a master that deregisters while it still answers is drained, then removed; the seed is not', async () => {
  // m3 is a seed master: discovery can never take it away.
  publishMasters(registry, registered(m1, m2, m3));
  // m4 only came from discovery: it goes, through weight 0.
  const atZero = await waitWeights(vip, { [text(m4)]: 0 }, TAKE_OUT_MS);
  const gone = await waitWeights(vip, { [text(m4)]: undefined }, RETIRE_MS);
  assert.ok(gone, `m4 not removed: ${JSON.stringify([...weights(vip)])}`);
  assert.ok(
    atZero !== undefined || care!.logs.some((l) => l.msg === `set ${text(m4)} weight 0`),
    'drained at weight 0 before removal, not cut',
  );
  assert.deepEqual(
    Object.fromEntries(seed.map((m) => [text(m), weights(vip).get(text(m))])),
    Object.fromEntries(seed.map((m) => [text(m), 1])),
  );
});

test('the API unavailable: errors counted and shown in /readyz, nothing changes; back: it resyncs', async () => {
  publishMasters(registry, registered(m1, m2, m3, m4));
  // m4 has kept running since the first test: only its registration comes back.
  assert.ok(await waitWeights(vip, { [text(m4)]: 1 }, JOIN_MS), 'm4 back');
  const before = new Map(weights(vip));
  setOutage(registry, true);
  const until = performance.now() + 3 * TIMING.intervalMs + SLACK_MS;
  while (performance.now() < until) {
    assert.deepEqual(new Map(weights(vip)), before, 'IPVS changed during the API outage');
    await sleep(250);
  }
  const errors = await metric('lvscare_discovery_errors_total{reason="status"}');
  assert.ok(
    errors.some((l) => Number(l.split(' ')[1]) > 0),
    `no discovery error counted: ${errors.join('\n')}`,
  );
  const readyz = await fetch(`http://${METRICS}/readyz`);
  assert.match(await readyz.text(), /discovery failing/);
  // While it is away, m4 leaves the control plane; lvscare learns it once the API is back.
  publishMasters(registry, registered(m1, m2, m3));
  await sleep(2 * TIMING.intervalMs);
  assert.equal(weights(vip).get(text(m4)), 1, 'nothing learnt during the outage');
  setOutage(registry, false);
  const gone = await waitWeights(vip, { [text(m4)]: undefined }, MAX_BACKOFF_MS + RETIRE_MS);
  assert.ok(gone, `no resync after the outage: ${JSON.stringify([...weights(vip)])}`);
});

test('lvscare restarted during an API outage starts from the state file', async () => {
  publishMasters(registry, registered(m1, m2, m3, m4));
  assert.ok(await waitWeights(vip, { [text(m4)]: 1 }, MAX_BACKOFF_MS + JOIN_MS), 'm4 back');
  assert.ok(existsSync(stateFile));
  await stopCare(care);
  care = undefined;
  setOutage(registry, true);
  care = await startCare(args(), [m1, m2, m3, m4].map(text));
  assert.ok(
    care.logs.some((l) => l.msg === 'starting from the masters last discovered'),
    'the state file was read',
  );
  // Without the state file m4 would be foreign to the restarted daemon and removed at once.
  const until = performance.now() + 3 * TIMING.intervalMs + SLACK_MS;
  while (performance.now() < until) {
    assert.equal(weights(vip).get(text(m4)), 1, 'm4 kept through the restart');
    await sleep(250);
  }
  setOutage(registry, false);
});
