// kha reset: undoes join exactly. The static pod goes first and its daemon is waited for, so
// nothing puts back what the following steps take out; then the rules and their boot files, then
// the hosts entry (the hosts file comes back byte for byte when nobody edited it since).
import { promises as fs } from 'node:fs';
import { type CareConfig, EXIT_FAILURE, EXIT_OK, careConfigOf, formatEndpoint } from '@kha/lvscare';
import yaml from 'js-yaml';
import { removeHostsEntry } from './hosts-step.js';
import { manifestPath } from './join.js';
import { removeRules } from './rules-step.js';
import { waitForCareToStop } from './running-care.js';
import type { Paths } from './settings.js';

/** lvscare's arguments in a manifest kha wrote, or undefined when there is none. */
export async function manifestCareArgs(path: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pod = yaml.load(text) as { spec?: { containers?: Array<{ args?: unknown }> } };
  const args = pod?.spec?.containers?.[0]?.args;
  if (!Array.isArray(args) || args[0] !== 'care')
    throw new Error(
      `${path} is not a kube-lvscare manifest written by kha; move it away and retry`,
    );
  return args.slice(1).map(String);
}

/** The set-up to take down: from the manifest when it is there, else from the flags. */
export async function resetConfig(
  paths: Paths,
  fromFlags: () => Promise<CareConfig>,
): Promise<CareConfig> {
  const args = await manifestCareArgs(manifestPath(paths));
  if (!args) return fromFlags();
  const kept = args.filter(
    (a, i) => a !== '--health-ca-file' && args[i - 1] !== '--health-ca-file',
  );
  return careConfigOf([...kept, '--clean']);
}

export async function kubeadmReset(
  paths: Paths,
  config: CareConfig,
  options: { waitMs: number; dryRun: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const vip = formatEndpoint(config.vip);
  if (process.getuid?.() !== 0) {
    say('kha reset must run as root: run it with sudo; nothing was changed');
    return EXIT_FAILURE;
  }
  const would = options.dryRun ? 'would ' : '';

  say(`[1/4] static pod ${manifestPath(paths)}`);
  if (!options.dryRun) await fs.rm(manifestPath(paths), { force: true });
  say(`  ${would}remove it`);

  say(`[2/4] lvscare for ${vip} stopped`);
  if (!options.dryRun) {
    const left = await waitForCareToStop(vip, options.waitMs);
    if (left.length > 0) {
      say(
        `kha reset: lvscare for ${vip} still runs (pid ${left.join(', ')}) ${options.waitMs / 1000} s after its manifest went; stop it (or kubelet), then run kha reset again`,
      );
      return EXIT_FAILURE;
    }
  }
  say('  none running');

  say(`[3/4] IPVS rules for ${vip} and the ${config.mode} mode set-up`);
  if (!options.dryRun) await removeRules(config, paths);
  say(`  ${would}remove them and kha's files in ${paths.modulesLoadDir} and ${paths.sysctlDir}`);

  say(`[4/4] hosts file ${paths.hostsFile}`);
  if (options.dryRun) {
    say('  would take the entry out (byte for byte the file from before join when unedited)');
    return EXIT_OK;
  }
  const result = await removeHostsEntry(paths.hostsFile, config.vip.address);
  say(
    {
      restored: '  restored as it was before kha join',
      'entry removed': '  entry removed; edits made since join kept',
      unchanged: '  no entry: nothing to do',
    }[result],
  );
  return EXIT_OK;
}
