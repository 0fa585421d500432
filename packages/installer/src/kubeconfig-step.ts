// adopt's last step: kubelet's kubeconfig pointed at https://apiserver.cluster.local:<port>, only
// once the VIP is shown to serve the API, the original kept beside kha's record; kubelet restarted
// to read it. Undone by putting the original back byte for byte, but only over exactly what adopt
// wrote: a file changed since is refused with the reason, never overwritten.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Endpoint, parseKubeconfig, writeFileAtomically } from '@kha/lvscare';
import { checkApiThroughVip } from './api-through-vip.js';
import { besideRecord } from './deployment.js';
import { readIfPresent } from './file-plan.js';
import { APISERVER_NAME } from './hosts-file.js';
import { vipServer, withServer } from './kubeconfig-server.js';
import { RESTART_KUBELET, restartKubelet } from './kubelet-service.js';
import type { KubeconfigRecord } from './state.js';
import { Refusal, type Step, StepFailed } from './step.js';
import { unifiedDiff } from './unified-diff.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What adopt does to the kubeconfig: computed before the record is written, so reset knows it. */
export interface KubeconfigChange {
  record: KubeconfigRecord;
  original: Buffer;
  rewritten: Buffer;
  /** The server the original names. */
  from: string;
}

/** The change, from the original (the copy kept by an interrupted run, else the file itself). */
export async function kubeconfigChange(
  path: string,
  stateDir: string,
  vip: Endpoint,
): Promise<KubeconfigChange> {
  const copy = besideRecord({ stateDir }, `${basename(path)}.original`);
  const original = (await readIfPresent(copy)) ?? (await readIfPresent(path));
  if (!original) throw new Refusal(`${path} does not exist: is this node joined? (--kubeconfig)`);
  let from: string;
  try {
    from = (await parseKubeconfig(original.toString('utf8'), path)).server.origin;
  } catch (err) {
    throw new Refusal(`${path}: ${(err as Error).message}`);
  }
  const to = vipServer(APISERVER_NAME, vip.port);
  const text =
    from === to ? original.toString('utf8') : withServer(original.toString('utf8'), from, to);
  if (text === undefined)
    throw new Refusal(
      `${path}: no plain "server: ${from}" line to change; point it at ${to} yourself`,
    );
  const rewritten = Buffer.from(text, 'utf8');
  return {
    record: { path, original: copy, writtenSha256: sha256(rewritten) },
    original,
    rewritten,
    from,
  };
}

const text = (b: Buffer | undefined) => b?.toString('utf8');

export function kubeconfigStep(
  vip: Endpoint,
  change: KubeconfigRecord & { adopt?: KubeconfigChange },
  options: { restartKubelet: boolean },
): Step {
  const { path, original: copy } = change;
  const to = vipServer(APISERVER_NAME, vip.port);
  const restart = RESTART_KUBELET.join(' ');
  const adopt = (): KubeconfigChange => {
    if (!change.adopt) throw new Error('kubeconfig: no change to apply');
    return change.adopt;
  };
  /** The file as it is, and whether it is what adopt wrote, or the original. */
  const current = async () => {
    const bytes = await readIfPresent(path);
    return { bytes, ours: bytes !== undefined && sha256(bytes) === change.writtenSha256 };
  };
  const changedSince = (original: Buffer | undefined) =>
    new Refusal(
      `${path} changed since kha adopt wrote it: kha will not overwrite it. The original is ${original ? copy : 'gone'}: compare, point the file where kubelet should go, then run again`,
    );
  return {
    name: 'kubeconfig',
    title: `kubelet's kubeconfig ${path} -> ${to}`,
    async plan() {
      const c = adopt();
      const { bytes, ours } = await current();
      if (ours) return [];
      if (!bytes || !bytes.equals(c.original)) throw changedSince(c.original);
      return [
        `first: GET ${to}/healthz through the VIP, its certificate verified for ${APISERVER_NAME}, kubelet's client certificate presented`,
        ...unifiedDiff(path, text(c.original), text(c.rewritten)),
        `keep the original as ${copy}; then ${restart}`,
      ];
    },
    async apply() {
      const c = adopt();
      const { bytes, ours } = await current();
      if (ours) return [`already points at ${to}`];
      if (!bytes || !bytes.equals(c.original))
        throw new StepFailed(changedSince(c.original).message);
      const credentials = await parseKubeconfig(c.rewritten.toString('utf8'), path);
      await checkApiThroughVip(vip, credentials).catch((err: Error) => {
        throw new StepFailed(
          `the VIP does not serve the API as kubelet would use it (${err.message}); ${path} still points at ${c.from}. The masters need ${APISERVER_NAME} in their certificates' SANs (docs/operator-guide.md)`,
        );
      });
      if (!(await readIfPresent(copy))) {
        await fs.mkdir(dirname(copy), { recursive: true, mode: 0o700 });
        await writeFileAtomically(copy, c.original, { mode: 0o600 });
      }
      await writeFileAtomically(path, c.rewritten);
      return [
        `the VIP serves the API; ${path} now points at ${to} (was ${c.from}, kept as ${copy})`,
        ...restartKubelet(options.restartKubelet),
      ];
    },
    async undoPlan() {
      const { bytes, ours } = await current();
      const original = await readIfPresent(copy);
      if (!original) return [];
      if (bytes?.equals(original)) return [];
      if (!ours) throw changedSince(original);
      return [...unifiedDiff(path, text(bytes), text(original)), `then ${restart}`];
    },
    async undo() {
      const { bytes, ours } = await current();
      const original = await readIfPresent(copy);
      if (!original) return ['nothing kept: nothing to put back'];
      if (bytes?.equals(original)) {
        await fs.rm(copy);
        return ['already the original'];
      }
      if (!ours) throw changedSince(original);
      await writeFileAtomically(path, original);
      await fs.rm(copy);
      return [
        `${path} is the original again, byte for byte`,
        ...restartKubelet(options.restartKubelet),
      ];
    },
  };
}
