// Master discovery end to end, against stand-in API servers that authenticate and authorize as a
// kubeadm cluster does (test/support/api-authz.ts): the fake API servers on m1..m4 serve the
// `kubernetes` Endpoints and EndpointSlice from one registry file, as API servers share etcd.
// lvscare on the worker reads them through the VIP itself with the kubelet's client certificate,
// seeded with --rs m1..m3. With nothing applied it polls endpoints/kubernetes (a kubelet's own
// right); with kha's RBAC grant it watches. ipvsadm is the witness; the manifest (the command
// line) never changes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  SLACK_MS,
  TAKE_OUT_MS,
  TIMING,
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
import {
  PERIOD_MS,
  POLL_MS,
  type WorkerKubelet,
  apiTotals,
  discoveryArgs,
  metricLines,
  metricValue,
  workerKubelet,
} from '../support/discovery-scenario.js';
import { waitFor } from '../support/ipvs-state.js';
import { assertKernelTier } from '../support/kernel.js';
import type { LvscareProcess } from '../support/lvscare-process.js';
import {
  type RegisteredMaster,
  grantDiscovery,
  publishMasters,
  setOutage,
} from '../support/registry.js';
import { Topology } from '../support/topology.js';

/** lvscare's discovery pacing (master-discovery.ts): the longest retry pause after errors. */
const MAX_BACKOFF_MS = 60_000;
/** On the poll path: the next poll, then the new master's first passing probes. */
const POLL_JOIN_MS = POLL_MS + BRING_BACK_MS;
/** On the watch path: the event at once, then the probes. */
const WATCH_JOIN_MS = BRING_BACK_MS;
/** Taken out at weight 0 at once; removed once drained or after --drain-timeout. */
const RETIRE_MS = TAKE_OUT_MS + TIMING.drainMs + SLACK_MS;
/** The poll path tries the watch again after ten periods (and a quarter of jitter). */
const RETRY_WATCH_MS = 12.5 * PERIOD_MS + SLACK_MS;

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
let kubelet: WorkerKubelet;

const args = (): string[] => discoveryArgs(topo, vip, seed, kubelet.kubeconfig, stateFile);
const mode = (m: 'watch' | 'poll') => metricValue(METRICS, `lvscare_discovery_mode{mode="${m}"}`);

async function waitMode(m: 'watch' | 'poll', timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if ((await mode(m).catch(() => NaN)) === 1) return true;
    await sleep(250);
  }
  return false;
}

/** Discovery's error counters that are not zero, by reason. */
async function discoveryErrors(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const l of await metricLines(METRICS, 'lvscare_discovery_errors_total{')) {
    const [series, value] = l.split(' ');
    if (Number(value) > 0) out[series!] = Number(value);
  }
  return out;
}

