// Shared steps of the lvscare end-to-end scenarios.
import { after, before } from 'node:test';
import { clearIpvs } from './ipvsadm.js';
import { assertKernelTier } from './kernel.js';
import { destinationWeights, waitFor } from './ipvs-state.js';
import { LvscareProcess } from './lvscare-process.js';
import { type Master, Topology } from './topology.js';
import { VipClient } from './vip-client.js';

/** The daemon's timings in these scenarios; every deadline is derived from them. */
export const TIMING = {
  intervalMs: 1000,
  timeoutMs: 1000,
  fastMs: 200,
  fall: 2,
  rise: 2,
  drainMs: 3000,
};
/** Added to derived deadlines: an emulated CPU is slow and uneven. */
export const SLACK_MS = 5000;
/** Worst case for a master to be taken out after its fault shows (a probe in flight, fall probes). */
export const TAKE_OUT_MS =
  TIMING.intervalMs + TIMING.fall * (TIMING.timeoutMs + TIMING.fastMs) + SLACK_MS;
/** Worst case for a recovered master to come back. */
export const BRING_BACK_MS =
  TIMING.intervalMs + TIMING.rise * (TIMING.timeoutMs + TIMING.fastMs) + SLACK_MS;
export const METRICS = '127.0.0.1:19299';

export interface Vip {
  address: string;
  port: number;
  /** "10.103.97.2:6443" or "[fd00::2]:6443", as ipvsadm names it. */
  text: string;
}

export const vip4: Vip = { address: '10.103.97.2', port: 6443, text: '10.103.97.2:6443' };
export const vip6: Vip = { address: 'fd00:103::2', port: 6443, text: '[fd00:103::2]:6443' };

export const masterText = (m: Master, v6 = false): string =>
  v6 ? `[${m.ip6}]:${m.port}` : `${m.ip}:${m.port}`;

export function careArgs(topo: Topology, vip: Vip, extra: string[] = [], v6 = false): string[] {
  return [
    'care',
    '--vs',
    vip.text,
    ...topo.masters.flatMap((m) => ['--rs', masterText(m, v6)]),
    '--interval',
    `${TIMING.intervalMs}ms`,
    '--health-timeout',
    `${TIMING.timeoutMs}ms`,
    '--fast-interval',
    `${TIMING.fastMs}ms`,
    '--fall',
    String(TIMING.fall),
    '--rise',
    String(TIMING.rise),
    '--drain-timeout',
    `${TIMING.drainMs}ms`,
    '--health-ca-file',
    topo.caCert,
    '--metrics-address',
    METRICS,
    ...extra,
  ];
}

/**
 * Starts lvscare care and waits until its endpoint reports every master in `up` (give none to
 * skip): under an emulated CPU the first TLS handshakes can outlast the probe timeout, and a
 * scenario must start from a settled daemon, not from its cold start.
 */
export async function startCare(args: string[], upMasters: string[] = []): Promise<LvscareProcess> {
  const p = new LvscareProcess(args);
  await p.waitForLog((l) => l.msg === 'lvscare care started', 30_000);
  if (upMasters.length > 0) {
    const settled = await waitForAsync(async () => {
      const text = await (await fetch(`http://${METRICS}/metrics`)).text();
      return upMasters.every((m) =>
        text.includes(`lvscare_master_state{master="${m}",state="up"} 1`),
      );
    }, 60_000);
    if (!settled)
      throw new Error(`masters not all up within 60s:\n${p.stderrText.slice(-10).join('\n')}`);
  }
  return p;
}

async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      if (await check()) return true;
    } catch {
      // endpoint not answering yet
    }
    await sleep(200);
  }
  return false;
}

export const weights = (vip: Vip): Map<string, number> =>
  destinationWeights(vip.text) ?? new Map<string, number>();

export function weightOf(vip: Vip, dest: string): number | undefined {
  return weights(vip).get(dest);
}

/** Waits until every listed destination has the given weight (undefined: absent). */
export function waitWeights(
  vip: Vip,
  want: Record<string, number | undefined>,
  timeoutMs: number,
): Promise<number | undefined> {
  return waitFor(
    () => {
      const w = weights(vip);
      return Object.entries(want).every(([d, x]) => w.get(d) === x);
    },
    timeoutMs,
    25,
  );
}

/** Waits until `dest` takes no new connection: weight 0, or removed. */
export function waitTakenOut(
  vip: Vip,
  dest: string,
  timeoutMs: number,
): Promise<number | undefined> {
  return waitFor(() => (weights(vip).get(dest) ?? 0) === 0, timeoutMs, 25);
}

export function waitAllAt(
  vip: Vip,
  dests: string[],
  weight: number,
  timeoutMs: number,
): Promise<number | undefined> {
  return waitWeights(vip, Object.fromEntries(dests.map((d) => [d, weight])), timeoutMs);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a client through the VIP around `body`; returns it stopped, for counting. */
export async function withClient(
  vip: Vip,
  body: (client: VipClient) => Promise<void>,
  ratePerSecond = 50,
): Promise<VipClient> {
  const client = new VipClient(vip.address, vip.port, ratePerSecond);
  client.start();
  try {
    await body(client);
  } finally {
    await client.stop();
  }
  return client;
}

export async function stopCare(p: LvscareProcess | undefined): Promise<void> {
  if (!p) return;
  p.kill('SIGTERM');
  await p.exited;
}

export function resetKernel(): void {
  clearIpvs();
}

/**
 * The topology of a scenario file, built before its tests with every master serving, torn down
 * after them. `teardown` (stop the daemon, remove what the file added) runs first: a daemon still
 * alive after the reset would put its rules back.
 */
export function scenarioTopology(teardown: () => Promise<void> | void = () => {}): Topology {
  const topo = new Topology();
  before(async () => {
    assertKernelTier();
    resetKernel();
    topo.build();
    for (const m of topo.masters) await topo.startMaster(m);
  });
  after(async () => {
    await teardown();
    topo.destroy();
    resetKernel();
  });
  return topo;
}
