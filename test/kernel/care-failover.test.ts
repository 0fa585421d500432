// lvscare care against faults of a master, in route mode, with a client on the worker sending
// 50 requests/s through the VIP throughout. Kernel state is read with ipvsadm.
import assert from 'node:assert/strict';
import { before, beforeEach, test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  SLACK_MS,
  TAKE_OUT_MS,
  TIMING,
  careArgs,
  masterText,
  sleep,
  startCare,
  stopCare,
  vip4 as vip,
  waitAllAt,
  waitTakenOut,
  waitWeights,
  weights,
  withClient,
  scenarioTopology,
} from '../support/care-scenario.js';
import type { LvscareProcess } from '../support/lvscare-process.js';
import type { VipClient } from '../support/vip-client.js';

const topo = scenarioTopology(() => stopCare(care));
const [m1, m2, m3] = topo.masters as [
  (typeof topo.masters)[0],
  (typeof topo.masters)[0],
  (typeof topo.masters)[0],
];
const all = topo.masters.map((m) => masterText(m));
let care: LvscareProcess;

before(async () => {
  care = await startCare(careArgs(topo, vip, ['--mode', 'route', '--logger', 'DEBG']), all);
  assert.ok(
    await waitAllAt(vip, all, 1, BRING_BACK_MS),
    `all masters at weight 1: ${JSON.stringify([...weights(vip)])}`,
  );
});
// Each scenario starts from every master running, healthy and at weight 1.
beforeEach(async () => {
  for (const m of topo.masters) {
    if (!m.process) await topo.startMaster(m);
    topo.blackhole(m, false);
    await topo.control(m, 'healthz=ok&cert=main');
  }
  assert.ok(
    await waitAllAt(vip, all, 1, BRING_BACK_MS),
    `all masters at weight 1: ${JSON.stringify([...weights(vip)])}`,
  );
});

/**
 * How long after the fault (wall clock, taken as the fault's command returned) the daemon took
 * the master out, from its own log line: polling ipvsadm from a busy emulated CPU lags.
 */
function takenOutAfter(master: string, faultWallMs: number): number | undefined {
  const line = care.logs.find(
    (l) =>
      Date.parse(String(l.time)) >= faultWallMs &&
      (l.msg === `set ${master} weight 0` || l.msg === `remove ${master}`),
  );
  return line ? Date.parse(String(line.time)) - faultWallMs : undefined;
}

/** Client failures after the take-out (plus a settle second) must be zero; before, they are counted. */
function report(
  name: string,
  master: string,
  client: VipClient,
  fault: number,
  faultWall: number,
  out: number,
): void {
  const lost = client.failures(fault, out + 1000);
  const later = client.failures(out + 1000);
  console.log(
    `${name}: out of rotation ${takenOutAfter(master, faultWall)}ms after the fault (daemon log); ` +
      `${lost.length} of ${client.between(fault, out + 1000).length} requests failed meanwhile`,
  );
  assert.deepEqual(
    later,
    [],
    `requests failed after the master was out: ${JSON.stringify(later.slice(0, 3))}`,
  );
}

test('the VIP carries client traffic to every master through the right source address', async () => {
  const client = await withClient(vip, () => sleep(3000));
  assert.deepEqual(Object.keys(client.answeredBy()).sort(), ['m1', 'm2', 'm3']);
  assert.deepEqual(client.failures(), []);
});

test('master process killed: weight 0 at once, removed once drained, back when it returns', async () => {
  let fault = 0;
  let faultWall = 0;
  let out: number | undefined;
  const client = await withClient(vip, async () => {
    await sleep(1000);
    topo.killMaster(m1);
    fault = performance.now();
    faultWall = Date.now();
    out = await waitTakenOut(vip, masterText(m1), TAKE_OUT_MS);
    assert.ok(out, 'm1 at weight 0');
    assert.ok(
      await waitWeights(vip, { [masterText(m1)]: undefined }, TIMING.drainMs + SLACK_MS),
      'm1 removed after draining',
    );
    await sleep(1500);
  });
  report('killed', masterText(m1), client, fault, faultWall, out!);
  await topo.startMaster(m1);
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm1 back at weight 1');
});

test('master black-holed: taken out by probe timeouts, back when reachable', async () => {
  let fault = 0;
  let faultWall = 0;
  let out: number | undefined;
  const client = await withClient(vip, async () => {
    await sleep(1000);
    topo.blackhole(m2, true);
    fault = performance.now();
    faultWall = Date.now();
    out = await waitTakenOut(vip, masterText(m2), TAKE_OUT_MS);
    assert.ok(out, 'm2 at weight 0');
    await sleep(3000); // let requests already sent to m2 time out
  });
  report(
    'black-holed',
    masterText(m2),
    client,
    fault,
    faultWall,
    out! + 2000 /* the client's own timeout */,
  );
  assert.equal(weights(vip).get(masterText(m1)), 1);
  topo.blackhole(m2, false);
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm2 back at weight 1');
});

