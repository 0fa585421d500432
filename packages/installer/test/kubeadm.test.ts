import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MANIFEST_DIR_CHECK, kubeadmJoinArgs, onlyOurManifest } from '../src/kubeadm.js';

const vip = { family: 'inet' as const, address: '10.103.97.2', port: 6443 };

test("kubeadm <= 1.22's manifests-dir check is skipped only when kha's file is alone there", async () => {
  assert.deepEqual(kubeadmJoinArgs(vip, ['--token', 't']), [
    'join',
    'apiserver.cluster.local:6443',
    '--token',
    't',
  ]);
  assert.deepEqual(kubeadmJoinArgs(vip, [], { onlyOurManifest: true }), [
    'join',
    'apiserver.cluster.local:6443',
    `--ignore-preflight-errors=${MANIFEST_DIR_CHECK}`,
  ]);
  assert.equal(MANIFEST_DIR_CHECK, 'DirAvailable--etc-kubernetes-manifests');
  // Any other directory is not the one kubeadm checks.
  assert.equal(await onlyOurManifest('/tmp', 'kube-lvscare.yaml'), false);
});
