// kha update: only the flags given change; the rest, and kha's record, follow the recorded join.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderMastersState } from '@kha/lvscare';
import {
  MODULES_LOAD_FILE,
  SYSCTL_FILE,
  modulesLoadContent,
  sysctlContent,
} from '../src/boot-config.js';
import { main } from '../src/cli.js';
import { joinRecord } from '../src/join.js';
import { MANIFEST_HEADER } from '../src/manifest-step.js';
import { type KhaSettings, podSettings } from '../src/settings.js';
import { type JoinRecord, type KhaState, readState, writeState } from '../src/state.js';
import { renderManifest } from '../src/static-pod.js';

async function kha(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream;
  const status = await main(
    argv,
    sink((s) => (out += s)),
    sink((s) => (err += s)),
  );
  return { status, out, err };
}

const JOINED_WITH = {
  master: ['192.168.0.2-192.168.0.4'],
  image: 'registry.example.com/kha/lvscare:0.1.0',
  metricsAddress: '10.0.0.5:9299',
  lvscareArg: ['--mode=link'],
};

/** A node as `kha join` with JOINED_WITH leaves it: its manifest, its masters file, its record. */
async function joinedNode(pod: Record<string, unknown> = JOINED_WITH) {
  const dir = mkdtempSync(join(tmpdir(), 'kha-update-'));
  const mastersFile = join(dir, 'lvscare', 'masters.json');
  const s: KhaSettings = {
    ...(await podSettings({ ...pod, discoverStateFile: mastersFile })),
    manifestDir: join(dir, 'manifests'),
    hostsFile: join(dir, 'hosts'),
    modulesLoadDir: join(dir, 'modules-load.d'),
    sysctlDir: join(dir, 'sysctl.d'),
    stateDir: join(dir, 'kha'),
  };
  mkdirSync(s.manifestDir);
  mkdirSync(join(dir, 'lvscare'));
  writeFileSync(s.hostsFile, '127.0.0.1 localhost\n10.103.97.2 apiserver.cluster.local # kha\n');
  const manifest = join(s.manifestDir, 'kube-lvscare.yaml');
  writeFileSync(manifest, renderManifest(s, MANIFEST_HEADER));
  // What lvscare remembers from discovery: a master since removed.
  writeFileSync(
    mastersFile,
    renderMastersState([{ family: 'inet', address: '192.168.0.9', port: 6443 }], new Date(0)),
  );
  // The boot files join's rules step wrote.
  const modulesFile = join(s.modulesLoadDir, MODULES_LOAD_FILE);
  mkdirSync(s.modulesLoadDir);
  writeFileSync(modulesFile, modulesLoadContent(s.care));
  mkdirSync(s.sysctlDir);
  writeFileSync(join(s.sysctlDir, SYSCTL_FILE), sysctlContent(s.care));
  const record = joinRecord(s, 'join', ['preflight', 'hosts', 'rules', 'manifest']);
  await writeState(s.stateDir, { version: 1, status: 'joined', joins: [record] });
  const files = () =>
    Object.fromEntries(
      [manifest, mastersFile, join(s.stateDir, 'state.json'), s.hostsFile, modulesFile].map((f) => [
        f,
        readFileSync(f, 'utf8'),
      ]),
    );
  return { dir, manifest, mastersFile, modulesFile, stateDir: s.stateDir, files };
}

const recordOf = async (stateDir: string): Promise<JoinRecord> =>
  ((await readState(stateDir)) as KhaState).joins[0]!;

test('kha update --master keeps the image, the metrics address and link mode, in the manifest and the record', async () => {
  const node = await joinedNode();
  const r = await kha([
    'update',
    '--master',
    '192.168.0.5-192.168.0.7',
    '--state-dir',
    node.stateDir,
  ]);
  assert.equal(r.status, 0, r.out + r.err);
  const wanted = await kha([
    'manifest',
    '--master',
    '192.168.0.5-192.168.0.7',
    '--image',
    JOINED_WITH.image,
    '--metrics-address',
    JOINED_WITH.metricsAddress,
    '--lvscare-arg=--mode=link',
    '--discover-state-file',
    node.mastersFile,
  ]);
  assert.equal(wanted.status, 0, wanted.err);
  assert.equal(readFileSync(node.manifest, 'utf8'), wanted.out);
  const record = await recordOf(node.stateDir);
  assert.deepEqual(record.pod?.master, [
    '192.168.0.5:6443',
    '192.168.0.6:6443',
    '192.168.0.7:6443',
  ]);
  assert.equal(record.pod?.image, JOINED_WITH.image);
  assert.equal(record.pod?.metricsAddress, JOINED_WITH.metricsAddress);
  assert.ok(record.careArgs.includes('--mode=link'), 'reset will undo link mode');
  assert.deepEqual(record.steps, ['preflight', 'hosts', 'rules', 'manifest'], 'the steps stay');
  assert.deepEqual(
    (JSON.parse(readFileSync(node.mastersFile, 'utf8')) as { masters: string[] }).masters,
    ['192.168.0.5:6443', '192.168.0.6:6443', '192.168.0.7:6443'],
    "lvscare's memory names the new masters",
  );
  assert.deepEqual(readdirSync(join(node.dir, 'manifests')), ['kube-lvscare.yaml'], 'no temp file');

  const again = await kha([
    'update',
    '--master',
    '192.168.0.5-192.168.0.7',
    '--state-dir',
    node.stateDir,
  ]);
  assert.equal(again.status, 0, again.out);
  const before = node.files();
  assert.match(again.out, /static pod .*\n {2}already up to date/);
  assert.deepEqual(node.files(), before);
});

