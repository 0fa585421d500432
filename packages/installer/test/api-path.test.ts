// What reset says about kubelet's path to the API before it takes the VIP away.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiPathVerdict } from '../src/api-path.js';

const facts = (server: string | undefined, running: number[] = []) => ({
  kubeconfig: '/etc/kubernetes/kubelet.conf',
  server: server === undefined ? undefined : new URL(server),
  running,
});
const VIPS = ['10.103.97.2'];

test('a kubelet that names a master directly: nothing to say', () => {
  assert.deepEqual(apiPathVerdict(facts('https://192.168.0.2:6443', [42]), VIPS, false), {
    kind: 'clear',
  });
  assert.deepEqual(apiPathVerdict(facts(undefined, [42]), VIPS, false), { kind: 'clear' });
});

test('a running kubelet through the VIP name or the VIP itself: refused without --force, naming the file', () => {
  for (const server of ['https://apiserver.cluster.local:6443', 'https://10.103.97.2:6443']) {
    const v = apiPathVerdict(facts(server, [42]), VIPS, false);
    assert.equal(v.kind, 'refuse');
    assert.match((v as { line: string }).line, /kubelet\.conf names .* \(pid 42\).*give --force/);
    assert.equal(apiPathVerdict(facts(server, [42]), VIPS, true).kind, 'warn');
  }
});

test('through the VIP but kubelet stopped: a warning, no refusal', () => {
  const v = apiPathVerdict(facts('https://apiserver.cluster.local:6443'), VIPS, false);
  assert.equal(v.kind, 'warn');
  assert.match((v as { line: string }).line, /once kubelet starts, the node goes NotReady/);
});
