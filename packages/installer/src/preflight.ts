// kha join's preflight: what must hold before anything is changed. Problems stop the join;
// warnings (masters still starting) do not.
import { request } from 'node:https';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type CareConfig, type Endpoint, formatEndpoint } from '@kha/lvscare';
import { IpvsClient, RouteClient } from '@kha/netlink-ffi';
import {
  CLUSTER_INFO_PATH,
  type ClusterInfo,
  caCertHash,
  caCertHashes,
  parseClusterInfo,
  serverProblem,
} from './cluster-info.js';
import { Refusal, type Step } from './step.js';
import { vipConflicts } from './vip-conflicts.js';

interface PreflightResult {
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

/** GET a master's path over HTTPS, anonymously; verified against `ca` when given. */
function fetchText(
  master: Endpoint,
  path: string,
  timeoutMs: number,
  ca: string | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: master.address,
        port: master.port,
        path,
        headers: { accept: 'application/json' },
        rejectUnauthorized: ca !== undefined,
        ...(ca !== undefined && { ca }),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = '';
        let size = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          size += chunk.length;
          if (size > 1 << 20) req.destroy(new Error('answer larger than 1 MiB'));
          else body += chunk;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`answered ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error((err as NodeJS.ErrnoException).code ?? err.message)));
    req.end();
  });
}

/** GET https://master/healthz without verification (the CA is not on the node before join): the
 * problem, or undefined when it answered 200. */
function healthz(master: Endpoint, timeoutMs: number): Promise<string | undefined> {
  return fetchText(master, '/healthz', timeoutMs, undefined).then(
    () => undefined,
    (err: Error) => err.message,
  );
}

/**
 * cluster-info from the first master that gives it, read as kubeadm does: anonymously, and, when
 * kubeadm is given CA hashes, only from a master whose CA matches one and whose certificate that
 * CA signed. Throws with every master's reason when none gives it.
 */
async function readClusterInfo(
  masters: Endpoint[],
  kubeadmArgs: readonly string[],
  timeoutMs: number,
): Promise<ClusterInfo> {
  const pins = caCertHashes(kubeadmArgs);
  const reasons: string[] = [];
  for (const m of masters) {
    try {
      const info = parseClusterInfo(await fetchText(m, CLUSTER_INFO_PATH, timeoutMs, undefined));
      if (pins.length === 0) return info;
      if (!info.caPem) throw new Error('cluster-info holds no CA to check the CA hash against');
      const hash = caCertHash(info.caPem);
      if (!pins.includes(hash))
        throw new Error(`its CA is ${hash}, not the --discovery-token-ca-cert-hash given`);
      // Read again over TLS verified against that CA: the answer is the cluster's own.
      return parseClusterInfo(await fetchText(m, CLUSTER_INFO_PATH, timeoutMs, info.caPem));
    } catch (err) {
      reasons.push(`${formatEndpoint(m)}: ${(err as Error).message}`);
    }
  }
  throw new Error(reasons.join('; '));
}

export interface PreflightOptions {
  needKubeadm: boolean;
  probeTimeoutMs?: number;
  /** kubeadm's join arguments (for the CA hash). */
  kubeadmArgs?: readonly string[];
  /** Check that cluster-info sends kubelet through the VIP's name (join's default). */
  checkControlPlaneEndpoint?: boolean;
  /** The command, for the messages. */
  command?: string;
}

async function preflight(config: CareConfig, options: PreflightOptions): Promise<PreflightResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (process.getuid?.() !== 0)
    problems.push(`kha ${options.command ?? 'join'} must run as root: run it with sudo`);
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
  if (options.checkControlPlaneEndpoint) {
    try {
      const info = await readClusterInfo(
        config.realServers,
        options.kubeadmArgs ?? [],
        options.probeTimeoutMs ?? 3000,
      );
      const problem = serverProblem(info.server, config.vip.port);
      if (problem) problems.push(problem);
    } catch (err) {
      warnings.push(
        `cluster-info could not be read from any master (${(err as Error).message}): controlPlaneEndpoint not checked`,
      );
    }
  }
  return { problems, warnings };
}

/** The preflight as the first step: its problems refuse the command; nothing to undo. */
export function preflightStep(config: CareConfig, options: PreflightOptions): Step {
  let seen: string[] | undefined;
  const check = async (): Promise<string[]> => {
    const { problems, warnings } = await preflight(config, options);
    if (problems.length > 0)
      throw new Refusal(
        [...warnings.map((w) => `warning: ${w}`), ...problems.map((p) => `problem: ${p}`)].join(
          '\n',
        ),
      );
    return (seen = [...warnings.map((w) => `warning: ${w}`), 'ok']);
  };
  return {
    name: 'preflight',
    title: 'preflight',
    plan: check,
    apply: async () => seen ?? (await check()),
    undoPlan: () => Promise.resolve([]),
    undo: () => Promise.resolve([]),
  };
}
