// kha join: preflight, a foreign manifest refused, hosts entry, IPVS rules, lvscare's masters
// file, static pod, kubeadm join; then a summary. The steps are planned first (a refusal changes
// nothing), recorded, then applied; each leaves the node in a state the next run picks up from,
// so an interruption anywhere is repaired by running the same command again.
import { EXIT_OK, VERSION, formatEndpoint } from '@kha/lvscare';
import { hostPrefixLength } from '@kha/netlink-ffi';
import type { Deployment } from './deployment.js';
import { foreignManifestStep } from './foreign-manifest.js';
import { APISERVER_NAME } from './hosts-file.js';
import { hostsStep } from './hosts-step.js';
import { kubeadmStep } from './kubeadm.js';
import { MANIFEST_HEADER, manifestPath, manifestStep } from './manifest-step.js';
import { mastersFileStep } from './masters-file-step.js';
import { formatMetricsAddress } from './metrics-address.js';
import { preflightStep } from './preflight.js';
import { rulesStep } from './rules-step.js';
import type { KhaSettings, PodSettings } from './settings.js';
import { type JoinRecord, type RecordedPod, recording, withoutCaFile } from './state.js';
import { type RecordWrite, type Step, type StepName, applySteps } from './step.js';
import { MANIFEST_FILE, careArgs, renderManifest } from './static-pod.js';

export interface JoinOptions {
  dryRun: boolean;
  skipKubeadm: boolean;
  kubeadmArgs: string[];
  /** Refuse when cluster-info sends kubelet elsewhere than the VIP's name (default on). */
  checkControlPlaneEndpoint?: boolean;
  /** Replace a kube-lvscare.yaml kha did not write (kept beside the record). */
  force?: boolean;
}

/** What the steps set up, from the flags. */
export function deploymentOf(settings: KhaSettings): Deployment {
  return {
    care: settings.care,
    manifest: renderManifest(settings, MANIFEST_HEADER),
    hostsFile: settings.hostsFile,
    manifestPath: manifestPath(settings),
    modulesLoadDir: settings.modulesLoadDir,
    sysctlDir: settings.sysctlDir,
    stateDir: settings.stateDir,
  };
}

/** The pod's flags as kha reads them, so that update can change some and keep the rest. */
function recordedPod(s: PodSettings): RecordedPod {
  return {
    vip: formatEndpoint(s.vip),
    master: s.masters.map(formatEndpoint),
    image: s.image,
    caFile: s.caFile,
    metricsAddress: formatMetricsAddress(s.metricsAddress),
    lvscareArg: s.lvscareArgs,
    discover: s.discovery !== undefined,
    ...(s.discovery && {
      kubeconfig: s.discovery.kubeconfig,
      discoverStateFile: s.discovery.stateFile,
      discoverCidr: s.discovery.cidr,
    }),
  };
}

/** What a command sets up, for reset and update. */
export function joinRecord(
  settings: KhaSettings,
  command: JoinRecord['command'],
  steps: StepName[],
): JoinRecord {
  return {
    command,
    steps,
    pod: recordedPod(settings),
    vip: formatEndpoint(settings.vip),
    careArgs: withoutCaFile(careArgs(settings).slice(1)),
    hostsFile: settings.hostsFile,
    manifestPath: manifestPath(settings),
    modulesLoadDir: settings.modulesLoadDir,
    sysctlDir: settings.sysctlDir,
    kha: VERSION,
    at: new Date().toISOString(),
  };
}

/** The steps join and adopt share: the node's side of the VIP, without kubeadm. */
export function nodeSteps(
  settings: KhaSettings,
  options: {
    command: string;
    force: boolean | undefined;
    checkControlPlaneEndpoint: boolean;
    kubeadmArgs: string[];
    needKubeadm: boolean;
  },
): Step[] {
  const d = deploymentOf(settings);
  return [
    preflightStep(settings.care, options),
    foreignManifestStep(d, { force: options.force ?? false }),
    hostsStep(d),
    rulesStep(d),
    mastersFileStep(d),
    // Nothing waits on a manifest being written; the wait is reset's.
    manifestStep(d, { waitMs: 0 }),
  ];
}

/** join's steps and its record: what `kha join` runs, and what a test can drive step by step. */
export function joinPlan(
  settings: KhaSettings,
  options: Omit<JoinOptions, 'dryRun'>,
): { steps: Step[]; record: RecordWrite } {
  const steps = [
    ...nodeSteps(settings, {
      command: 'join',
      force: options.force,
      checkControlPlaneEndpoint: options.checkControlPlaneEndpoint ?? true,
      kubeadmArgs: options.kubeadmArgs,
      needKubeadm: !options.skipKubeadm,
    }),
    ...(options.skipKubeadm
      ? []
      : [
          kubeadmStep(settings.vip, options.kubeadmArgs, {
            dir: settings.manifestDir,
            file: MANIFEST_FILE,
          }),
        ]),
  ];
  const record = joinRecord(
    settings,
    'join',
    steps.map((x) => x.name),
  );
  return { steps, record: recording(settings.stateDir, record) };
}

export async function joinWorker(
  settings: KhaSettings,
  options: JoinOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const { steps, record } = joinPlan(settings, options);
  const status = await applySteps('join', steps, record, options, say);
  if (status !== EXIT_OK || options.dryRun) return status;
  const vip = formatEndpoint(settings.vip);
  say('summary');
  say(
    `  ${APISERVER_NAME} -> ${vip}, balanced by IPVS over ${settings.masters.map(formatEndpoint).join(', ')}`,
  );
  say(`  kube-lvscare keeps the rules right once kubelet runs it (${manifestPath(settings)})`);
  if (options.skipKubeadm)
    say(
      `  next: kubeadm join ${APISERVER_NAME}:${settings.vip.port} ... (the VIP already answers)`,
    );
  else say('  check: kubectl get nodes (from a machine with admin access)');
  say(
    `  kube-proxy in IPVS mode deletes virtual servers it does not know: give it excludeCIDRs: [${settings.vip.address}/${hostPrefixLength(settings.vip.family)}]`,
  );
  say(
    `  the masters' serving certificates need ${APISERVER_NAME} and ${settings.vip.address} in their SANs`,
  );
  return status;
}
