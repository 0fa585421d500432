// kubeadm join through the VIP's name, its output streamed with secrets redacted, its exit
// status kept; join's last step.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { constants } from 'node:os';
import { pipeline } from 'node:stream/promises';
import type { Endpoint } from '@kha/lvscare';
import { APISERVER_NAME } from './hosts-file.js';
import { findOnPath } from './preflight.js';
import { redactArgs, redactingLines } from './redact.js';
import { type Step, StepFailed } from './step.js';

/** Where kubeadm looks, and the name of its check that wants that directory empty. */
const KUBEADM_MANIFEST_DIR = '/etc/kubernetes/manifests';
export const MANIFEST_DIR_CHECK = 'DirAvailable--etc-kubernetes-manifests';

/**
 * kubeadm join's arguments. kubeadm up to 1.22 refuses a non-empty manifests directory in its
 * preflight; when the only file there is kha's own manifest, that one check is skipped by name.
 */
export function kubeadmJoinArgs(
  vip: Endpoint,
  args: string[],
  options: { onlyOurManifest: boolean } = { onlyOurManifest: false },
): string[] {
  const skip = options.onlyOurManifest ? [`--ignore-preflight-errors=${MANIFEST_DIR_CHECK}`] : [];
  return ['join', `${APISERVER_NAME}:${vip.port}`, ...args, ...skip];
}

/** Whether kubeadm's manifests directory is `dir` and holds nothing but kha's file. */
export async function onlyOurManifest(dir: string, file: string): Promise<boolean> {
  if (resolve(dir) !== KUBEADM_MANIFEST_DIR) return false;
  try {
    const entries = await fs.readdir(dir);
    return entries.length === 1 && entries[0] === file;
  } catch {
    return false;
  }
}

/**
 * Runs kubeadm with its output passed on line by line with the secrets of `args` redacted; its
 * exit status, once both output streams are drained.
 */
async function runKubeadm(path: string, args: string[]): Promise<number> {
  const child = spawn(path, args, { stdio: ['inherit', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    // Killed by a signal: a failure, numbered the way a shell does (128 + signal number).
    child.once('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  });
  const shown = Promise.all([
    pipeline(child.stdout, redactingLines(args), process.stdout, { end: false }),
    pipeline(child.stderr, redactingLines(args), process.stderr, { end: false }),
  ]);
  const [status] = await Promise.all([exited, shown]);
  return status;
}

/**
 * kubeadm join as a step. kha does not undo it: kha reset leaves the node in the cluster (taking
 * a node out is `kubeadm reset` and `kubectl delete node`, the operator's call).
 */
export function kubeadmStep(
  vip: Endpoint,
  args: string[],
  manifest: { dir: string; file: string },
): Step {
  const shown = redactArgs(kubeadmJoinArgs(vip, args)).join(' ');
  return {
    name: 'kubeadm',
    title: `kubeadm ${shown}`,
    plan: () => Promise.resolve([`run kubeadm ${shown}`]),
    async apply() {
      const full = kubeadmJoinArgs(vip, args, {
        onlyOurManifest: await onlyOurManifest(manifest.dir, manifest.file),
      });
      const kubeadm = findOnPath('kubeadm');
      if (!kubeadm) throw new StepFailed('kubeadm is not on PATH');
      const status = await runKubeadm(kubeadm, full);
      if (status !== 0) throw new StepFailed(`kubeadm join failed with status ${status}`, status);
      return ['kubeadm join succeeded'];
    },
    undoPlan: () =>
      Promise.resolve(['kha leaves the node in the cluster (kubeadm reset is yours)']),
    undo: () => Promise.resolve(['kha leaves the node in the cluster (kubeadm reset is yours)']),
  };
}
