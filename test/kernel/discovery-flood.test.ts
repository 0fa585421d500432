// A hostile or broken registration against lvscare on a real IPVS kernel: thousands of addresses
// in the `kubernetes` objects and in many more slices labelled for the kubernetes Service, every
// open watch sent all of it again every 200 ms, on the watch path and then on the poll path.
// lvscare must stay within its pod's memory limit, keep /healthz within what kubelet's liveness probe allows, serve no
// flooded address, still fail a killed master over, and keep its log and state file small.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  SLACK_MS,
  TAKE_OUT_MS,
  masterText,
  resetKernel,
  sleep,
  startCare,
  stopCare,
  vip4 as vip,
  waitTakenOut,
  waitWeights,
  weights,
} from '../support/care-scenario.js';
import {
  PERIOD_MS,
  POLL_MS,
  discoveryArgs,
  metricValue,
  workerKubelet,
} from '../support/discovery-scenario.js';
import { assertKernelTier } from '../support/kernel.js';
import type { LvscareProcess } from '../support/lvscare-process.js';
import {
  flood,
  floodAddress,
  grantDiscovery,
  publishMasters,
  stopFlood,
} from '../support/registry.js';
import { Topology } from '../support/topology.js';

/** The static pod's memory limit (packages/installer/src/static-pod.ts). */
const POD_MEMORY_LIMIT = 128 * 1024 * 1024;
/**
 * kubelet's liveness probe of the static pod (packages/installer/src/static-pod.ts): an answer
 * later than timeoutSeconds (5 s) is a failure, and failureThreshold (3) failures in a row, one
 * each periodSeconds (10 s), restart lvscare. So kubelet would restart it only if every answer
 * failed for (3 - 1) x 10 s. How often an answer took over a second is printed, not asserted: a
 * timing figure on an emulated, shared CPU belongs to the bench, not a test.
 */
const HEALTHZ_DEADLINE_MS = 5000;
const RESTART_AFTER_FAILING_MS = (3 - 1) * 10_000;
const FLOOD_SLICES = 30;
const FLOOD_PER_SLICE = 1000;
/** Addresses put into the `kubernetes` objects themselves, beside the real masters. */
const FLOOD_IN_REGISTRATION = 2000;
const RESEND_MS = 200;
const SAMPLER = new URL('../support/healthz-sampler.js', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'kha-flood-'));
const registry = join(dir, 'registry.json');
const stateFile = join(dir, 'state', 'masters.json');
const topo = new Topology(3);
const masters = topo.masters;
const [, , m3] = masters as [(typeof masters)[0], (typeof masters)[0], (typeof masters)[0]];
let care: LvscareProcess | undefined;
const real = () => masters.map((m) => ({ ip: m.ip, port: m.port }));

/** The largest peak RSS (VmHWM) among lvscare care processes for this test's metrics address. */
function peakRssBytes(): number {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('care') || !cmd.includes(METRICS)) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {
      // gone meanwhile
    }
  }
  return peak;
}

/**
 * Samples /healthz (from a process of its own) and the kernel while `body` runs; fails on any
 * answer slower than the deadline and on any flooded address in the kernel.
 */
