// A kube-lvscare.yaml that kha did not write (sealos writes one by that name) is never replaced
// unasked: join and update refuse it by name; with --force it is kept beside kha's record, and
// reset puts it back. kha's own manifests are known by their first line, not by the record: the
// record is written before the first change, so it cannot tell whether this file came before it.
import { promises as fs } from 'node:fs';
import { writeFileAtomically } from '@kha/lvscare';
import { type Deployment, besideRecord } from './deployment.js';
import { readIfPresent } from './file-plan.js';
import { writtenByKha } from './manifest-step.js';
import { MANIFEST_FILE } from './static-pod.js';
import { Refusal, type Step } from './step.js';

const foreignManifestCopy = (d: Pick<Deployment, 'stateDir'>): string =>
  besideRecord(d, `${MANIFEST_FILE}.foreign`);

export function foreignManifestStep(
  deployment: Pick<Deployment, 'manifestPath' | 'stateDir'>,
  options: { force: boolean },
): Step {
  const path = deployment.manifestPath;
  const copy = foreignManifestCopy(deployment);
  /** The foreign manifest's bytes, or undefined when the file is kha's (or absent). */
  const foreign = async (): Promise<Buffer | undefined> => {
    const bytes = await readIfPresent(path);
    if (bytes === undefined || writtenByKha(bytes.toString('utf8'))) return undefined;
    return bytes;
  };
  return {
    name: 'foreign-manifest',
    title: `a kube-lvscare manifest kha did not write`,
    async plan() {
      const bytes = await foreign();
      if (!bytes) return [];
      if (!options.force)
        throw new Refusal(
          `${path} was not written by kha (no kha header, no record of it; sealos writes one by that name): remove that lvscare yourself, or give --force to replace it (kha keeps it as ${copy} and kha reset puts it back)`,
        );
      const kept = await readIfPresent(copy);
      if (kept && !kept.equals(bytes))
        throw new Refusal(
          `${copy} already keeps another foreign manifest than ${path}: compare them, keep what you need elsewhere, remove ${copy}, then run again`,
        );
      return [`keep ${path} as ${copy}; the static pod step replaces it; kha reset puts it back`];
    },
    async apply() {
      const bytes = await foreign();
      if (!bytes || !options.force) return ['none'];
      await fs.mkdir(deployment.stateDir, { recursive: true, mode: 0o700 });
      await writeFileAtomically(copy, bytes, { mode: 0o600 });
      return [`kept as ${copy}`];
    },
    async undoPlan() {
      return (await readIfPresent(copy)) ? [`put ${copy} back as ${path}`] : [];
    },
    async undo() {
      const bytes = await readIfPresent(copy);
      if (!bytes) return [];
      if (await readIfPresent(path))
        return [`${path} exists again: ${copy} is left for you to compare`];
      await writeFileAtomically(path, bytes, { mode: 0o600 });
      await fs.rm(copy);
      return [`put back as ${path}`];
    },
  };
}
