// kha update: the node follows a changed control plane without discovery (or corrects what
// discovery remembers): the static pod is rewritten with the new masters, and lvscare's state
// file too, each atomically. kubelet sees the manifest change and restarts the pod, whose
// lvscare then adds the new masters and drains the ones no longer listed.
import { promises as fs } from 'node:fs';
import { EXIT_FAILURE, EXIT_OK, formatEndpoint, writeMastersState } from '@kha/lvscare';
import { writeFileAtomically } from './atomic-write.js';
import { MANIFEST_HEADER, manifestPath } from './join.js';
import type { PodSettings } from './settings.js';
import { renderManifest } from './static-pod.js';

export interface UpdateOptions {
  manifestDir: string;
  dryRun: boolean;
}

const exists = (path: string): Promise<boolean> =>
  fs.stat(path).then(
    () => true,
    () => false,
  );

export async function kubeadmUpdate(
  s: PodSettings,
  o: UpdateOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const manifest = manifestPath(o);
  const masters = s.masters.map(formatEndpoint).join(', ');
  if (!(await exists(manifest))) {
    say(
      `kha update: no ${manifest}: this node was not joined by kha (run kha join); nothing changed`,
    );
    return EXIT_FAILURE;
  }
  if (o.dryRun) {
    say(`would write ${manifest} with masters ${masters}`);
  } else {
    const changed = await writeFileAtomically(manifest, renderManifest(s, MANIFEST_HEADER));
    say(changed ? `${manifest}: written, masters ${masters}` : `${manifest}: already up to date`);
  }
  // Discovery's memory: left as it was, a restart during an API outage would bring back masters
  // the operator has just removed.
  const state = s.discovery?.stateFile;
  if (state && (await exists(state))) {
    if (o.dryRun) say(`would write ${state} with the same masters`);
    else
      say(
        (await writeMastersState(state, s.masters))
          ? `${state}: written`
          : `${state}: already up to date`,
      );
  }
  if (!o.dryRun) say('kubelet restarts kube-lvscare with the new manifest');
  return EXIT_OK;
}
