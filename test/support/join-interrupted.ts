// A `kha join` cut short: the same steps and record the CLI runs, planned and recorded as join
// does, the first N applied, then the process killed with SIGKILL, the way a power cut or the
// OOM killer ends it: no clean-up, no finally. Run as
//   node join-interrupted.js '{"after":N,"values":{...flag values},"paths":{...},"kubeadmArgs":[...]}'
import { joinPlan, podSettings } from '@kha/installer';

interface Cut {
  after: number;
  values: Record<string, unknown>;
  paths: {
    manifestDir: string;
    hostsFile: string;
    modulesLoadDir: string;
    sysctlDir: string;
    stateDir: string;
  };
  kubeadmArgs: string[];
}

const cut = JSON.parse(process.argv[2]!) as Cut;
const settings = { ...(await podSettings(cut.values)), ...cut.paths };
const { steps, record } = joinPlan(settings, { skipKubeadm: false, kubeadmArgs: cut.kubeadmArgs });
for (const s of steps) await s.plan();
await record.write();
for (const s of steps.slice(0, cut.after)) {
  await s.apply();
  process.stdout.write(`applied ${s.name}\n`);
}
process.kill(process.pid, 'SIGKILL');
