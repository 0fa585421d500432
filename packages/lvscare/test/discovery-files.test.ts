// What discovery reads from files and from the API, each checked at the edge: the kubeconfig,
// the state file, and the registration objects.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatEndpoint, parseEndpoint } from '../src/config/endpoint.js';
import { mastersOfEndpoints, mastersOfSlice } from '../src/discovery/api-objects.js';
import { KubeconfigError, parseKubeconfig } from '../src/discovery/kubeconfig.js';
import {
  parseMastersState,
  readMastersState,
  writeMastersState,
} from '../src/discovery/state-file.js';

const conf = (user: string, cluster = '    server: https://apiserver.cluster.local:6443') =>
  [
    'clusters:',
    '- name: c',
    '  cluster:',
    cluster,
    '    certificate-authority: pki/ca.crt',
    'contexts:',
    '- name: ctx',
    '  context: {cluster: c, user: u}',
    'current-context: ctx',
    'users:',
    '- name: u',
    '  user:',
    user,
  ].join('\n');

test('kubeconfig: relative files resolve beside it, *-data is base64, the server is https', async () => {
  const read: string[] = [];
  const creds = await parseKubeconfig(
    conf(
      [
        '    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem',
        `    client-key-data: ${Buffer.from('KEY').toString('base64')}`,
      ].join('\n'),
    ),
    '/etc/kubernetes/kubelet.conf',
    async (f) => {
      read.push(f);
      return Buffer.from(f);
    },
  );
  assert.equal(creds.server.hostname, 'apiserver.cluster.local');
  assert.equal(creds.server.port, '6443');
  assert.deepEqual(read, [
    '/etc/kubernetes/pki/ca.crt',
    '/var/lib/kubelet/pki/kubelet-client-current.pem',
  ]);
  assert.equal(creds.key!.toString(), 'KEY');
});

test('kubeconfig: each defect is named', async () => {
  const bad = async (text: string, why: RegExp) =>
    assert.rejects(
      parseKubeconfig(text, '/k.conf', async () => Buffer.from('x')),
      (e: Error) => {
        assert.ok(e instanceof KubeconfigError);
        assert.match(e.message, why);
        return true;
      },
    );
  await bad(': : :', /not YAML|current-context/);
  await bad('clusters: []', /no current-context/);
  await bad(
    conf('    token: t').replace('current-context: ctx', 'current-context: other'),
    /context "other" not found/,
  );
  await bad(conf('    token: t', '    server: http://10.0.0.1:6443'), /only https/);
  await assert.rejects(
    parseKubeconfig(conf('    client-certificate: /nope.pem'), '/k.conf', async (f) => {
      if (f === '/nope.pem') throw Object.assign(new Error('x'), { code: 'ENOENT' });
      return Buffer.from('x');
    }),
    /client-certificate \/nope\.pem cannot be read \(ENOENT\)/,
  );
});

test('EndpointSlice: ready (or unstated) addresses on the "https" port; FQDN slices ignored', () => {
  const slice = {
    addressType: 'IPv4',
    ports: [{ name: 'https', port: 6443 }],
    endpoints: [
      { addresses: ['10.0.0.11'], conditions: { ready: true } },
      { addresses: ['10.0.0.12'] },
      { addresses: ['10.0.0.13'], conditions: { ready: false } },
      { addresses: ['not-an-ip'] },
    ],
  };
  assert.deepEqual(mastersOfSlice(slice).masters.map(formatEndpoint), [
    '10.0.0.11:6443',
    '10.0.0.12:6443',
  ]);
  const none = { masters: [], overflow: false };
  assert.deepEqual(mastersOfSlice({ ...slice, addressType: 'FQDN' }), none);
  assert.deepEqual(mastersOfSlice({ ...slice, ports: [] }), none);
  assert.deepEqual(mastersOfSlice(null), none);
});

test('Endpoints: addresses of each subset, notReadyAddresses left out', () => {
  const e = {
    subsets: [
      {
        addresses: [{ ip: '10.0.0.11' }, { ip: 'fd00::11' }],
        notReadyAddresses: [{ ip: '10.0.0.13' }],
        ports: [{ name: 'https', port: 6443 }],
      },
    ],
  };
  assert.deepEqual(mastersOfEndpoints(e).masters.map(formatEndpoint), [
    '10.0.0.11:6443',
    '[fd00::11]:6443',
  ]);
  assert.deepEqual(mastersOfEndpoints({ subsets: 'x' }), { masters: [], overflow: false });
});

test('state file: written whole and only on change; read back; anything wrong ignored with a reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-state-'));
  const path = join(dir, 'sub', 'masters.json');
  const masters = ['10.0.0.14:6443', '10.0.0.11:6443'].map((t) => parseEndpoint(t)!);
  assert.equal(await writeMastersState(path, masters), true);
  assert.equal(await writeMastersState(path, [...masters].reverse()), false, 'same set: untouched');
  const back = readMastersState(path, 'inet');
  assert.ok('masters' in back);
  assert.deepEqual(back.masters.map(formatEndpoint), ['10.0.0.11:6443', '10.0.0.14:6443']);
  assert.equal(statSync(path).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['masters.json'], 'no temp file left');
  assert.match(readFileSync(path, 'utf8'), /"version": 1/);
  const problem = (text: string) => {
    const r = parseMastersState(text, 'inet');
    return 'problem' in r ? r.problem : undefined;
  };
  assert.equal(problem('{"version":1,"masters":["10.0.0.1:6443"]}'), undefined);
  assert.equal(problem('{"version":1,"mas'), 'not JSON');
  assert.equal(problem('[]'), 'not an object');
  assert.match(problem('{"version":2,"masters":[]}')!, /version 2/);
  assert.match(problem('{"version":1,"masters":["10.0.0.1"]}')!, /not an IP:PORT/);
  assert.match(problem('{"version":1,"masters":["[fd00::1]:6443"]}')!, /family/);
  writeFileSync(path, 'garbage');
  assert.ok('problem' in readMastersState(path, 'inet'));
  assert.match(
    (readMastersState(join(dir, 'absent.json'), 'inet') as { problem: string }).problem,
    /ENOENT/,
  );
});
