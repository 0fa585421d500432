// A `kha join` or `kha adopt` cut short: the same steps and record the CLI runs, planned and
// recorded as the command does, the first N applied, then the process killed with SIGKILL, the way
// a power cut or the OOM killer ends it: no clean-up, no finally. Run as
//   node steps-interrupted.js '{"command":"join"|"adopt","after":N,"values":{...flag values},
//     "paths":{...},"kubeadmArgs":[...],"kubeconfig":PATH}'
import { adoptPlan, joinPlan, podSettings } from '@kha/installer';

interface Cut {
  command: 'join' | 'adopt';
  after: number;
  values: Record<string, unknown>;
  paths: {
    manifestDir: string;
    hostsFile: string;
    modulesLoadDir: string;
    sysctlDir: string;
    stateDir: string;
  };
  /** join's kubeadm arguments. */
  kubeadmArgs?: string[];
  /** adopt's kubelet kubeconfig. */
  kubeconfig?: string;
}

const cut = JSON.parse(process.argv[2]!) as Cut;
const settings = { ...(await podSettings(cut.values)), ...cut.paths };
const { steps, record } =
  cut.command === 'join'
    ? joinPlan(settings, { skipKubeadm: false, kubeadmArgs: cut.kubeadmArgs ?? [] })
    : await adoptPlan(settings, {
        force: false,
        kubeconfig: cut.kubeconfig!,
        restartKubelet: true,
      });
for (const s of steps) await s.plan();
await record.write();
for (const s of steps.slice(0, cut.after)) {
  await s.apply();
  process.stdout.write(`applied ${s.name}\n`);
}
process.kill(process.pid, 'SIGKILL');
