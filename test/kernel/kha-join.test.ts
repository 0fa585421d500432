// kha join and kha reset on a real IPVS kernel, against temporary hosts file, manifest, modules-
// load and sysctl directories, with a stand-in kubeadm first on PATH that checks, at the moment it
// runs, that the hosts entry and the IPVS rules are already there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KHA_BIN } from '../support/artifact.js';
import {
  masterText,
  resetKernel,
  scenarioTopology,
  sleep,
  vip4,
  withClient,
} from '../support/care-scenario.js';
import { ipvsadm, savedRules } from '../support/ipvsadm.js';
import { makePki } from '../support/pki.js';
import { attempt, run } from '../support/run.js';

const topo = scenarioTopology(() => {
  attempt('ip', ['link', 'del', 'lvscare']);
  attempt('nft', ['delete', 'table', 'ip', 'kha-lvscare']);
});

const HOSTS_BEFORE =
  '127.0.0.1\tlocalhost\n# a comment kept as it is  \n10.9.9.9 apiserver.cluster.local\n::1 localhost ip6-localhost';
/** The steps of a join with kubeadm: preflight, foreign manifest, hosts, rules, masters file, manifest, kubeadm. */
const JOIN_STEPS = 7;
/** adopt's steps: join's without kubeadm, then kubelet's kubeconfig. */
const ADOPT_STEPS = 7;
const IMAGE = 'registry.example.com/kha/lvscare:0.1.0';
const INTERRUPTED = fileURLToPath(new URL('../support/steps-interrupted.js', import.meta.url));

interface Node {
  dir: string;
  hosts: string;
  manifests: string;
  flags: string[];
  kubeadmLog: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh "node": its files in a temp dir, and a kubeadm that checks the VIP is ready. */
function freshNode(): Node {
  const dir = mkdtempSync(join(tmpdir(), 'kha-node-'));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, HOSTS_BEFORE);
  chmodSync(hosts, 0o644);
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const kubeadmLog = join(dir, 'kubeadm.log');
  // The stand-in: records its arguments and prints them on both its outputs (as kubeadm at a
  // high --v prints its configuration, token included), then fails (status 3) unless the hosts
  // entry and the virtual server with every master are already in place.
  writeFileSync(
    join(bin, 'kubeadm'),
    `#!/bin/sh
printf '%s\\n' "$*" >> "${kubeadmLog}"
printf 'kubeadm out: %s\\n' "$*"
printf 'kubeadm err: %s' "$*" >&2
grep -q '^${vip4.address} apiserver.cluster.local ' "${hosts}" || { echo "kubeadm: no hosts entry" >&2; exit 3; }
rules=$(ipvsadm -Ln -t ${vip4.text}) || { echo "kubeadm: no virtual server" >&2; exit 3; }
for m in ${topo.masters.map((m) => masterText(m)).join(' ')}; do
  echo "$rules" | grep -q " $m " || { echo "kubeadm: $m missing" >&2; exit 3; }
done
echo "kubeadm: VIP ready" >> "${kubeadmLog}"
exit \${KUBEADM_STATUS:-0}
`,
  );
  chmodSync(join(bin, 'kubeadm'), 0o755);
  const flags = [
    '--hosts-file',
    hosts,
    '--manifest-dir',
    manifests,
    '--modules-load-dir',
    join(dir, 'modules-load.d'),
    '--sysctl-dir',
    join(dir, 'sysctl.d'),
    '--state-dir',
    join(dir, 'state'),
  ];
  return { dir, hosts, manifests, flags, kubeadmLog, env: { PATH: `${bin}:${process.env.PATH}` } };
}

function kha(node: Node, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(KHA_BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ...node.env, ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const masterFlags = () => topo.masters.flatMap((m) => ['--master', m.ip]);
const TOKEN = 'abcdef.0123456789abcdef';

/** sha256 of the cluster CA's public key, by kubeadm's documented openssl recipe. */
function caCertHash(): string {
  const pub = spawnSync('openssl', ['x509', '-pubkey', '-noout', '-in', topo.caCert]).stdout;
  const der = spawnSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub }).stdout;
  const hex = spawnSync('openssl', ['dgst', '-sha256', '-hex'], { input: der })
    .stdout.toString()
    .trim()
    .split(/\s+/)
    .pop();
  return `sha256:${hex}`;
}

