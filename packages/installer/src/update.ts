// kha update: the recorded join (or adopt) with only the flags given changed (--master, --image,
// --metrics-address, --lvscare-arg); everything else comes from kha's record, which is rewritten
// to match, so that reset undoes exactly what is deployed. join's steps write the manifest and
// lvscare's masters file; kubelet sees the manifest change and replaces the pod, whose lvscare
// adopts the kernel's rules as they are. The rules step is not run: the lvscare that runs owns the
// kernel's rules until kubelet replaces it, and rewriting them under it would only be fought.
import { dirname } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, careConfigFromArgs, formatEndpoint } from '@kha/lvscare';
import { foreignManifestStep } from './foreign-manifest.js';
import { hostsStep } from './hosts-step.js';
import { deploymentOf, joinRecord } from './join.js';
import { manifestStep } from './manifest-step.js';
import { mastersFileStep } from './masters-file-step.js';
import { bootFilesStep } from './rules-step.js';
import { type KhaSettings, checkPodFlags, withCare } from './settings.js';
import { type JoinRecord, LEGACY_STEPS, readState, recording, statePath } from './state.js';
import { applySteps } from './step.js';

/** The flags update takes: each one given replaces the recorded value; none given keeps it. */
export interface UpdateChanges {
  master?: string[] | undefined;
  image?: string | undefined;
  metricsAddress?: string | undefined;
  lvscareArg?: string[] | undefined;
}

export interface UpdateOptions {
  stateDir: string;
  /** Which recorded VIP ("addr:port"), when the node has several. */
  vip: string | undefined;
  dryRun: boolean;
  force: boolean;
}

/** The recorded join to update, or why there is none. */
function chosenRecord(joins: JoinRecord[], vip: string | undefined): JoinRecord | string {
  if (vip !== undefined) {
    const found = joins.find((j) => j.vip === vip);
    return found ?? `this node was joined with ${joins.map((j) => j.vip).join(', ')}, not ${vip}`;
  }
  if (joins.length === 1) return joins[0]!;
  return `this node was joined with ${joins.map((j) => j.vip).join(', ')}: give --vip to say which`;
}

export async function updateWorker(
  changes: UpdateChanges,
  options: UpdateOptions,
  out: NodeJS.WritableStream,
  warn?: (line: string) => void,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const fail = (why: string) => (say(`kha update: ${why}; nothing was changed`), EXIT_FAILURE);
  const state = await readState(options.stateDir);
  const joins = state?.status === 'joined' ? state.joins : [];
  if (joins.length === 0)
    return fail(
      `no join recorded in ${statePath(options.stateDir)}: update changes what kha join or kha adopt set up (run one of them first, or give the --state-dir they used)`,
    );
  const record = chosenRecord(joins, options.vip);
  if (typeof record === 'string') return fail(record);
  if (!record.pod)
    return fail(
      `the join of ${record.vip} was recorded by kha ${record.kha}, which kept no pod flags: run kha join again with all of them (it changes only what differs)`,
    );
  const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const pod = await withCare(checkPodFlags({ ...record.pod, ...given }), warn);
  const before = await careConfigFromArgs([...record.careArgs, '--clean']);
  if (pod.care.mode !== before.mode)
    return fail(
      `--lvscare-arg changes the mode from ${before.mode} to ${pod.care.mode}: a mode is a new set-up of the VIP (kha reset, then kha join)`,
    );
  const settings: KhaSettings = {
    ...pod,
    manifestDir: dirname(record.manifestPath),
    hostsFile: record.hostsFile,
    modulesLoadDir: record.modulesLoadDir,
    sysctlDir: record.sysctlDir,
    stateDir: options.stateDir,
  };
  const d = deploymentOf(settings);
  const steps = [
    foreignManifestStep(d, { force: options.force }),
    hostsStep(d),
    mastersFileStep(d),
    bootFilesStep(d),
    manifestStep(d, { waitMs: 0 }),
  ];
  const updated: JoinRecord = {
    ...joinRecord(settings, record.command ?? 'join', record.steps ?? LEGACY_STEPS),
    ...(record.kubeconfig && { kubeconfig: record.kubeconfig }),
  };
  const status = await applySteps(
    'update',
    steps,
    recording(options.stateDir, updated),
    options,
    say,
  );
  if (status === EXIT_OK && !options.dryRun)
    say(
      `kubelet replaces kube-lvscare (image ${pod.image}, masters ${pod.masters.map(formatEndpoint).join(', ')})`,
    );
  return status;
}
