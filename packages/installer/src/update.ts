// kha update: the node follows a changed control plane without discovery (or corrects what
// discovery remembers): the static pod is rewritten with the new masters, and lvscare's state
// file too, each atomically. kubelet sees the manifest change and restarts the pod, whose
// lvscare then adds the new masters and drains the ones no longer listed.
import { promises as fs } from 'node:fs';
import {
  EXIT_FAILURE,
  EXIT_OK,
  formatEndpoint,
  writeMastersState,
  writeFileAtomically,
} from '@kha/lvscare';
import { MANIFEST_HEADER, manifestPath } from './join.js';
import type { PodSettings } from './settings.js';
import { readState, sameSetup, withoutCaFile, writeState } from './state.js';
import { careArgs, renderManifest } from './static-pod.js';

export interface UpdateOptions {
  manifestDir: string;
  stateDir: string;
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
  // kha's record of the join: reset reads the VIP and the flags from it. The VIP stays what join
  // set up; another VIP is a new join (its rules, its hosts entry), not an update.
  const vip = formatEndpoint(s.vip);
  const state = await readState(o.stateDir);
  const joins = state?.status === 'joined' ? state.joins : [];
  const record = joins.find((j) => j.vip === vip);
  if (joins.length > 0 && !record) {
    say(
      `kha update: this node was joined with ${joins.map((j) => j.vip).join(', ')}, not ${vip}: give that --vip (another VIP needs kha reset, then kha join); nothing changed`,
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
  const mastersFile = s.discovery?.stateFile;
  if (mastersFile && (await exists(mastersFile))) {
    if (o.dryRun) say(`would write ${mastersFile} with the same masters`);
    else
      say(
        (await writeMastersState(mastersFile, s.masters))
          ? `${mastersFile}: written`
          : `${mastersFile}: already up to date`,
      );
  }
  if (state && record) {
    const updated = {
      ...record,
      careArgs: withoutCaFile(careArgs(s).slice(1)),
      at: new Date().toISOString(),
    };
    if (sameSetup(record, updated)) say(`${o.stateDir}: already up to date`);
    else if (o.dryRun) say(`would record the new masters in ${o.stateDir}`);
    else {
      await writeState(o.stateDir, {
        ...state,
        joins: state.joins.map((j) => (j === record ? updated : j)),
      });
      say(`${o.stateDir}: join record updated`);
    }
  }
  if (!o.dryRun) say('kubelet restarts kube-lvscare with the new manifest');
  return EXIT_OK;
}
