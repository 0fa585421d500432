// kha join's preflight: what must hold before anything is changed. Problems stop the join;
// warnings (masters still starting) do not.
import { request } from 'node:https';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type CareConfig, type Endpoint, formatEndpoint } from '@kha/lvscare';
import { IpvsClient, RouteClient } from '@kha/netlink-ffi';
import { vipConflicts } from './vip-conflicts.js';

export interface PreflightResult {
  problems: string[];
  warnings: string[];
}

/** The first executable `name` on PATH. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** GET https://master/healthz without verification: the CA is not on the node before join. */
function healthz(master: Endpoint, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: master.address,
        port: master.port,
        path: '/healthz',
        rejectUnauthorized: false,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? undefined : `answered ${res.statusCode}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    req.end();
  });
}

export async function preflight(
  config: CareConfig,
  options: { needKubeadm: boolean; probeTimeoutMs?: number },
): Promise<PreflightResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (process.getuid?.() !== 0) problems.push('kha join must run as root: run it with sudo');
  try {
    const ipvs = await IpvsClient.open();
    await ipvs.close();
  } catch (err) {
    problems.push((err as Error).message);
  }
  try {
    const rt = RouteClient.open();
    try {
      const [links, addresses, routes] = [
        await rt.links(),
        await rt.addresses(config.vip.family),
        await rt.routes(config.vip.family),
      ];
      problems.push(...vipConflicts(config.vip, { links, addresses, routes }, config.iface));
    } finally {
      await rt.close();
    }
  } catch (err) {
    problems.push(`cannot read this node's addresses and routes: ${(err as Error).message}`);
  }
  if (options.needKubeadm && !findOnPath('kubeadm'))
    problems.push('kubeadm is not on PATH: install it (or give --skip-kubeadm to join later)');
  const answers = await Promise.all(
    config.realServers.map((m) => healthz(m, options.probeTimeoutMs ?? 3000)),
  );
  config.realServers.forEach((m, i) => {
    if (answers[i])
      warnings.push(
        `master ${formatEndpoint(m)} /healthz: ${answers[i]} (continuing: it may still be starting)`,
      );
  });
  return { problems, warnings };
}