async function watched(body: () => Promise<void>): Promise<{ samples: number[] }> {
  const sampler = spawn(
    process.execPath,
    [SAMPLER, `http://${METRICS}/healthz`, '500', String(HEALTHZ_DEADLINE_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  sampler.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const ended = new Promise((r) => sampler.once('exit', r));
  const flooded: string[] = [];
  let running = true;
  const kernel = (async () => {
    while (running) {
      for (const dest of weights(vip).keys()) if (dest.startsWith('10.1')) flooded.push(dest);
      await sleep(500);
    }
  })();
  try {
    await body();
  } finally {
    running = false;
    await kernel;
    sampler.kill('SIGTERM');
    await ended;
  }
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { at: string; ms: number | null });
  assert.deepEqual(flooded, [], 'a flooded address reached the kernel');
  assert.ok(lines.length > 10, `only ${lines.length} /healthz samples`);
  // The longest stretch in which every answer failed kubelet's probe.
  let longest = 0;
  let failingSince: number | undefined;
  for (const l of lines) {
    const t = Date.parse(l.at);
    if (l.ms === null) {
      failingSince ??= t - HEALTHZ_DEADLINE_MS;
      longest = Math.max(longest, t - failingSince);
    } else failingSince = undefined;
  }
  const failed = lines.filter((l) => l.ms === null);
  console.log(
    `# flood: /healthz failed kubelet's ${HEALTHZ_DEADLINE_MS / 1000} s timeout in ${failed.length} of ${lines.length} samples (${failed.map((l) => l.at).join(', ') || 'none'}); longest failing stretch ${longest} ms`,
  );
  assert.ok(
    longest < RESTART_AFTER_FAILING_MS,
    `/healthz failing for ${longest} ms: kubelet would have restarted lvscare`,
  );
  return { samples: lines.filter((l) => l.ms !== null).map((l) => l.ms!) };
}

before(async () => {
  assertKernelTier();
  resetKernel();
  topo.build();
  const kubelet = workerKubelet(topo, dir, vip);
  publishMasters(registry, real());
  grantDiscovery(registry, true);
  topo.apiserverEnv = {
    KHA_REGISTRY_FILE: registry,
    KHA_CLIENT_CA: topo.caCert,
    KHA_BOOKMARK_MS: '5000',
  };
  for (const m of masters) await topo.startMaster(m);
  care = await startCare(
    discoveryArgs(topo, vip, masters, kubelet.kubeconfig, stateFile),
    masters.map((m) => masterText(m)),
  );
});

after(async () => {
  await stopCare(care);
  topo.destroy();
  resetKernel();
});

test("a flood on the watch, then on the poll: bounded memory, /healthz within kubelet's liveness limits, no flooded address, failover goes on, a small log", async () => {
  const logsBefore = care!.logs.length;
  flood(registry, FLOOD_SLICES, FLOOD_PER_SLICE, RESEND_MS);
  publishMasters(registry, [
    ...real(),
    ...Array.from({ length: FLOOD_IN_REGISTRATION }, (_, i) => ({
      ip: floodAddress(FLOOD_SLICES * FLOOD_PER_SLICE + i),
      port: 6443,
    })),
  ]);
  const { samples } = await watched(async () => {
    // The watch path: the registration re-sent every 200 ms.
    await sleep(20_000);
    assert.ok(
      (await metricValue(METRICS, 'lvscare_discovery_errors_total{reason="too-many-masters"}')) > 0,
      'the flooded answers counted as bad',
    );
    // Failover goes on meanwhile.
    topo.killMaster(m3);
    const out = await waitTakenOut(vip, masterText(m3), TAKE_OUT_MS);
    assert.ok(out, `m3 not taken out within ${TAKE_OUT_MS}ms during the flood`);
    await topo.startMaster(m3);
    assert.ok(
      await waitWeights(vip, { [masterText(m3)]: 1 }, BRING_BACK_MS),
      'm3 back during the flood',
    );
    // The poll path: the grant gone, each poll answered with the flooded Endpoints.
    grantDiscovery(registry, false);
    await sleep(3 * POLL_MS);
    assert.equal(await metricValue(METRICS, 'lvscare_discovery_mode{mode="poll"}'), 1);
  });
  const peak = peakRssBytes();
  const overASecond = samples.filter((ms) => ms > 1000).length;
  const discoveryLines = care!.logs
    .slice(logsBefore)
    .filter((l) => l.component === 'discovery').length;
  console.log(
    `# flood: /healthz over 1 s in ${overASecond} of ${samples.length} samples; peak RSS ${(peak / 1048576).toFixed(1)} MiB; /healthz median ${samples.sort((a, b) => a - b)[samples.length >> 1]!.toFixed(0)}ms, worst ${samples.at(-1)!.toFixed(0)}ms over ${samples.length}; ${discoveryLines} discovery log lines`,
  );
  assert.ok(peak > 0, 'the daemon process found');
  assert.ok(peak < POD_MEMORY_LIMIT, `peak RSS ${peak} bytes, over the pod's limit`);
  // A line a minute at most for each reason the flood gives, and the path switch.
  assert.ok(discoveryLines <= 12, `${discoveryLines} discovery log lines during the flood`);
  // The seed is every real master, so discovery has nothing of its own to remember: the file
  // stays absent, or, if written, holds no flooded address.
  const state = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '';
  assert.ok(state.length < 1024, `state file of ${state.length} bytes`);
  assert.doesNotMatch(state, /10\.1\d\d\./, 'no flooded address remembered');
  stopFlood(registry);
  publishMasters(registry, real());
  const deadline = performance.now() + 2 * PERIOD_MS + POLL_MS + SLACK_MS;
  while (performance.now() < deadline) {
    if (!/discovery failing/.test(await (await fetch(`http://${METRICS}/readyz`)).text())) return;
    await sleep(500);
  }
  assert.fail('discovery did not recover once the flood stopped');
});