let kubeadmArgsMemo: string[] | undefined;
const kubeadmArgs = (): string[] =>
  (kubeadmArgsMemo ??= ['--token', TOKEN, '--discovery-token-ca-cert-hash', caCertHash()]);

/** The flags join and adopt share on this node. */
const podArgs = (node: Node) => [
  ...masterFlags(),
  ...node.flags,
  '--ca-file',
  topo.caCert,
  '--image',
  IMAGE,
];

const joinArgs = (node: Node, extra: string[] = []) => [
  'join',
  ...podArgs(node),
  ...extra,
  '--',
  ...kubeadmArgs(),
];

/** Everything join leaves behind that a re-run must reproduce exactly. */
function endState(node: Node) {
  const files = (sub: string) =>
    existsSync(join(node.dir, sub))
      ? Object.fromEntries(
          readdirSync(join(node.dir, sub)).map((f) => [
            f,
            readFileSync(join(node.dir, sub, f), 'utf8'),
          ]),
        )
      : {};
  return {
    hosts: readFileSync(node.hosts, 'utf8'),
    hostsBackup: existsSync(`${node.hosts}.kha-backup`),
    manifests: files('manifests'),
    modulesLoad: files('modules-load.d'),
    sysctl: files('sysctl.d'),
    rules: savedRules(),
    vipRoute: attempt('ip', ['route', 'show', `${vip4.address}/32`]).stdout.trim(),
    record: recordOf(node),
  };
}

/** kha's record, its times left out. */
function recordOf(node: Node): unknown {
  const path = join(node.dir, 'state', 'state.json');
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as { joins: Array<{ at?: string }> };
  return { ...state, joins: state.joins.map(({ at: _at, ...j }) => j) };
}

test('kha join: hosts entry and rules before kubeadm runs, kubeadm gets the join arguments, the VIP answers', async () => {
  resetKernel();
  const node = freshNode();
  const r = kha(node, joinArgs(node));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(readFileSync(node.kubeadmLog, 'utf8').split('\n').filter(Boolean), [
    `join apiserver.cluster.local:6443 ${kubeadmArgs().join(' ')}`,
    'kubeadm: VIP ready',
  ]);
  assert.ok(!r.stdout.includes(TOKEN), 'the bootstrap token is never printed');
  assert.ok(!r.stderr.includes(TOKEN), "nor passed on from kubeadm's error output");
  assert.match(r.stdout, /^kubeadm out: join \S+ --token <redacted> /m, "kubeadm's output shown");
  assert.match(
    r.stderr,
    /kubeadm err: join \S+ --token <redacted> /,
    'an unfinished last line too',
  );
  assert.doesNotMatch(r.stdout, /cluster-info could not be read/, 'read and CA-verified');
  assert.match(r.stdout, /--token <redacted> --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}/);
  const s = endState(node);
  assert.deepEqual(
    s.rules.sort(),
    [
      `-A -t ${vip4.text} -s rr`,
      ...topo.masters.map((m) => `-a -t ${vip4.text} -r ${m.ip}:6443 -m -w 1`),
    ].sort(),
  );
  assert.match(s.vipRoute, /src 10\.0\.0\.10/, 'route mode pins the worker address as source');
  assert.match(s.hosts, /^10\.103\.97\.2 apiserver\.cluster\.local # kha$/m);
  assert.doesNotMatch(s.hosts, /10\.9\.9\.9 apiserver/, 'the old entry for the name is replaced');
  const manifest = kha(node, [
    'manifest',
    ...masterFlags(),
    '--ca-file',
    topo.caCert,
    '--image',
    IMAGE,
  ]).stdout;
  assert.deepEqual(s.manifests, { 'kube-lvscare.yaml': manifest });
  assert.match(s.modulesLoad['kha-lvscare.conf']!, /^ip_vs$/m);
  assert.match(s.sysctl['90-kha-lvscare.conf']!, /^net\.ipv4\.vs\.expire_nodest_conn = 1$/m);
  assert.equal(readFileSync('/proc/sys/net/ipv4/vs/expire_nodest_conn', 'utf8').trim(), '1');
  const client = await withClient(vip4, () => sleep(2000), 20);
  assert.deepEqual(client.failures(), []);
  assert.equal(Object.keys(client.answeredBy()).length, 3, 'every master answers through the VIP');
  assert.match(r.stdout, /excludeCIDRs: \[10\.103\.97\.2\/32\]/);
});

