// adopt's kubeconfig step, apart from the VIP check (kernel tier): what it will write, and its
// undo putting the original back byte for byte only over exactly what adopt wrote.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubeconfigChange, kubeconfigStep } from '../src/kubeconfig-step.js';
import { Refusal } from '../src/step.js';
import { kubeletConf } from './kubelet-conf.js';

const VIP = { family: 'inet' as const, address: '10.103.97.2', port: 6443 };

// The credentials inline, and odd spacing after server: that the rewrite keeps.
const ORIGINAL = kubeletConf(
  'https://192.168.0.2:6443',
  `    client-certificate-data: ${Buffer.from('cert').toString('base64')}
    client-key-data: ${Buffer.from('key').toString('base64')}
`,
  'server:   https://192.168.0.2:6443',
);

function node() {
  const dir = mkdtempSync(join(tmpdir(), 'kha-adopt-'));
  const path = join(dir, 'kubelet.conf');
  writeFileSync(path, ORIGINAL, { mode: 0o600 });
  const stateDir = join(dir, 'state');
  return { dir, path, stateDir };
}

test('the plan: only the server line changes, to the VIP name', async () => {
  const n = node();
  const change = await kubeconfigChange(n.path, n.stateDir, VIP);
  assert.equal(change.from, 'https://192.168.0.2:6443');
  assert.equal(
    change.rewritten.toString(),
    ORIGINAL.replace('https://192.168.0.2:6443', 'https://apiserver.cluster.local:6443'),
  );
  const plan = await kubeconfigStep(
    VIP,
    { ...change.record, adopt: change },
    {
      restartKubelet: false,
    },
  ).plan();
  assert.ok(plan.includes('-    server:   https://192.168.0.2:6443'), plan.join('\n'));
  assert.ok(plan.includes('+    server:   https://apiserver.cluster.local:6443'));
  assert.equal(readFileSync(n.path, 'utf8'), ORIGINAL, 'a plan writes nothing');
});

test('reset puts the original back byte for byte and forgets it; a second reset has nothing to do', async () => {
  const n = node();
  const change = await kubeconfigChange(n.path, n.stateDir, VIP);
  // What adopt's apply leaves: the original beside the record, the file re-pointed.
  mkdirSync(n.stateDir);
  writeFileSync(change.record.original, ORIGINAL);
  writeFileSync(n.path, change.rewritten);
  const step = kubeconfigStep(VIP, change.record, { restartKubelet: false });
  assert.match(
    (await step.undoPlan()).join('\n'),
    /^\+ {4}server: {3}https:\/\/192\.168\.0\.2:6443$/m,
  );
  const lines = await step.undo();
  assert.equal(readFileSync(n.path, 'utf8'), ORIGINAL);
  assert.equal(existsSync(change.record.original), false);
  assert.match(lines.join('\n'), /run systemctl restart kubelet/, 'the restart, as asked, printed');
  assert.deepEqual(await step.undo(), ['nothing kept: nothing to put back']);
});

test('a kubeconfig changed since adopt is refused with the reason, and left as it is', async () => {
  const n = node();
  const change = await kubeconfigChange(n.path, n.stateDir, VIP);
  mkdirSync(n.stateDir);
  writeFileSync(change.record.original, ORIGINAL);
  const edited = `${change.rewritten.toString()}# edited by hand\n`;
  writeFileSync(n.path, edited);
  const step = kubeconfigStep(VIP, change.record, { restartKubelet: false });
  await assert.rejects(
    step.undoPlan(),
    (e) => e instanceof Refusal && /changed since kha adopt/.test(e.message),
  );
  await assert.rejects(step.undo(), /changed since kha adopt wrote it: kha will not overwrite it/);
  assert.equal(readFileSync(n.path, 'utf8'), edited);
  assert.ok(existsSync(change.record.original), 'the original still kept');
});

test('an interrupted adopt is planned from the kept original, not from its own rewrite', async () => {
  const n = node();
  const first = await kubeconfigChange(n.path, n.stateDir, VIP);
  mkdirSync(n.stateDir);
  writeFileSync(first.record.original, ORIGINAL);
  writeFileSync(n.path, first.rewritten);
  const again = await kubeconfigChange(n.path, n.stateDir, VIP);
  assert.deepEqual(again.record, first.record);
  assert.deepEqual(
    await kubeconfigStep(VIP, { ...again.record, adopt: again }, { restartKubelet: false }).plan(),
    [],
  );
});
