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
  /** Failed requests of the whole run, and when (relative to the kill) and why. */
  failed: number;
  failures: string[];
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
  // Every request of the run counts, those before the kill too.
  return {
    outAfterMs: Math.round(out - fault),
    failed: client.failures().length,
    failures: client.failures().map((r) => `${Math.round(r.at - fault)} ms: ${r.error}`),
    sent: client.results.length,
  };
}