test("kha join: kubeadm's exit status becomes kha's", () => {
  resetKernel();
  const node = freshNode();
  const r = kha(node, joinArgs(node), { KUBEADM_STATUS: '7' });
  assert.equal(r.status, 7, r.stdout + r.stderr);
  assert.match(r.stdout, /kubeadm join failed with status 7/);
});

/**
 * Runs join's or adopt's steps for `node` in a driver that is killed with SIGKILL once `after`
 * of them applied (test/support/steps-interrupted.ts), and checks it got that far.
 */
function killAfterSteps(
  node: Node,
  after: number,
  command: { command: 'join'; kubeadmArgs: string[] } | { command: 'adopt'; kubeconfig: string },
): void {
  const cut = {
    ...command,
    after,
    values: { master: topo.masters.map((m) => m.ip), caFile: topo.caCert, image: IMAGE },
    paths: {
      manifestDir: node.manifests,
      hostsFile: node.hosts,
      modulesLoadDir: join(node.dir, 'modules-load.d'),
      sysctlDir: join(node.dir, 'sysctl.d'),
      stateDir: join(node.dir, 'state'),
    },
  };
  const killed = spawnSync(process.execPath, [INTERRUPTED, JSON.stringify(cut)], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
  });
  assert.equal(killed.signal, 'SIGKILL', `killed after ${after} steps: ${killed.stderr}`);
  // kubeadm's own output comes on stdout too: count the driver's lines alone.
  const applied = killed.stdout.split('\n').filter((l) => l.startsWith('applied '));
  assert.equal(applied.length, after, killed.stdout);
}

test('kha join killed after each step (and after its record), then run again: the same end state as one clean run', () => {
  resetKernel();
  const reference = freshNode();
  assert.equal(kha(reference, joinArgs(reference)).status, 0);
  const expected = endState(reference);
  for (let after = 0; after <= JOIN_STEPS; after++) {
    resetKernel();
    attempt('ip', ['route', 'del', `${vip4.address}/32`]);
    const node = freshNode();
    killAfterSteps(node, after, { command: 'join', kubeadmArgs: kubeadmArgs() });
    const again = kha(node, joinArgs(node));
    assert.equal(again.status, 0, `re-run after ${after} steps: ${again.stdout}${again.stderr}`);
    const got = endState(node);
    // The files hold the temp paths of their own node; compare them with that path put back.
    const same = (x: unknown) => JSON.stringify(x).replaceAll(node.dir, reference.dir);
    assert.equal(same(got), JSON.stringify(expected), `after a kill after ${after} steps`);
  }
});

