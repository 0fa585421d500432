// adopt's rewrite of the kubelet kubeconfig: only the server of the current cluster changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vipServer, withServer } from '../src/kubeconfig-server.js';
import { ROTATED_CERT, kubeletConf } from './kubelet-conf.js';

const KUBELET_CONF = kubeletConf('https://192.168.0.2:6443', ROTATED_CERT);

test('the server line alone changes; every other byte stays', () => {
  const to = vipServer('apiserver.cluster.local', 6443);
  const out = withServer(KUBELET_CONF, 'https://192.168.0.2:6443', to)!;
  assert.equal(
    out,
    KUBELET_CONF.replace('https://192.168.0.2:6443', 'https://apiserver.cluster.local:6443'),
  );
  assert.equal(withServer(out, to, 'https://192.168.0.2:6443'), KUBELET_CONF, 'and back, exactly');
});

test('a quoted server and a trailing comment keep their quotes and comment', () => {
  const text = 'clusters:\n- cluster:\n    server: "https://10.0.0.1:6443" # the first master\n';
  assert.equal(
    withServer(text, 'https://10.0.0.1:6443', 'https://apiserver.cluster.local:6443'),
    'clusters:\n- cluster:\n    server: "https://apiserver.cluster.local:6443" # the first master\n',
  );
});

test('no line with that server: undefined, so the caller refuses instead of guessing', () => {
  assert.equal(withServer(KUBELET_CONF, 'https://192.168.0.9:6443', 'https://x:1'), undefined);
  assert.equal(
    withServer(
      '{clusters: [{cluster: {server: https://10.0.0.1:6443}}]}',
      'https://10.0.0.1:6443',
      'https://x:1',
    ),
    undefined,
  );
});
