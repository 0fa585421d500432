// kha reset: the undos of the steps kha's record names, last step first, for each recorded join
// (the latest first), whatever happened to the manifest since. The static pod's undo waits for
// kubelet to stop lvscare, so nothing puts back what the following undos take out; the record is
// marked reset last, so a reset interrupted anywhere is finished by running it again.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, VERSION, parseEndpoint } from '@kha/lvscare';
import { apiPathVerdict, kubeletFacts } from './api-path.js';
import yaml from 'js-yaml';
import { type Deployment, recordedDeployment } from './deployment.js';
import { foreignManifestStep } from './foreign-manifest.js';
import { hostsStep } from './hosts-step.js';
import { kubeadmStep } from './kubeadm.js';
import { kubeconfigStep } from './kubeconfig-step.js';
import { manifestPath, manifestStep, parkedManifest } from './manifest-step.js';
import { mastersFileStep } from './masters-file-step.js';
import { rulesStep } from './rules-step.js';
import type { Paths } from './settings.js';
import {
  type JoinRecord,
  type KhaState,
  LEGACY_STEPS,
  readState,
  statePath,
  withoutCaFile,
  writeState,
} from './state.js';
import { type Step, type StepName, undoSteps } from './step.js';
import { MANIFEST_FILE } from './static-pod.js';

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
  /** false: print kubelet's restart command instead of running it. */
  restartKubelet: boolean;
  /** Take the VIP away even from a running kubelet that reaches the API through it. */
  force: boolean;
  /** The kubelet kubeconfig to look at before that. */
  kubeconfig: string;
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

/** The step a record names, built from what the record says was set up. */
function recordedStep(
  name: StepName,
  d: Deployment,
  record: JoinRecord,
  options: ResetOptions,
): Step | undefined {
  switch (name) {
    case 'preflight':
      return undefined;
    case 'foreign-manifest':
      return foreignManifestStep(d, { force: false });
    case 'hosts':
      return hostsStep(d);
    case 'rules':
      return rulesStep(d);
    case 'masters-file':
      return mastersFileStep(d);
    case 'manifest':
      return manifestStep(d, { waitMs: options.waitMs });
    case 'kubeadm':
      return kubeadmStep(d.care.vip, [], { dir: dirname(d.manifestPath), file: MANIFEST_FILE });
    case 'kubeconfig':
      if (!record.kubeconfig) throw new Error(`the record of ${record.vip} names no kubeconfig`);
      return kubeconfigStep(d.care.vip, record.kubeconfig, options);
  }
}

/** The steps a record names, in the order they were applied; reset runs their undos backwards. */
export async function recordedSteps(record: JoinRecord, options: ResetOptions): Promise<Step[]> {
  const d = await recordedDeployment(record, options.stateDir);
  return (record.steps ?? LEGACY_STEPS)
    .map((name) => recordedStep(name, d, record, options))
    .filter((s): s is Step => s !== undefined);
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
  // An adopted node's kubeconfig is put back by its own undo, before the VIP goes.
  if (!plan.joins.some((j) => j.kubeconfig)) {
    const vips = plan.joins.map((j) => parseEndpoint(j.vip)?.address ?? j.vip);
    const v = apiPathVerdict(await kubeletFacts(options.kubeconfig), vips, options.force);
    if (v.kind === 'refuse') {
      say(`kha reset: ${v.line}; nothing was changed`);
      return EXIT_FAILURE;
    }
    if (v.kind === 'warn') say(`warning: ${v.line}`);
  }
  // The latest join first: its hosts entry is the one in the file, its manifest the one in place.
  for (const record of [...plan.joins].reverse()) {
    const steps = await recordedSteps(record, options);
    say(
      `${options.dryRun ? 'would undo' : 'undoing'} kha ${record.command ?? 'join'} of ${record.vip} (${record.at})`,
    );
    const status = await undoSteps(steps, options, say);
    if (status !== EXIT_OK) return status;
  }
  say(`kha's record ${statePath(options.stateDir)}`);
  const parked = parkedManifest(options);
  if (options.dryRun) {
    say('  would mark it reset, and delete the moved manifest');
    say('dry run: nothing was changed');
    return EXIT_OK;
  }
  await fs.rm(parked, { force: true });
  const done: KhaState = { version: 1, status: 'reset', joins: [] };
  await writeState(options.stateDir, done);
  say(`  marked reset (kha ${VERSION}); the moved manifest deleted`);
  return EXIT_OK;
}