test('kha reset after join: hosts file byte-identical, no rules, no route, no manifest, no boot files; again: no change', () => {
  resetKernel();
  const node = freshNode();
  assert.equal(kha(node, joinArgs(node)).status, 0);
  const r = kha(node, ['reset', ...node.flags]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const s = endState(node);
  assert.equal(s.hosts, HOSTS_BEFORE);
  assert.equal(s.hostsBackup, false);
  assert.deepEqual(s.manifests, {});
  assert.deepEqual(s.modulesLoad, {});
  assert.deepEqual(s.sysctl, {});
  assert.deepEqual(s.rules, []);
  assert.equal(s.vipRoute, '');
  const again = kha(node, ['reset', ...node.flags]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.deepEqual(endState(node), s);
});

test('kha reset leaves foreign IPVS services alone', () => {
  resetKernel();
  const node = freshNode();
  ipvsadm('-A', '-t', '10.96.0.1:443', '-s', 'rr');
  assert.equal(kha(node, joinArgs(node, ['--skip-kubeadm'])).status, 0);
  assert.equal(kha(node, ['reset', ...node.flags]).status, 0);
  assert.deepEqual(savedRules(), ['-A -t 10.96.0.1:443 -s rr']);
});

test('link mode: join puts the VIP on the dummy link with its NAT table; reset takes both away', () => {
  resetKernel();
  const node = freshNode();
  const r = kha(node, joinArgs(node, ['--lvscare-arg=--mode=link', '--skip-kubeadm']));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(run('ip', ['-o', 'addr', 'show', 'dev', 'lvscare']), /10\.103\.97\.2\/32/);
  assert.equal(attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).status, 0);
  assert.match(endState(node).sysctl['90-kha-lvscare.conf']!, /net\.ipv4\.vs\.conntrack = 1/);
  const reset = kha(node, ['reset', ...node.flags]);
  assert.equal(reset.status, 0, reset.stdout + reset.stderr);
  assert.notEqual(attempt('ip', ['link', 'show', 'lvscare']).status, 0, 'dummy link removed');
  assert.notEqual(
    attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).status,
    0,
    'NAT table removed',
  );
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
});

test('preflight: a VIP that is already an address of the node stops join before anything is written', () => {
  resetKernel();
  const node = freshNode();
  run('ip', ['link', 'add', 'khatest0', 'type', 'dummy']);
  try {
    run('ip', ['addr', 'add', '10.103.97.2/32', 'dev', 'khatest0']);
    const r = kha(node, joinArgs(node));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /already an address of this node \(on khatest0\)/);
    assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
    assert.deepEqual(readdirSync(node.manifests), []);
    assert.deepEqual(savedRules(), []);
    assert.equal(existsSync(node.kubeadmLog), false, 'kubeadm never ran');
  } finally {
    run('ip', ['link', 'del', 'khatest0']);
  }
});

test('--dry-run prints every step and changes nothing', () => {
  resetKernel();
  const node = freshNode();
  const r = kha(node, joinArgs(node, ['--dry-run']));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (let n = 1; n <= JOIN_STEPS; n++)
    assert.match(r.stdout, new RegExp(`^\\[${n}/${JOIN_STEPS}\\]`, 'm'));
  assert.match(r.stdout, /^ {2}-10\.9\.9\.9 apiserver\.cluster\.local$/m, "the hosts file's diff");
  assert.match(r.stdout, /^ {2}\+10\.103\.97\.2 apiserver\.cluster\.local # kha$/m);
  assert.match(r.stdout, /^ {2}\+ {6}image: registry\.example\.com\/kha\/lvscare:0\.1\.0$/m);
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
  assert.deepEqual(readdirSync(node.manifests), []);
  assert.deepEqual(savedRules(), []);
  assert.equal(existsSync(node.kubeadmLog), false);
});

const setClusterInfoServer = async (server: string) => {
  for (const m of topo.masters)
    await topo.control(m, `clusterInfoServer=${encodeURIComponent(server)}`);
};

test('preflight: cluster-info sending kubelet past the VIP stops join before anything is written; the override joins anyway', async () => {
  resetKernel();
  const node = freshNode();
  await setClusterInfoServer(`https://${topo.masters[0]!.ip}:6443`);
  try {
    const r = kha(node, joinArgs(node));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /controlPlaneEndpoint: apiserver\.cluster\.local:6443/);
    assert.match(r.stdout, /--ignore-control-plane-endpoint/);
    assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
    assert.deepEqual(readdirSync(node.manifests), []);
    assert.deepEqual(savedRules(), []);
    assert.equal(existsSync(node.kubeadmLog), false, 'kubeadm never ran');
    assert.equal(existsSync(join(node.dir, 'state')), false, 'nothing recorded');
    const forced = kha(node, joinArgs(node, ['--ignore-control-plane-endpoint']));
    assert.equal(forced.status, 0, forced.stdout + forced.stderr);
  } finally {
    await setClusterInfoServer('https://apiserver.cluster.local:6443');
  }
});

