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
  settings: PodSettings,
  options: UpdateOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const manifest = manifestPath(options);
  const masters = settings.masters.map(formatEndpoint).join(', ');
  if (!(await exists(manifest))) {
    say(
      `kha update: no ${manifest}: this node was not joined by kha (run kha join); nothing changed`,
    );
    return EXIT_FAILURE;
  }
  // kha's record of the join: reset reads the VIP and the flags from it. The VIP stays what join
  // set up; another VIP is a new join (its rules, its hosts entry), not an update.
  const vip = formatEndpoint(settings.vip);
  const state = await readState(options.stateDir);
  const joins = state?.status === 'joined' ? state.joins : [];
  const record = joins.find((j) => j.vip === vip);
  if (joins.length > 0 && !record) {
    say(
      `kha update: this node was joined with ${joins.map((j) => j.vip).join(', ')}, not ${vip}: give that --vip (another VIP needs kha reset, then kha join); nothing changed`,
    );
    return EXIT_FAILURE;
  }
  if (options.dryRun) {
    say(`would write ${manifest} with masters ${masters}`);
  } else {
    const changed = await writeFileAtomically(manifest, renderManifest(settings, MANIFEST_HEADER));
    say(changed ? `${manifest}: written, masters ${masters}` : `${manifest}: already up to date`);
  }
  // Discovery's memory: left as it was, a restart during an API outage would bring back masters
  // the operator has just removed.
  const mastersFile = settings.discovery?.stateFile;
  if (mastersFile && (await exists(mastersFile))) {
    if (options.dryRun) say(`would write ${mastersFile} with the same masters`);
    else
      say(
        (await writeMastersState(mastersFile, settings.masters))
          ? `${mastersFile}: written`
          : `${mastersFile}: already up to date`,
      );
  }
  if (state && record) {
    const updated = {
      ...record,
      careArgs: withoutCaFile(careArgs(settings).slice(1)),
      at: new Date().toISOString(),
    };
    if (sameSetup(record, updated)) say(`${options.stateDir}: already up to date`);
    else if (options.dryRun) say(`would record the new masters in ${options.stateDir}`);
    else {
      await writeState(options.stateDir, {
        ...state,
        joins: state.joins.map((j) => (j === record ? updated : j)),
      });
      say(`${options.stateDir}: join record updated`);
    }
  }
  if (!options.dryRun) say('kubelet restarts kube-lvscare with the new manifest');
  return EXIT_OK;
}
