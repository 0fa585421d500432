// kubelet reads its kubeconfig only when it starts: after adopt (or its undo) changes the file,
// kubelet is restarted the way kubeadm's own hints say, with systemd.
import { spawnSync } from 'node:child_process';
import { StepFailed } from './step.js';

export const RESTART_KUBELET = ['systemctl', 'restart', 'kubelet'];

/** Restarts kubelet, or only says how when the operator restarts it. */
export function restartKubelet(restart: boolean): string[] {
  const command = RESTART_KUBELET.join(' ');
  if (!restart) return [`kubelet reads it when it starts: run ${command}`];
  const r = spawnSync(RESTART_KUBELET[0]!, RESTART_KUBELET.slice(1), { encoding: 'utf8' });
  if (r.error) throw new StepFailed(`${command}: ${r.error.message}; run it yourself`);
  if (r.status !== 0)
    throw new StepFailed(`${command} exited ${r.status}: ${r.stderr.trim()}; run it yourself`);
  return [`ran ${command}`];
}
