// kha reset: undoes what join recorded in kha's state file, exactly, whatever happened to the
// manifest since. The static pod goes first (moved out of kubelet's directory into the state
// directory) and its daemon is waited for, so nothing puts back what the following steps take
// out; then the rules and their boot files, then the hosts entry (the hosts file comes back byte
// for byte when nobody edited it since); the moved manifest and the record go last, so a reset
// interrupted anywhere is finished by running it again.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type CareConfig, EXIT_FAILURE, EXIT_OK, VERSION, careConfigFromArgs } from '@kha/lvscare';
import yaml from 'js-yaml';
import { removeHostsEntry } from './hosts-step.js';
import { manifestPath } from './join.js';
import { removeRules } from './rules-step.js';
import { waitForCareToStop } from './running-care.js';
import type { Paths } from './settings.js';
import {
  type JoinRecord,
  type KhaState,
  readState,
  statePath,
  withoutCaFile,
  writeState,
} from './state.js';

const REMOVED_MANIFEST = 'kube-lvscare.yaml.removed';

/** lvscare's arguments in a manifest kha wrote, or undefined when there is none. */
async function manifestCareArgs(path: string): Promise<string[] | undefined> {
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

function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
  }
  return undefined;
}

/** A record for a join made by a kha that kept no state: what its manifest says. */
function legacyRecord(paths: Paths, args: string[]): JoinRecord {
  const careArgs = withoutCaFile(args);
  return {
    vip: flagValue(careArgs, '--vs') ?? '',
    careArgs,
    hostsFile: paths.hostsFile,
    manifestPath: manifestPath(paths),
    modulesLoadDir: paths.modulesLoadDir,
    sysctlDir: paths.sysctlDir,
    kha: 'unknown (no state file)',
    at: 'unknown',
  };
}

export interface ResetOptions {
  waitMs: number;
  dryRun: boolean;
  stateDir: string;
}

type Plan =
  | { kind: 'records'; joins: JoinRecord[]; note: string | undefined }
  | { kind: 'done' }
  | { kind: 'unknown'; why: string };

/** What to undo: the state's records; an older kha's manifest; or nothing known. */
export async function resetPlan(paths: Paths, stateDir: string): Promise<Plan> {
  const state = await readState(stateDir);
  if (state?.status === 'joined' && state.joins.length > 0)
    return { kind: 'records', joins: state.joins, note: undefined };
  const args = await manifestCareArgs(manifestPath(paths));
  if (args)
    return {
      kind: 'records',
      joins: [legacyRecord(paths, args)],
      note: `no join recorded in ${statePath(stateDir)}: undoing what ${manifestPath(paths)} says`,
    };
  if (state?.status === 'reset') return { kind: 'done' };
  return {
    kind: 'unknown',
    why: `no join recorded in ${statePath(stateDir)} and no kube-lvscare manifest at ${manifestPath(paths)}: cannot know what to undo. If kha join ran with --state-dir or --manifest-dir, give reset the same; nothing was changed`,
  };
}

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

export async function resetWorker(
  paths: Paths,
  options: ResetOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  if (process.getuid?.() !== 0) {
    say('kha reset must run as root: run it with sudo; nothing was changed');
    return EXIT_FAILURE;
  }
  const plan = await resetPlan(paths, options.stateDir);
  if (plan.kind === 'unknown') {
    say(`kha reset: ${plan.why}`);
    return EXIT_FAILURE;
  }
  if (plan.kind === 'done') {
    say(`kha reset: nothing to undo (${statePath(options.stateDir)} records a completed reset)`);
    return EXIT_OK;
  }
  if (plan.note) say(`note: ${plan.note}`);
  const joins = plan.joins;
  const configs: CareConfig[] = [];
  for (const j of joins) configs.push(await careConfigFromArgs([...j.careArgs, '--clean']));
  const would = options.dryRun ? 'would ' : '';
  const vips = joins.map((j) => j.vip);
  const parked = join(options.stateDir, REMOVED_MANIFEST);

  say(`[1/5] static pod ${[...new Set(joins.map((j) => j.manifestPath))].join(', ')}`);
  for (const path of new Set(joins.map((j) => j.manifestPath))) {
    if (options.dryRun) {
      say(`  would move it to ${parked} (kubelet stops lvscare)`);
      continue;
    }
    await fs.mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const moved = await moveAside(path, parked);
    say(moved ? `  moved to ${parked}; kubelet stops lvscare` : '  already gone');
  }

  say(`[2/5] lvscare for ${vips.join(', ')} stopped`);
  if (!options.dryRun) {
    for (const vip of vips) {
      const left = await waitForCareToStop(vip, options.waitMs);
      if (left.length > 0) {
        say(
          `kha reset: lvscare for ${vip} still runs (pid ${left.join(', ')}) ${options.waitMs / 1000} s after its manifest went; stop it (or kubelet), then run kha reset again`,
        );
        return EXIT_FAILURE;
      }
    }
  }
  say('  none running');

  say(`[3/5] IPVS rules for ${vips.join(', ')} and the mode set-up`);
  for (const [i, j] of [...joins.entries()].reverse()) {
    if (!options.dryRun) await removeRules(configs[i]!, { ...paths, ...j });
    say(
      `  ${would}remove ${j.vip} (mode ${configs[i]!.mode}) and kha's files in ${j.modulesLoadDir} and ${j.sysctlDir}`,
    );
  }

  const latest = joins[joins.length - 1]!;
  say(`[4/5] hosts file ${latest.hostsFile}`);
  if (options.dryRun) {
    say('  would take the entry out (byte for byte the file from before join when unedited)');
  } else {
    // The latest VIP's entry is the one in the file; earlier ones were re-pointed by later joins.
    for (const [i, j] of [...joins.entries()].reverse()) {
      const r = await removeHostsEntry(j.hostsFile, configs[i]!.vip.address);
      if (j !== latest && r.result === 'unchanged') continue;
      if (r.linkTarget)
        say(`  ${j.hostsFile} is a symbolic link: written through to ${r.linkTarget}`);
      say(
        {
          restored: '  restored as it was before kha join',
          'entry removed': '  entry removed; edits made since join kept',
          unchanged: '  no entry: nothing to do',
        }[r.result],
      );
      if (r.backupKept)
        say(`  the copy from before join is kept as ${r.backupKept}: compare, then delete it`);
    }
  }

  say(`[5/5] kha's record ${statePath(options.stateDir)}`);
  if (options.dryRun) {
    say('  would mark it reset, and delete the moved manifest');
    say('  dry run: nothing was changed');
    return EXIT_OK;
  }
  await fs.rm(parked, { force: true });
  const done: KhaState = { version: 1, status: 'reset', joins: [] };
  await writeState(options.stateDir, done);
  say(`  marked reset (kha ${VERSION}); the moved manifest deleted`);
  return EXIT_OK;
}