test('/healthz answering 500: taken out although it still serves, back when healthy', async () => {
  let fault = 0;
  let faultWall = 0;
  let out: number | undefined;
  const client = await withClient(vip, async () => {
    await sleep(500);
    await topo.control(m3, 'healthz=fail');
    fault = performance.now();
    faultWall = Date.now();
    out = await waitTakenOut(vip, masterText(m3), TAKE_OUT_MS);
    assert.ok(out, 'm3 at weight 0');
    await sleep(1500);
  });
  report('healthz 500', masterText(m3), client, fault, faultWall, out!);
  assert.ok(
    !('m3' in client.answeredBy(out! + 200)),
    'no new connection to m3 once it is at weight 0',
  );
  await topo.control(m3, 'healthz=ok');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm3 back');
});

test('/healthz slower than the timeout: taken out, back when fast again', async () => {
  await topo.control(m1, `healthz=slow&ms=${TIMING.timeoutMs * 3}`);
  assert.ok(await waitTakenOut(vip, masterText(m1), TAKE_OUT_MS), 'm1 at weight 0');
  await topo.control(m1, 'healthz=ok');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm1 back');
});

test('a certificate the CA did not sign (--health-ca-file): taken out, back with the right one', async () => {
  await topo.control(m2, 'cert=alt');
  assert.ok(
    await waitTakenOut(vip, masterText(m2), TAKE_OUT_MS + TIMING.intervalMs),
    'm2 at weight 0',
  );
  await care.waitForLog(
    (l) =>
      (l.msg === 'probe failed' || l.msg === 'master down') &&
      l.master === masterText(m2) &&
      String(l.reason).startsWith('tls'),
    SLACK_MS,
  );
  await topo.control(m2, 'cert=main');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS + TIMING.intervalMs), 'm2 back');
});

test('all masters unhealthy: fail open, every master at weight 1; one back: converge on it', async () => {
  const client = await withClient(vip, async () => {
    for (const m of topo.masters) await topo.control(m, 'healthz=fail');
    await care.waitForLog(
      (l) => l.msg.startsWith('no master is healthy: failing open'),
      TAKE_OUT_MS + SLACK_MS,
    );
    assert.ok(await waitAllAt(vip, all, 1, SLACK_MS), 'fail-open keeps every master at weight 1');
    const metrics = await (await fetch(`http://${METRICS}/metrics`)).text();
    assert.match(metrics, /^lvscare_fail_open 1$/m);
    await sleep(1000);
    await topo.control(m3, 'healthz=ok');
    // m1 and m2 are down with no connections left (or past the drain timeout): converging removes them.
    assert.ok(
      await waitWeights(
        vip,
        { [masterText(m3)]: 1, [masterText(m1)]: undefined, [masterText(m2)]: undefined },
        BRING_BACK_MS,
      ),
      `converged on m3: ${JSON.stringify([...weights(vip)])}`,
    );
    await care.waitForLog((l) => l.msg === 'a master is healthy again: fail-open ended', SLACK_MS);
  });
  // The masters kept serving while failing /healthz, so fail-open lost no request at all.
  assert.deepEqual(client.failures(), []);
  await topo.control(m1, 'healthz=ok');
  await topo.control(m2, 'healthz=ok');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'everyone back');
});

test('a flapping master: state changes bounded by fall/rise, each logged once', async () => {
  const probesBefore = await probeCount(masterText(m1));
  const logsBefore = care.logs.length;
  let flips = 0;
  const end = performance.now() + 8000;
  while (performance.now() < end) {
    await topo.control(m1, flips % 2 === 0 ? 'healthz=fail' : 'healthz=ok');
    flips++;
    await sleep(350);
  }
  await topo.control(m1, 'healthz=ok');
  const transitions = care.logs
    .slice(logsBefore)
    .filter(
      (l) => (l.msg === 'master down' || l.msg === 'master up') && l.master === masterText(m1),
    );
  const probes = (await probeCount(masterText(m1))) - probesBefore;
  console.log(`flapping: ${flips} flips, ${probes} probes, ${transitions.length} transitions`);
  assert.ok(
    transitions.length <= Math.floor(probes / Math.min(TIMING.fall, TIMING.rise)) + 1,
    'each change needs fall (or rise) results in a row',
  );
  for (let i = 1; i < transitions.length; i++)
    assert.notEqual(transitions[i]!.msg, transitions[i - 1]!.msg, 'no state logged twice in a row');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm1 settles back up');
});

async function probeCount(master: string): Promise<number> {
  const text = await (await fetch(`http://${METRICS}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (
      line.startsWith('lvscare_probe_duration_seconds_count{') &&
      line.includes(`master="${master}"`)
    )
      n += Number(line.split(' ').pop());
  }
  return n;
}
