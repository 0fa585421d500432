// What the steps set up on a node, read from the flags (join, adopt, update) or from kha's record
// (reset): the same steps are built from either, so reset undoes exactly what was applied.
import { join } from 'node:path';
import { type CareConfig, careConfigFromArgs } from '@kha/lvscare';
import type { JoinRecord } from './state.js';

export interface Deployment {
  /** lvscare's configuration: the VIP, the masters, the mode, discovery's state file. */
  care: CareConfig;
  /** The kube-lvscare manifest as kha writes it; undefined when built from a record (undo only). */
  manifest: string | undefined;
  hostsFile: string;
  manifestPath: string;
  modulesLoadDir: string;
  sysctlDir: string;
  /** Where kha's record is, and what it keeps beside it. */
  stateDir: string;
}

/** What a record says was set up; enough for every undo. */
export async function recordedDeployment(
  record: JoinRecord,
  stateDir: string,
): Promise<Deployment> {
  return {
    // --clean: the masters are not needed to take the rules down.
    care: await careConfigFromArgs([...record.careArgs, '--clean']),
    manifest: undefined,
    hostsFile: record.hostsFile,
    manifestPath: record.manifestPath,
    modulesLoadDir: record.modulesLoadDir,
    sysctlDir: record.sysctlDir,
    stateDir,
  };
}

/** A file kha keeps beside its record. */
export const besideRecord = (d: Pick<Deployment, 'stateDir'>, name: string): string =>
  join(d.stateDir, name);
