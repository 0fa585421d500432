// What reset would take from kubelet: a kubelet whose kubeconfig names apiserver.cluster.local
// (or the VIP) reaches the API only through the hosts entry and the VIP that reset removes, and
// the node goes NotReady. reset says so before it starts, and refuses without --force while such
// a kubelet runs. On a node kha adopted, reset puts the kubeconfig back itself first.
import { promises as fs } from 'node:fs';
import { parseKubeconfig } from '@kha/lvscare';
import { readIfPresent } from './file-plan.js';
import { APISERVER_NAME } from './hosts-file.js';

export interface KubeletFacts {
  kubeconfig: string;
  /** The kubeconfig's server, when it could be read. */
  server: URL | undefined;
  /** kubelet's pids. */
  running: number[];
}

export type ApiPathVerdict =
  { kind: 'clear' } | { kind: 'warn'; line: string } | { kind: 'refuse'; line: string };

/** Pure: what reset must say, from kubelet's facts and the VIPs it removes. */
export function apiPathVerdict(
  facts: KubeletFacts,
  vips: string[],
  force: boolean,
): ApiPathVerdict {
  const host = facts.server?.hostname.replace(/^\[|\]$/g, '');
  if (!facts.server || !(host === APISERVER_NAME || vips.includes(host ?? '')))
    return { kind: 'clear' };
  const what = `kubelet's kubeconfig ${facts.kubeconfig} names ${facts.server.origin}, which reaches the API only through the hosts entry and the VIP that reset removes`;
  if (facts.running.length === 0)
    return { kind: 'warn', line: `${what}: once kubelet starts, the node goes NotReady` };
  if (force)
    return {
      kind: 'warn',
      line: `${what}; kubelet runs (pid ${facts.running.join(', ')}) and the node goes NotReady (--force)`,
    };
  return {
    kind: 'refuse',
    line: `${what}, and kubelet runs (pid ${facts.running.join(', ')}): the node would go NotReady. Point its server at a master first (then systemctl restart kubelet), or give --force`,
  };
}

async function kubeletPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readIfPresent(`/proc/${entry}/comm`).catch(() => undefined);
    if (comm?.toString('utf8').trim() === 'kubelet') pids.push(Number(entry));
  }
  return pids;
}

/** kubelet's facts as the node shows them now. */
export async function kubeletFacts(kubeconfig: string): Promise<KubeletFacts> {
  const text = await readIfPresent(kubeconfig);
  let server: URL | undefined;
  try {
    server = text && (await parseKubeconfig(text.toString('utf8'), kubeconfig)).server;
  } catch {
    server = undefined; // unreadable as a kubeconfig: nothing kha can tell about it
  }
  return { kubeconfig, server: server || undefined, running: await kubeletPids() };
}