test('kha reset undoes the recorded join even when the manifest was edited or is already gone', () => {
  resetKernel();
  const node = freshNode();
  assert.equal(kha(node, joinArgs(node, ['--skip-kubeadm'])).status, 0);
  const manifest = join(node.manifests, 'kube-lvscare.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replaceAll(vip4.text, '10.103.97.9:6443'));
  const r = kha(node, ['reset', ...node.flags]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(savedRules(), [], "the joined VIP's rules are gone");
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
  assert.deepEqual(readdirSync(node.manifests), []);

  // An interrupted reset: the manifest already gone, the rules still there.
  resetKernel();
  const again = freshNode();
  assert.equal(kha(again, joinArgs(again, ['--skip-kubeadm'])).status, 0);
  rmSync(join(again.manifests, 'kube-lvscare.yaml'));
  const resumed = kha(again, ['reset', ...again.flags]);
  assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(savedRules(), []);
  assert.equal(readFileSync(again.hosts, 'utf8'), HOSTS_BEFORE);
});

test('kha reset with nothing recorded and no manifest says so and exits 1', () => {
  resetKernel();
  const node = freshNode();
  const r = kha(node, ['reset', ...node.flags]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /cannot know what to undo/);
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
});

test('an edit to the hosts file after join: reset keeps it and keeps the backup', () => {
  resetKernel();
  const node = freshNode();
  assert.equal(kha(node, joinArgs(node, ['--skip-kubeadm'])).status, 0);
  writeFileSync(node.hosts, `${readFileSync(node.hosts, 'utf8')}10.1.1.1 added-later\n`);
  const r = kha(node, ['reset', ...node.flags]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(readFileSync(node.hosts, 'utf8'), /10\.1\.1\.1 added-later/);
  assert.doesNotMatch(readFileSync(node.hosts, 'utf8'), /# kha/);
  assert.equal(readFileSync(`${node.hosts}.kha-backup`, 'utf8'), HOSTS_BEFORE);
  assert.match(r.stdout, /kept as .*kha-backup/);
});

test('kha update --master keeps image, metrics address and link mode; reset after it leaves nothing', () => {
  resetKernel();
  const node = freshNode();
  const mastersFile = join(node.dir, 'lvscare', 'masters.json');
  const kept = [
    '--metrics-address',
    '10.0.0.10:9299',
    '--lvscare-arg=--mode=link',
    '--discover-state-file',
    mastersFile,
  ];
  const joined = kha(node, joinArgs(node, [...kept, '--skip-kubeadm']));
  assert.equal(joined.status, 0, joined.stdout + joined.stderr);
  // What lvscare would have written by now: the masters it discovered.
  mkdirSync(join(node.dir, 'lvscare'));
  writeFileSync(mastersFile, '{"version":1,"masters":["10.0.0.99:6443"],"updatedAt":"x"}\n');
  const two = topo.masters.slice(0, 2).map((m) => m.ip);
  const stateDir = join(node.dir, 'state');
  const dry = kha(node, [
    'update',
    '--master',
    two.join(','),
    '--state-dir',
    stateDir,
    '--dry-run',
  ]);
  assert.equal(dry.status, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, new RegExp(`^ {2}- {8}- ${topo.masters[2]!.ip}:6443$`, 'm'));
  const before = endState(node);
  assert.deepEqual(endState(node), before, 'the dry run changed nothing');
  const r = kha(node, ['update', '--master', two.join(','), '--state-dir', stateDir]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const wanted = kha(node, [
    'manifest',
    ...two.flatMap((m) => ['--master', m]),
    '--ca-file',
    topo.caCert,
    '--image',
    IMAGE,
    ...kept,
  ]);
  assert.equal(wanted.status, 0, wanted.stderr);
  assert.equal(readFileSync(join(node.manifests, 'kube-lvscare.yaml'), 'utf8'), wanted.stdout);
  assert.match(readFileSync(mastersFile, 'utf8'), new RegExp(two[0]!.replaceAll('.', '\\.')));

  const reset = kha(node, ['reset', ...node.flags]);
  assert.equal(reset.status, 0, reset.stdout + reset.stderr);
  assert.notEqual(attempt('ip', ['link', 'show', 'lvscare']).status, 0, 'dummy link removed');
  assert.notEqual(attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).status, 0, 'NAT table');
  assert.deepEqual(savedRules(), []);
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
  assert.deepEqual(readdirSync(node.manifests), []);
  assert.equal(existsSync(mastersFile), false, "lvscare's discovered masters removed");
  assert.deepEqual(readdirSync(join(node.dir, 'modules-load.d')), []);
  assert.deepEqual(readdirSync(join(node.dir, 'sysctl.d')), []);
});

test('a kube-lvscare.yaml kha did not write: join refuses it by name and keeps it byte for byte; --force keeps it, reset puts it back', () => {
  resetKernel();
  const node = freshNode();
  const manifest = join(node.manifests, 'kube-lvscare.yaml');
  // The shape sealos writes: its own lvscare static pod, under the same file name.
  const sealos =
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-sealyun-lvscare\n  namespace: kube-system\nspec:\n  containers:\n  - args: [care, --vs, 10.103.97.2:6443, --health-path, /healthz]\n    image: ghcr.io/labring/lvscare:v4.3.0\n';
  writeFileSync(manifest, sealos);
  const refused = kha(node, joinArgs(node, ['--skip-kubeadm']));
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, new RegExp(`${manifest} was not written by kha.*--force`));
  assert.equal(readFileSync(manifest, 'utf8'), sealos);
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE, 'nothing else changed either');
  assert.deepEqual(savedRules(), []);
  const forced = kha(node, joinArgs(node, ['--skip-kubeadm', '--force']));
  assert.equal(forced.status, 0, forced.stdout + forced.stderr);
  assert.equal(readFileSync(join(node.dir, 'state', 'kube-lvscare.yaml.foreign'), 'utf8'), sealos);
  const reset = kha(node, ['reset', ...node.flags]);
  assert.equal(reset.status, 0, reset.stdout + reset.stderr);
  assert.equal(readFileSync(manifest, 'utf8'), sealos, 'put back byte for byte');
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
});

/**
 * A worker kubeadm joined straight to the first master: its kubelet.conf as kubeadm writes it
 * (the CA inline, the client certificate in files), and a stand-in systemctl that records what
 * it was asked. Real `systemctl restart UNIT` returns once the restart job is done, printing
 * nothing, exit 0 (systemctl(1), "restart"); the stand-in does the same and keeps the request.
 */
function joinedWorker(node: Node, ca = readFileSync(topo.caCert)) {
  const { cert, key } = topo.pki.client('system:node:worker-1', 'system:nodes');
  const kubeconfig = join(node.dir, 'kubelet.conf');
  const text = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${ca.toString('base64')}
    server: https://${topo.masters[0]!.ip}:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: system:node:worker-1
  name: system:node:worker-1@kubernetes
current-context: system:node:worker-1@kubernetes
kind: Config
preferences: {}
users:
- name: system:node:worker-1
  user:
    client-certificate: ${cert}
    client-key: ${key}
`;
  writeFileSync(kubeconfig, text, { mode: 0o600 });
  const systemctlLog = join(node.dir, 'systemctl.log');
  writeFileSync(
    join(node.dir, 'bin', 'systemctl'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> "${systemctlLog}"\n`,
  );
  chmodSync(join(node.dir, 'bin', 'systemctl'), 0o755);
  const restarts = () =>
    existsSync(systemctlLog) ? readFileSync(systemctlLog, 'utf8').split('\n').filter(Boolean) : [];
  return { kubeconfig, text, restarts };
}

const adoptArgs = (node: Node, kubeconfig: string, extra: string[] = []) => [
  'adopt',
  ...podArgs(node),
  '--kubeconfig',
  kubeconfig,
  ...extra,
];

test('kha adopt: a worker whose kubelet names a master directly goes through the VIP; reset gives its kubeconfig back byte for byte', () => {
  resetKernel();
  const node = freshNode();
  const worker = joinedWorker(node);
  const r = kha(node, adoptArgs(node, worker.kubeconfig));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(existsSync(node.kubeadmLog), false, 'kubeadm never ran');
  assert.equal(
    readFileSync(worker.kubeconfig, 'utf8'),
    worker.text.replace(
      `https://${topo.masters[0]!.ip}:6443`,
      'https://apiserver.cluster.local:6443',
    ),
    'the server line alone changed',
  );
  assert.deepEqual(worker.restarts(), ['restart kubelet']);
  assert.match(
    readFileSync(node.hosts, 'utf8'),
    /^10\.103\.97\.2 apiserver\.cluster\.local # kha$/m,
  );
  assert.equal(savedRules().length, 1 + topo.masters.length, 'the VIP and every master');
  assert.ok(existsSync(join(node.manifests, 'kube-lvscare.yaml')));

  const again = kha(node, adoptArgs(node, worker.kubeconfig));
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /already points at https:\/\/apiserver\.cluster\.local:6443/);
  assert.deepEqual(worker.restarts(), ['restart kubelet'], 'nothing changed, no restart');

  const reset = kha(node, ['reset', ...node.flags]);
  assert.equal(reset.status, 0, reset.stdout + reset.stderr);
  assert.equal(readFileSync(worker.kubeconfig, 'utf8'), worker.text, 'byte for byte');
  assert.deepEqual(worker.restarts(), ['restart kubelet', 'restart kubelet']);
  assert.ok(
    reset.stdout.indexOf("kubelet's kubeconfig") < reset.stdout.indexOf('static pod'),
    'kubelet is sent back to the master before the VIP goes',
  );
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
  assert.deepEqual(savedRules(), []);
  assert.deepEqual(readdirSync(node.manifests), []);
});