test('kha update --image alone is an upgrade: only the image line changes', async () => {
  const node = await joinedNode();
  const before = readFileSync(node.manifest, 'utf8');
  const r = await kha([
    'update',
    '--image',
    'registry.example.com/kha/lvscare:0.2.0',
    '--state-dir',
    node.stateDir,
  ]);
  assert.equal(r.status, 0, r.out + r.err);
  const after = readFileSync(node.manifest, 'utf8');
  assert.equal(after, before.replace('lvscare:0.1.0\n', 'lvscare:0.2.0\n'));
  assert.notEqual(after, before);
  assert.equal(
    (await recordOf(node.stateDir)).pod?.image,
    'registry.example.com/kha/lvscare:0.2.0',
  );
});

test('kha update --dry-run prints a unified diff of every file it would write and changes nothing', async () => {
  const node = await joinedNode();
  const before = node.files();
  const r = await kha([
    'update',
    '--master',
    '192.168.0.5',
    '--dry-run',
    '--state-dir',
    node.stateDir,
  ]);
  assert.equal(r.status, 0, r.out + r.err);
  assert.deepEqual(node.files(), before);
  assert.match(
    r.out,
    new RegExp(`^ {2}--- ${node.manifest}\n {2}\\+\\+\\+ ${node.manifest}$`, 'm'),
  );
  assert.match(r.out, /^ {2}- {8}- '--rs'$/m);
  assert.match(r.out, /^ {2}\+ {8}- 192\.168\.0\.5:6443$/m);
  assert.match(r.out, /^ {2}-\s+- 192\.168\.0\.3:6443$/m);
  assert.match(r.out, new RegExp(`--- ${node.mastersFile}`));
  assert.match(r.out, /^ {2}-\s+"192\.168\.0\.9:6443"$/m, 'the masters file diff');
  assert.match(r.out, /state\.json\n(.*\n)*.*\+\s+"192\.168\.0\.5:6443"/, "the record's diff");
  assert.doesNotMatch(r.out, /image:/, 'the image is not touched, so not in the diff');
  assert.match(r.out, /dry run: nothing was changed/);
});

test('a scheduler changed through --lvscare-arg reaches the modules loaded at boot', async () => {
  const node = await joinedNode();
  const args = ['--lvscare-arg=--mode=link', '--lvscare-arg=--scheduler=wrr'];
  const dry = await kha(['update', ...args, '--dry-run', '--state-dir', node.stateDir]);
  assert.equal(dry.status, 0, dry.out + dry.err);
  assert.match(dry.out, new RegExp(`--- ${node.modulesFile}`));
  assert.match(dry.out, /^ {2}-ip_vs_rr$/m);
  assert.match(dry.out, /^ {2}\+ip_vs_wrr$/m);
  assert.match(readFileSync(node.modulesFile, 'utf8'), /^ip_vs_rr$/m, 'the dry run wrote nothing');
  const r = await kha(['update', ...args, '--state-dir', node.stateDir]);
  assert.equal(r.status, 0, r.out + r.err);
  assert.equal(readFileSync(node.modulesFile, 'utf8'), modulesLoadContent({ scheduler: 'wrr' }));
  const again = await kha(['update', ...args, '--state-dir', node.stateDir]);
  assert.match(again.out, /unchanged/);
});

test('kha update refuses what it cannot do as an update, and changes nothing', async () => {
  const node = await joinedNode();
  const before = node.files();
  const mode = await kha(['update', '--lvscare-arg=--mode=route', '--state-dir', node.stateDir]);
  assert.equal(mode.status, 1);
  assert.match(mode.out, /changes the mode from link to route: .*kha reset, then kha join/);
  const vip = await kha(['update', '--vip', '10.103.97.9', '--state-dir', node.stateDir]);
  assert.equal(vip.status, 1);
  assert.match(vip.out, /joined with 10\.103\.97\.2:6443, not 10\.103\.97\.9:6443/);
  const bad = await kha(['update', '--master', 'nope', '--state-dir', node.stateDir]);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /--master "nope"/);
  assert.deepEqual(node.files(), before);

  const empty = mkdtempSync(join(tmpdir(), 'kha-update-'));
  const none = await kha(['update', '--master', '192.168.0.2', '--state-dir', empty]);
  assert.equal(none.status, 1);
  assert.match(
    none.out,
    /no join recorded in .*: update changes what kha join or kha adopt set up/,
  );
  assert.deepEqual(readdirSync(empty), []);
});

test('a kube-lvscare.yaml kha did not write is refused by name; --force keeps it beside the record', async () => {
  const node = await joinedNode();
  const sealos = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-sealos-lvscare\n';
  writeFileSync(node.manifest, sealos);
  const r = await kha(['update', '--master', '192.168.0.5', '--state-dir', node.stateDir]);
  assert.equal(r.status, 1);
  assert.match(r.out, new RegExp(`${node.manifest} was not written by kha .*--force`));
  assert.equal(readFileSync(node.manifest, 'utf8'), sealos, 'kept byte for byte');
  const forced = await kha([
    'update',
    '--master',
    '192.168.0.5',
    '--force',
    '--state-dir',
    node.stateDir,
  ]);
  assert.equal(forced.status, 0, forced.out + forced.err);
  assert.equal(readFileSync(join(node.stateDir, 'kube-lvscare.yaml.foreign'), 'utf8'), sealos);
  assert.match(readFileSync(node.manifest, 'utf8'), /^# kube-lvscare static pod, written by kha/);
});
