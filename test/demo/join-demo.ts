// The main job (npm run demo): a worker joins three masters through the VIP with kha, lvscare
// runs as kubelet would run its static pod, a master is killed, and the VIP keeps answering.
// Runs in the kernel-tier VM (or a network namespace on a host with IPVS). The node's files
// (hosts, manifests, boot files) live in a temp directory: the VM's root is read-only.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { KHA_BIN, LVSCARE_BIN } from '../support/artifact.js';
import { IMAGE_TAG } from '../support/pod.js';
import { Topology } from '../support/topology.js';

const VIP = '10.103.97.2:6443';
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (title: string, text: string) => console.log(`\n$ ${title}\n${text.trimEnd()}`);
const curl = (url: string) => {
  try {
    return sh('curl', ['-sk', '--max-time', '3', url]);
  } catch {
    return '(failed)';
  }
};

const topo = new Topology();
topo.build();
for (const m of topo.masters) await topo.startMaster(m);
console.log(`three masters up: ${topo.masters.map((m) => `${m.name} ${m.ip}:6443`).join(', ')}`);

const node = mkdtempSync(join(tmpdir(), 'kha-demo-'));
writeFileSync(join(node, 'hosts'), '127.0.0.1 localhost\n');
mkdirSync(join(node, 'manifests'));
const paths = [
  '--hosts-file',
  join(node, 'hosts'),
  '--manifest-dir',
  join(node, 'manifests'),
  '--modules-load-dir',
  join(node, 'modules-load.d'),
  '--sysctl-dir',
  join(node, 'sysctl.d'),
  '--state-dir',
  join(node, 'state'),
];
const masters = topo.masters.map((m) => m.ip);
let care: ReturnType<typeof spawn> | undefined;
try {
  const joinArgs = [
    'join',
    '--master',
    `${masters[0]}-${masters[2]}`,
    '--ca-file',
    topo.caCert,
    '--image',
    IMAGE_TAG,
  ];
  show(
    `kha ${joinArgs.join(' ')} --skip-kubeadm`,
    sh(KHA_BIN, [...joinArgs, ...paths, '--skip-kubeadm']),
  );
  show(`cat ${join(node, 'hosts')}`, readFileSync(join(node, 'hosts'), 'utf8'));
  show('ipvsadm -Ln   (an independent client reading the kernel)', sh('ipvsadm', ['-Ln']));

  // What kubelet would start from the manifest: the same arguments, the image's entrypoint.
  const pod = yaml.load(readFileSync(join(node, 'manifests', 'kube-lvscare.yaml'), 'utf8')) as {
    spec: { containers: Array<{ args: string[] }> };
  };
  const args = pod.spec.containers[0]!.args;
  console.log(`\nstarting lvscare ${args.join(' ')}   (the static pod's command)`);
  care = spawn(LVSCARE_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  care.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      try {
        const e = JSON.parse(line) as { msg: string; master?: string };
        console.log(`  [lvscare] ${e.msg}${e.master ? ` (${e.master})` : ''}`);
      } catch {
        console.log(`  [lvscare] ${line}`);
      }
    }
  });
  await sleep(6000);
  const answers = () => Array.from({ length: 6 }, () => curl(`https://${VIP}/`).trim()).join(' ');
  show(`6 x curl -k https://${VIP}/   (each answer names its master)`, answers());

  const victim = topo.masters[0]!;
  console.log(`\nkilling ${victim.name} (${victim.ip})`);
  topo.killMaster(victim);
  await sleep(3000);
  show('ipvsadm -Ln', sh('ipvsadm', ['-Ln']));
  show(`6 x curl -k https://${VIP}/`, answers());
  show(
    'curl http://127.0.0.1:9299/metrics | grep -E "master_state.* 1|fail_open|repairs"',
    curl('http://127.0.0.1:9299/metrics')
      .split('\n')
      .filter((l) => /^lvscare_(master_state\S*} 1|fail_open|repairs_total)/.test(l))
      .join('\n'),
  );
  care.kill('SIGTERM');
  await new Promise((r) => care!.once('exit', r));
  care = undefined;
  show('kha reset', sh(KHA_BIN, ['reset', ...paths]));
  show('ipvsadm -Ln', sh('ipvsadm', ['-Ln']));
  show(`cat ${join(node, 'hosts')}`, readFileSync(join(node, 'hosts'), 'utf8'));
} finally {
  care?.kill('SIGKILL');
  topo.destroy();
}