test("kha adopt: a VIP whose certificate the kubeconfig's CA does not verify leaves kubelet as it was", () => {
  resetKernel();
  const node = freshNode();
  const stranger = makePki(join(node.dir, 'stranger'), 'stranger-ca');
  const worker = joinedWorker(node, readFileSync(stranger.caCert));
  const r = kha(node, adoptArgs(node, worker.kubeconfig));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /the VIP does not serve the API as kubelet would use it/);
  assert.equal(readFileSync(worker.kubeconfig, 'utf8'), worker.text);
  assert.deepEqual(worker.restarts(), []);
  const reset = kha(node, ['reset', ...node.flags]);
  assert.equal(reset.status, 0, reset.stdout + reset.stderr);
  assert.equal(readFileSync(worker.kubeconfig, 'utf8'), worker.text);
  assert.deepEqual(worker.restarts(), [], 'nothing of kubelet was changed, so nothing restarted');
  assert.equal(readFileSync(node.hosts, 'utf8'), HOSTS_BEFORE);
});

test('kha adopt killed after each step (and after its record), then run again: the same end state as one clean run', () => {
  resetKernel();
  const reference = freshNode();
  const referenceWorker = joinedWorker(reference);
  assert.equal(kha(reference, adoptArgs(reference, referenceWorker.kubeconfig)).status, 0);
  const adopted = (node: Node, worker: ReturnType<typeof joinedWorker>) => ({
    ...endState(node),
    kubeconfig: readFileSync(worker.kubeconfig, 'utf8'),
    restarts: worker.restarts(),
  });
  const expected = adopted(reference, referenceWorker);
  for (let after = 0; after <= ADOPT_STEPS; after++) {
    resetKernel();
    attempt('ip', ['route', 'del', `${vip4.address}/32`]);
    const node = freshNode();
    const worker = joinedWorker(node);
    killAfterSteps(node, after, { command: 'adopt', kubeconfig: worker.kubeconfig });
    const again = kha(node, adoptArgs(node, worker.kubeconfig));
    assert.equal(again.status, 0, `re-run after ${after} steps: ${again.stdout}${again.stderr}`);
    // The client certificate's path is the test PKI's, the same for every worker.
    const same = (x: unknown) => JSON.stringify(x).replaceAll(node.dir, reference.dir);
    assert.equal(
      same(adopted(node, worker)),
      JSON.stringify(expected),
      `after a kill after ${after} steps`,
    );
  }
});
