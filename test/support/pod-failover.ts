// The failover scenario through a pod: a client on the worker sending through the VIP, a master
// killed, the master out of rotation (ipvsadm), then started again and back in rotation.
import assert from 'node:assert/strict';
import {
  BRING_BACK_MS,
  SLACK_MS,
  TAKE_OUT_MS,
  type Vip,
  masterText,
  sleep,
  waitAllAt,
  waitTakenOut,
  withClient,
} from './care-scenario.js';
import type { Master, Topology } from './topology.js';

export interface Failover {
  /** From the kill to ipvsadm showing weight 0 (polled every 25 ms). */
  outAfterMs: number;
  /**
   * Requests started between the kill and a second after the master was out that failed: new
   * connections the VIP still gave the dead master before lvscare took it out. What failover
   * costs.
   */
  failedInFailover: string[];
  /**
   * Requests already in flight to the master when it died, reset with it: no balancer saves
   * those. Under the emulated CPU a request takes hundreds of milliseconds, so there can be
   * several.
   */
  diedInFlight: string[];
  /**
   * Requests started later that timed out (the emulated CPU starving a handshake). Any other
   * failure after the master was out means the VIP still sent to it, and fails the scenario.
   */
  timedOutLater: string[];
  sent: number;
}

export async function killAndRestore(topo: Topology, vip: Vip, m: Master): Promise<Failover> {
  const everyone = topo.masters.map((x) => masterText(x));
  let fault = 0;
  let out: number | undefined;
  const client = await withClient(vip, async () => {
    await sleep(2000);
    topo.killMaster(m);
    fault = performance.now();
    out = await waitTakenOut(vip, masterText(m), TAKE_OUT_MS);
    await sleep(2000);
  });
  assert.ok(out, `${m.name} out of rotation within ${TAKE_OUT_MS} ms`);
  await topo.startMaster(m);
  assert.ok(
    await waitAllAt(vip, everyone, 1, BRING_BACK_MS + SLACK_MS),
    `${m.name} back in rotation`,
  );
  const describe = (r: { at: number; error?: string | undefined }) =>
    `${Math.round(r.at - fault)} ms: ${r.error}`;
  const before = client.failures(0, fault);
  for (const r of before)
    assert.ok(
      r.error === 'ECONNRESET',
      `a request failed before the kill other than by the kill's reset: ${describe(r)}`,
    );
  const settled = out + 1000;
  const later = client.failures(settled);
  for (const r of later)
    assert.equal(r.error, 'timeout', `a request failed after the master was out: ${describe(r)}`);
  return {
    outAfterMs: Math.round(out - fault),
    failedInFailover: client.failures(fault, settled).map(describe),
    diedInFlight: before.map(describe),
    timedOutLater: later.map(describe),
    sent: client.results.length,
  };
}
