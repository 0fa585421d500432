// kha join: preflight, hosts entry, IPVS rules, static pod, kubeadm join, summary. Every step
// leaves the node in a state the next run picks up from, so an interruption anywhere is repaired
// by running the same command again.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, VERSION, formatEndpoint, writeFileAtomically } from '@kha/lvscare';
import { hostPrefixLength } from '@kha/netlink-ffi';
import { MODULES_LOAD_FILE, SYSCTL_FILE } from './boot-config.js';
import { APISERVER_NAME, entryLine } from './hosts-file.js';
import { addHostsEntry, hostsEntryNeeded } from './hosts-step.js';
import { kubeadmJoinArgs, onlyOurManifest, runKubeadm } from './kubeadm.js';
import { findOnPath, preflight } from './preflight.js';
import { redactArgs } from './redact.js';
import { installRules } from './rules-step.js';
import type { KhaSettings } from './settings.js';
import {
  type JoinRecord,
  readState,
  sameSetup,
  withJoin,
  withoutCaFile,
  writeState,
} from './state.js';
import { MANIFEST_FILE, careArgs, renderManifest } from './static-pod.js';

export interface JoinOptions {
  dryRun: boolean;
  skipKubeadm: boolean;
  kubeadmArgs: string[];
  /** Refuse when cluster-info sends kubelet elsewhere than the VIP's name (default on). */
  checkControlPlaneEndpoint?: boolean;
}

type StepName = 'preflight' | 'hosts' | 'rules' | 'manifest' | 'kubeadm';

export const MANIFEST_HEADER = `kube-lvscare static pod, written by kha ${VERSION}; kha reset removes it`;

export function manifestPath(settings: Pick<KhaSettings, 'manifestDir'>): string {
  return join(settings.manifestDir, MANIFEST_FILE);
}

/**
 * Fault injection for the kernel-tier tests: KHA_TEST_KILL_AFTER=<step> ends the process with
 * SIGKILL right after that step, the way a power cut or an OOM kill would, with no clean-up.
 */
function interruptionPoint(step: StepName): void {
  if (process.env.KHA_TEST_KILL_AFTER === step) process.kill(process.pid, 'SIGKILL');
}

/** What join sets up, for reset. */
function joinRecord(s: KhaSettings): JoinRecord {
  return {
    vip: formatEndpoint(s.vip),
    careArgs: withoutCaFile(careArgs(s).slice(1)),
    hostsFile: s.hostsFile,
    manifestPath: manifestPath(s),
    modulesLoadDir: s.modulesLoadDir,
    sysctlDir: s.sysctlDir,
    kha: VERSION,
    at: new Date().toISOString(),
  };
}

async function recordJoin(s: KhaSettings): Promise<void> {
  const record = joinRecord(s);
  const state = await readState(s.stateDir);
  if (state?.status === 'joined' && state.joins.some((j) => sameSetup(j, record))) return;
  await writeState(s.stateDir, withJoin(state, record));
}

export async function joinWorker(
  settings: KhaSettings,
  options: JoinOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const would = options.dryRun ? 'would ' : '';
  const vip = formatEndpoint(settings.vip);
  const total = 6;
  let n = 0;
  const step = (title: string) => say(`[${++n}/${total}] ${title}`);

  step('preflight');
  const checked = await preflight(settings.care, {
    needKubeadm: !options.skipKubeadm,
    kubeadmArgs: options.kubeadmArgs,
    checkControlPlaneEndpoint: options.checkControlPlaneEndpoint ?? true,
  });
  for (const w of checked.warnings) say(`  warning: ${w}`);
  if (checked.problems.length > 0) {
    for (const p of checked.problems) say(`  problem: ${p}`);
    say(`kha join: preflight found ${checked.problems.length} problem(s); nothing was changed`);
    return EXIT_FAILURE;
  }
  say('  ok');
  // Recorded before anything changes, so reset knows what to undo from any point on.
  if (!options.dryRun) await recordJoin(settings);
  interruptionPoint('preflight');

  step(`hosts file ${settings.hostsFile}`);
  if (options.dryRun) {
    say(
      (await hostsEntryNeeded(settings.hostsFile, settings.vip.address))
        ? `  would add "${entryLine(settings.vip.address)}" (backup kept once as ${settings.hostsFile}.kha-backup)`
        : '  entry already in place',
    );
  } else {
    const { changed, linkTarget } = await addHostsEntry(settings.hostsFile, settings.vip.address);
    if (linkTarget)
      say(`  ${settings.hostsFile} is a symbolic link: written through to ${linkTarget}`);
    say(changed ? `  added "${entryLine(settings.vip.address)}"` : '  entry already in place');
  }
  interruptionPoint('hosts');

  step(`IPVS rules for ${vip} (mode ${settings.care.mode})`);
  const masters = settings.masters.map(formatEndpoint).join(', ');
  if (!options.dryRun) await installRules(settings.care, settings);
  say(`  ${would}hold ${vip} -> ${masters}, scheduler ${settings.care.scheduler}`);
  say(
    `  ${would}write ${join(settings.modulesLoadDir, MODULES_LOAD_FILE)} and ${join(settings.sysctlDir, SYSCTL_FILE)} so they come back after a reboot`,
  );
  interruptionPoint('rules');

  step(`static pod ${manifestPath(settings)}`);
  if (!options.dryRun) {
    await fs.mkdir(settings.manifestDir, { recursive: true });
    const changed = await writeFileAtomically(
      manifestPath(settings),
      renderManifest(settings, MANIFEST_HEADER),
    );
    say(changed ? '  written' : '  already up to date');
  } else {
    say(`  would write kube-lvscare (image ${settings.image})`);
  }
  interruptionPoint('manifest');

  const args = kubeadmJoinArgs(settings.vip, options.kubeadmArgs, {
    onlyOurManifest:
      !options.dryRun && (await onlyOurManifest(settings.manifestDir, MANIFEST_FILE)),
  });
  step(`kubeadm ${redactArgs(args).join(' ')}`);
  let status = EXIT_OK;
  if (options.skipKubeadm) {
    say('  skipped (--skip-kubeadm)');
  } else if (options.dryRun) {
    say('  would run it');
  } else {
    status = await runKubeadm(findOnPath('kubeadm')!, args);
    say(status === 0 ? '  kubeadm join succeeded' : `  kubeadm join failed with status ${status}`);
  }
  interruptionPoint('kubeadm');

  step('summary');
  if (options.dryRun) {
    say('  dry run: nothing was changed');
    return status;
  }
  say(`  ${APISERVER_NAME} -> ${vip}, balanced by IPVS over ${masters}`);
  say(`  kube-lvscare keeps the rules right once kubelet runs it (${manifestPath(settings)})`);
  if (status === 0 && !options.skipKubeadm)
    say('  check: kubectl get nodes (from a machine with admin access)');
  if (options.skipKubeadm)
    say(
      `  next: kubeadm join ${APISERVER_NAME}:${settings.vip.port} ... (the VIP already answers)`,
    );
  say(
    `  kube-proxy in IPVS mode deletes virtual servers it does not know: give it excludeCIDRs: [${settings.vip.address}/${hostPrefixLength(settings.vip.family)}]`,
  );
  say(
    `  the masters' serving certificates need ${APISERVER_NAME} and ${settings.vip.address} in their SANs`,
  );
  return status;
}
