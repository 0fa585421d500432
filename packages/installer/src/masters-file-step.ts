// lvscare's memory of the masters it discovered (--discover-state-file): kha rewrites it when it
// names other masters than the ones given (left as it was, a restart during an API outage would
// bring back masters the operator has just removed, or another cluster's), and reset removes it
// so that a later join never starts from this cluster's masters.
import { promises as fs } from 'node:fs';
import {
  formatEndpoint,
  readMastersState,
  renderMastersState,
  writeMastersState,
} from '@kha/lvscare';
import type { Deployment } from './deployment.js';
import { textIfPresent } from './file-plan.js';
import type { Step } from './step.js';
import { unifiedDiff } from './unified-diff.js';

export function mastersFileStep(deployment: Pick<Deployment, 'care'>): Step {
  const file = deployment.care.discovery?.stateFile;
  const masters = deployment.care.realServers;
  /** The file's text when it lists other masters than the given ones; lvscare seeds an absent one. */
  const stale = async (): Promise<string | undefined> => {
    if (!file) return undefined;
    const text = await textIfPresent(file);
    if (text === undefined) return undefined;
    const read = readMastersState(file, deployment.care.vip.family);
    const same =
      'masters' in read &&
      read.masters.map(formatEndpoint).sort().join() === masters.map(formatEndpoint).sort().join();
    return same ? undefined : text;
  };
  return {
    name: 'masters-file',
    title: `lvscare's discovered masters ${file ?? '(no discovery)'}`,
    async plan() {
      const text = await stale();
      return text === undefined || !file
        ? []
        : unifiedDiff(file, text, renderMastersState(masters, new Date()));
    },
    async apply() {
      if (!file || (await stale()) === undefined) return ['nothing to change'];
      await writeMastersState(file, masters);
      return [`written with ${masters.map(formatEndpoint).join(', ')}`];
    },
    async undoPlan() {
      if (!file) return [];
      const text = await textIfPresent(file);
      return text === undefined ? [] : unifiedDiff(file, text, undefined);
    },
    async undo() {
      if (!file || (await textIfPresent(file)) === undefined) return ['nothing to remove'];
      await fs.rm(file, { force: true });
      return [`removed ${file}`];
    },
  };
}
