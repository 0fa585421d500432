// The kube-lvscare static pod as a step: written whole (a diff first with --dry-run); undone by
// moving it out of kubelet's directory and waiting for kubelet to stop lvscare, so that nothing
// puts back what the following undos take out.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { VERSION, formatEndpoint, writeFileAtomically } from '@kha/lvscare';
import { type Deployment, besideRecord } from './deployment.js';
import { textIfPresent } from './file-plan.js';
import { runningCare, waitForCareToStop } from './running-care.js';
import { MANIFEST_FILE } from './static-pod.js';
import { type Step, StepFailed } from './step.js';
import { unifiedDiff } from './unified-diff.js';

const MADE_BY = 'kube-lvscare static pod, written by kha';
export const MANIFEST_HEADER = `${MADE_BY} ${VERSION}; kha reset removes it`;

/** Whether a manifest's text is one kha wrote (any version): its first line says so. */
export const writtenByKha = (text: string): boolean => text.startsWith(`# ${MADE_BY} `);

export function manifestPath(settings: { manifestDir: string }): string {
  return join(settings.manifestDir, MANIFEST_FILE);
}

/** Where reset parks the manifest until the record says reset. */
export const parkedManifest = (d: Pick<Deployment, 'stateDir'>): string =>
  besideRecord(d, `${MANIFEST_FILE}.removed`);

async function moveAside(from: string, to: string): Promise<boolean> {
  try {
    await fs.rename(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV') throw err;
  }
  await fs.copyFile(from, to);
  await fs.rm(from);
  return true;
}

export function manifestStep(
  deployment: Pick<Deployment, 'care' | 'manifest' | 'manifestPath' | 'stateDir'>,
  options: { waitMs: number },
): Step {
  const path = deployment.manifestPath;
  const vip = formatEndpoint(deployment.care.vip);
  const wanted = (): string => {
    if (deployment.manifest === undefined) throw new Error(`no manifest to write for ${vip}`);
    return deployment.manifest;
  };
  const parked = parkedManifest(deployment);
  return {
    name: 'manifest',
    title: `static pod ${path}`,
    async plan() {
      return unifiedDiff(path, await textIfPresent(path), wanted());
    },
    async apply() {
      await fs.mkdir(join(path, '..'), { recursive: true });
      return [(await writeFileAtomically(path, wanted())) ? 'written' : 'already up to date'];
    },
    async undoPlan() {
      const present = (await textIfPresent(path)) !== undefined;
      const pids = await runningCare(vip);
      return [
        ...(present ? [`move it to ${parked}; kubelet stops lvscare`] : []),
        pids.length > 0
          ? `lvscare for ${vip} runs now (pid ${pids.join(', ')}): reset waits up to ${options.waitMs / 1000} s for it to stop`
          : `no lvscare for ${vip} runs now`,
      ];
    },
    async undo() {
      await fs.mkdir(deployment.stateDir, { recursive: true, mode: 0o700 });
      const moved = await moveAside(path, parked);
      const left = await waitForCareToStop(vip, options.waitMs);
      if (left.length > 0)
        throw new StepFailed(
          `lvscare for ${vip} still runs (pid ${left.join(', ')}) ${options.waitMs / 1000} s after its manifest went; stop it (or kubelet), then run kha reset again`,
        );
      return [moved ? `moved to ${parked}; lvscare stopped` : 'already gone; no lvscare runs'];
    },
  };
}