before(async () => {
  assertKernelTier();
  resetKernel();
  topo.build();
  kubelet = workerKubelet(topo, dir, vip);
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

test("a kubelet's own rights: endpoints/kubernetes polled, a fourth master served within a period, no error, no warning", async () => {
  assert.ok(await waitMode('poll', POLL_MS + SLACK_MS), 'lvscare_discovery_mode{mode="poll"} 1');
  await topo.startMaster(m4);
  const registeredAt = performance.now();
  publishMasters(registry, registered(m1, m2, m3, m4));
  const joined = await waitWeights(vip, { [text(m4)]: 1 }, POLL_JOIN_MS);
  assert.ok(joined, `m4 not added within ${POLL_JOIN_MS}ms: ${JSON.stringify([...weights(vip)])}`);
  console.log(
    `# poll path: m4 at weight 1 ${Math.round(joined - registeredAt)}ms after it registered`,
  );
  const client = await withClient(vip, () => sleep(3000));
  assert.ok((client.answeredBy().m4 ?? 0) > 0, `no request answered by m4`);
  assert.deepEqual(client.failures(), []);
  assert.deepEqual(
    (JSON.parse(readFileSync(stateFile, 'utf8')) as { masters: string[] }).masters,
    [m1, m2, m3, m4].map(text).sort(),
    'the state file lists what was discovered',
  );
  assert.equal(await metricValue(METRICS, 'lvscare_discovered_masters'), 4);
  // Working as designed on a cluster with kubeadm's RBAC: nothing counted, nothing warned.
  assert.deepEqual(await discoveryErrors(), {});
  const discovery = care!.logs.filter((l) => l.component === 'discovery');
  assert.deepEqual(
    discovery.filter((l) => l.level !== 'info'),
    [],
  );
  // Nothing said twice: the path once, then only what changed.
  const said = discovery.map((l) => `${l.msg} ${JSON.stringify(l.joined ?? '')}`);
  assert.deepEqual(said, [...new Set(said)], 'a repeated discovery log line');
  const api = apiTotals(topo, topo.masters);
  assert.equal(api.forbidden, 1, 'one refused list at start, never again');
  assert.ok(api.gets.Endpoints > 0, 'polled');
});

test('a master that deregisters while it still answers is drained, then removed; the seed is not', async () => {
  // m3 is a seed master: discovery can never take it away.
  publishMasters(registry, registered(m1, m2, m3));
  // m4 only came from discovery: it goes, through weight 0.
  const atZero = await waitWeights(vip, { [text(m4)]: 0 }, POLL_MS + TAKE_OUT_MS);
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

test('the RBAC grant applied: lvscare watches within ten periods, and a registering master is served within seconds', async () => {
  grantDiscovery(registry, true);
  assert.ok(await waitMode('watch', RETRY_WATCH_MS), 'lvscare_discovery_mode{mode="watch"} 1');
  const registeredAt = performance.now();
  publishMasters(registry, registered(m1, m2, m3, m4));
  const joined = await waitWeights(vip, { [text(m4)]: 1 }, WATCH_JOIN_MS);
  assert.ok(joined, `m4 not added within ${WATCH_JOIN_MS}ms: ${JSON.stringify([...weights(vip)])}`);
  console.log(
    `# watch path: m4 at weight 1 ${Math.round(joined - registeredAt)}ms after it registered`,
  );
  assert.deepEqual(await discoveryErrors(), {}, 'the switch is no error');
});

test('the grant removed: back to polling at the next watch renewal, still following, no error', async () => {
  grantDiscovery(registry, false);
  assert.ok(await waitMode('poll', PERIOD_MS + SLACK_MS), 'polling again');
  publishMasters(registry, registered(m1, m2, m3));
  assert.ok(
    await waitWeights(vip, { [text(m4)]: undefined }, POLL_MS + RETIRE_MS),
    'a deregistered master followed by the polls',
  );
  assert.deepEqual(await discoveryErrors(), {});
});

test('kubelet rotates its client certificate: the old one expires, discovery carries on, no restart', async () => {
  // A certificate near its end, in use; kubelet rotates well before that (at 70-90% of its life).
  const lifetimeMs = 4 * POLL_MS + SLACK_MS;
  const oldUntil = Date.now() + lifetimeMs;
  const old = kubelet.dated('kubelet-client-old', lifetimeMs / 1000);
  kubelet.rotateTo(old);
  const pid = care!.pid;
  await sleep(2 * POLL_MS); // polls made with the old certificate
  kubelet.rotateTo(kubelet.dated('kubelet-client-new', 24 * 3600));
  assert.ok(Date.now() < oldUntil, 'rotated before the old certificate expired');
  await sleep(oldUntil - Date.now() + 2000);
  const unauthorized = apiTotals(topo, topo.masters).unauthorized;
  publishMasters(registry, registered(m1, m2, m3, m4));
  assert.ok(await waitWeights(vip, { [text(m4)]: 1 }, POLL_JOIN_MS), 'followed after the rotation');
  assert.equal(
    apiTotals(topo, topo.masters).unauthorized,
    unauthorized,
    'nothing sent with the expired certificate',
  );
  assert.equal(care!.pid, pid, 'the same process');
  assert.deepEqual(await discoveryErrors(), {});
  // The old certificate is refused now: put back, discovery fails with "unauthorized"; rotated
  // again, it recovers by itself.
  kubelet.rotateTo(old);
  assert.ok(
    await waitFor(
      () => apiTotals(topo, topo.masters).unauthorized > unauthorized,
      POLL_MS + SLACK_MS,
      1000,
    ),
    'the stand-in refuses the expired certificate (401)',
  );
  kubelet.rotateTo(kubelet.dated('kubelet-client-newer', 24 * 3600));
  publishMasters(registry, registered(m1, m2, m3));
  assert.ok(
    await waitWeights(vip, { [text(m4)]: undefined }, MAX_BACKOFF_MS + POLL_MS + RETIRE_MS),
    'recovered with the new certificate, no restart',
  );
  assert.equal(care!.pid, pid);
});

test('the API unavailable: errors counted and shown in /readyz, nothing changes; back: it resyncs', async () => {
  publishMasters(registry, registered(m1, m2, m3, m4));
  assert.ok(await waitWeights(vip, { [text(m4)]: 1 }, MAX_BACKOFF_MS + POLL_JOIN_MS), 'm4 back');
  const before = new Map(weights(vip));
  setOutage(registry, true);
  const until = performance.now() + 2 * PERIOD_MS + SLACK_MS;
  while (performance.now() < until) {
    assert.deepEqual(new Map(weights(vip)), before, 'IPVS changed during the API outage');
    await sleep(250);
  }
  const errors = await metricLines(METRICS, 'lvscare_discovery_errors_total{reason="status"}');
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
  const gone = await waitWeights(
    vip,
    { [text(m4)]: undefined },
    MAX_BACKOFF_MS + POLL_MS + RETIRE_MS,
  );
  assert.ok(gone, `no resync after the outage: ${JSON.stringify([...weights(vip)])}`);
});

test('lvscare restarted during an API outage starts from the state file', async () => {
  publishMasters(registry, registered(m1, m2, m3, m4));
  assert.ok(await waitWeights(vip, { [text(m4)]: 1 }, MAX_BACKOFF_MS + POLL_JOIN_MS), 'm4 back');
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
