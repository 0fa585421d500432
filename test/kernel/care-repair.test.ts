// lvscare care puts back whatever else changes its rules, within one interval, and counts it;
// a daemon killed and restarted interrupts no traffic.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  SLACK_MS,
  TIMING,
  careArgs,
  masterText,
  sleep,
  startCare,
  stopCare,
  vip4 as vip,
  waitAllAt,
  weights,
  withClient,
  scenarioTopology,
} from '../support/care-scenario.js';
import { ipvsadm } from '../support/ipvsadm.js';
import { serviceExists, waitFor } from '../support/ipvs-state.js';
import type { LvscareProcess } from '../support/lvscare-process.js';
import { run } from '../support/run.js';

const topo = scenarioTopology(() => stopCare(care));
const all = topo.masters.map((m) => masterText(m));
const m1 = masterText(topo.masters[0]!);
const ONE_INTERVAL = TIMING.intervalMs + SLACK_MS;
let care: LvscareProcess | undefined;

before(async () => {
  care = await startCare(careArgs(topo, vip, ['--mode', 'route']), all);
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS));
});

async function repairs(kind: string): Promise<number> {
  const text = await (await fetch(`http://${METRICS}/metrics`)).text();
  const m = new RegExp(`^lvscare_repairs_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The daemon counts a repair just after the kernel call returns: wait for the count, then one more
 * interval, and it must have gone up by exactly one.
 */
async function countedOnce(kind: string, before: number): Promise<void> {
  const end = performance.now() + ONE_INTERVAL;
  while (performance.now() < end && (await repairs(kind)) < before + 1) await sleep(50);
  await sleep(TIMING.intervalMs + 200);
  assert.equal(
    await repairs(kind),
    before + 1,
    `lvscare_repairs_total{kind="${kind}"} counted once`,
  );
}

const intact = (): boolean =>
  serviceExists(vip.text) && all.every((d) => weights(vip).get(d) === 1) && weights(vip).size === 3;

const drifts: Array<[string, string, () => void]> = [
  ['virtual server deleted (ipvsadm -D)', 'service-missing', () => ipvsadm('-D', '-t', vip.text)],
  [
    'a destination deleted (ipvsadm -d)',
    'destination-missing',
    () => ipvsadm('-d', '-t', vip.text, '-r', m1),
  ],
  [
    'a weight changed (ipvsadm -e)',
    'destination-weight',
    () => ipvsadm('-e', '-t', vip.text, '-r', m1, '-m', '-w', '7'),
  ],
  [
    'forwarding changed (ipvsadm -e -g)',
    'destination-settings',
    () => ipvsadm('-e', '-t', vip.text, '-r', m1, '-g', '-w', '1'),
  ],
  [
    'scheduler changed (ipvsadm -E)',
    'service-settings',
    () => ipvsadm('-E', '-t', vip.text, '-s', 'wlc'),
  ],
  [
    'a foreign destination added (ipvsadm -a)',
    'destination-foreign',
    () => ipvsadm('-a', '-t', vip.text, '-r', '10.0.0.99:6443', '-m'),
  ],
  ['everything cleared (ipvsadm -C)', 'service-missing', () => ipvsadm('-C')],
];

for (const [name, kind, drift] of drifts) {
  test(`repaired within one interval: ${name}`, async () => {
    const before = await repairs(kind);
    drift();
    assert.ok(
      await waitFor(intact, ONE_INTERVAL, 25),
      `restored: ${JSON.stringify([...weights(vip)])}`,
    );
    await countedOnce(kind, before);
    assert.ok(
      care!.logs.some((l) => l.repair === kind && l.level === 'warn'),
      'logged as a repair',
    );
  });
}

test('repaired within one interval: the VIP route deleted', async () => {
  const before = await repairs('route-missing');
  run('ip', ['route', 'del', `${vip.address}/32`]);
  assert.ok(
    await waitFor(
      () => run('ip', ['route', 'show', `${vip.address}/32`]).includes('src 10.0.0.10'),
      ONE_INTERVAL,
      25,
    ),
    'VIP route back',
  );
  await countedOnce('route-missing', before);
});

test('the daemon SIGKILLed and restarted: no client request fails, healthy rules untouched', async () => {
  const client = await withClient(vip, async () => {
    await sleep(1000);
    care!.kill('SIGKILL');
    await care!.exited;
    await sleep(2 * TIMING.intervalMs); // nobody minds the rules: the kernel keeps balancing
    care = await startCare(careArgs(topo, vip, ['--mode', 'route']));
    await sleep(3 * TIMING.intervalMs);
  });
  assert.deepEqual(client.failures(), [], 'no request failed across the restart');
  assert.deepEqual(Object.keys(client.answeredBy()).sort(), ['m1', 'm2', 'm3']);
  const changes = care!.logs.filter((l) => /^(add|set|remove|repaired)/.test(l.msg));
  assert.deepEqual(changes, [], 'the restarted daemon adopted the rules without changing them');
});
