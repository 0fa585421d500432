// kha adopt: a worker kubeadm already joined gets what join would have set up (preflight, hosts
// entry, rules, lvscare's masters file, static pod) without kubeadm; then, once the VIP is shown
// to serve the API as kubelet would use it, kubelet's kubeconfig is pointed at the VIP's name and
// kubelet restarted. Planned, recorded and applied as join is; reset undoes it all, the
// kubeconfig first.
import { EXIT_OK } from '@kha/lvscare';
import { joinRecord, nodeSteps } from './join.js';
import { kubeconfigChange, kubeconfigStep } from './kubeconfig-step.js';
import type { KhaSettings } from './settings.js';
import { recording } from './state.js';
import { type RecordWrite, Refusal, type Step, applySteps } from './step.js';

export interface AdoptOptions {
  dryRun: boolean;
  force: boolean;
  /** The kubelet kubeconfig to point at the VIP (join's --kubeconfig). */
  kubeconfig: string;
  /** false: print the restart command instead of running it. */
  restartKubelet: boolean;
}

/** adopt's steps and its record (what `kha adopt` runs, and what a test can drive step by step),
 * or the refusal of a kubeconfig adopt cannot take over. */
export async function adoptPlan(
  settings: KhaSettings,
  options: Omit<AdoptOptions, 'dryRun'>,
): Promise<{ steps: Step[]; record: RecordWrite }> {
  const change = await kubeconfigChange(options.kubeconfig, settings.stateDir, settings.vip);
  const steps = [
    ...nodeSteps(settings, {
      command: 'adopt',
      force: options.force,
      // kubelet is already joined: its kubeconfig, not cluster-info, is what adopt changes.
      checkControlPlaneEndpoint: false,
      kubeadmArgs: [],
      needKubeadm: false,
    }),
    kubeconfigStep(settings.vip, { ...change.record, adopt: change }, options),
  ];
  const record = {
    ...joinRecord(
      settings,
      'adopt',
      steps.map((s) => s.name),
    ),
    kubeconfig: change.record,
  };
  return { steps, record: recording(settings.stateDir, record) };
}

export async function adoptWorker(
  settings: KhaSettings,
  options: AdoptOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  let plan;
  try {
    plan = await adoptPlan(settings, options);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    say(`kha adopt: ${err.message}; nothing was changed`);
    return 1;
  }
  const status = await applySteps('adopt', plan.steps, plan.record, options, say);
  if (status === EXIT_OK && !options.dryRun)
    say('adopted: kubelet reaches the API through the VIP; kha reset puts it back as it was');
  return status;
}
