import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { caCertHash, caCertHashes, parseClusterInfo, serverProblem } from '../src/cluster-info.js';

function selfSignedCa(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kha-ca-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=kubernetes',
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(join(dir, 'ca.crt'), 'utf8');
}

const configMap = (server: string, ca?: string) =>
  JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: {
      kubeconfig: `apiVersion: v1\nclusters:\n- cluster:\n${ca ? `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}\n` : ''}    server: ${server}\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n`,
    },
  });

test('the server and CA are read from the kubeconfig in the ConfigMap', () => {
  const ca = selfSignedCa();
  assert.deepEqual(parseClusterInfo(configMap('https://apiserver.cluster.local:6443', ca)), {
    server: 'https://apiserver.cluster.local:6443',
    caPem: ca,
  });
  assert.throws(() => parseClusterInfo('<html>'), /not JSON/);
  assert.throws(() => parseClusterInfo('{"data":{}}'), /no data.kubeconfig/);
});

test("the CA hash is sha256 of the CA's SubjectPublicKeyInfo, as kubeadm prints it", () => {
  const ca = selfSignedCa();
  // kubeadm's documented recipe: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: ca });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const want = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der })
    .toString()
    .trim()
    .split(/\s+/)
    .pop();
  assert.equal(caCertHash(ca), `sha256:${want}`);
});

test('CA hashes are taken from kubeadm arguments in either form, comma lists too', () => {
  assert.deepEqual(
    caCertHashes([
      '--token',
      't',
      '--discovery-token-ca-cert-hash',
      'sha256:AA',
      '--discovery-token-ca-cert-hash=sha256:bb,sha256:cc',
    ]),
    ['sha256:aa', 'sha256:bb', 'sha256:cc'],
  );
});

test('only apiserver.cluster.local at the VIP port passes; the message names controlPlaneEndpoint', () => {
  assert.equal(serverProblem('https://apiserver.cluster.local:6443', 6443), undefined);
  assert.equal(serverProblem('https://APIServer.Cluster.Local:6443', 6443), undefined);
  for (const server of [
    'https://192.168.0.2:6443',
    'https://apiserver.cluster.local:8443',
    'https://apiserver.cluster.local',
    'https://lb.example.com:6443',
  ])
    assert.match(
      serverProblem(server, 6443) ?? '',
      /controlPlaneEndpoint: apiserver\.cluster\.local:6443/,
    );
});
