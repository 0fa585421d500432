import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatEndpoint, parseCareArgs } from '@kha/lvscare';
import yaml from 'js-yaml';
import { Pod } from 'kubernetes-models/v1';
import { main } from '../src/cli.js';
import { podSettings } from '../src/settings.js';
import { staticPod } from '../src/static-pod.js';

async function captured(argv: string[]): Promise<{ status: number; out: string }> {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const status = await main(argv, sink);
  return { status, out };
}

const masters = ['--master', '192.168.0.2-192.168.0.4'];

test('the manifest is a valid Pod by the Kubernetes schema (kubernetes-models)', async () => {
  for (const extra of [[], ['--lvscare-arg=--mode=link', '--metrics-address=127.0.0.1:9400']]) {
    const { status, out } = await captured(['manifest', ...masters, ...extra]);
    assert.equal(status, 0);
    const pod = new Pod(yaml.load(out) as object);
    assert.doesNotThrow(() => pod.validate());
  }
});

test('the schema check rejects a broken pod, so passing it means something', () => {
  const pod = staticPodOf();
  (pod.spec as any).containers[0].securityContext.capabilities.add = 'NET_ADMIN';
  assert.throws(() => new Pod(pod as object).validate(), /capabilities\/add must be array/);
});

function staticPodOf(): Record<string, any> {
  return staticPod({
    image: 'kha/lvscare:test',
    vip: { family: 'inet', address: '10.103.97.2', port: 6443 },
    masters: [{ family: 'inet', address: '192.168.0.2', port: 6443 }],
    caFile: '/etc/kubernetes/pki/ca.crt',
    lvscareArgs: [],
    care: { metricsAddress: { host: '127.0.0.1', port: 9299 } },
  });
}

test('least privilege: NET_ADMIN only, not privileged, read-only root, host network, node-critical', () => {
  const pod = staticPodOf();
  const c = pod.spec.containers[0];
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN'] });
  assert.equal(c.securityContext.privileged, false);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(pod.spec.hostNetwork, true);
  assert.equal(pod.spec.priorityClassName, 'system-node-critical');
  assert.deepEqual(pod.metadata.name, 'kube-lvscare');
  assert.deepEqual(pod.metadata.namespace, 'kube-system');
  assert.ok(c.resources.requests.memory && c.resources.limits.memory);
  assert.deepEqual(c.volumeMounts, [
    { name: 'ca', mountPath: '/etc/kubernetes/pki/ca.crt', readOnly: true },
  ]);
});

test("the container's args are exactly what lvscare care parses, CA verification on", async () => {
  const { out } = await captured(['manifest', ...masters, '--lvscare-arg=--fall=3']);
  const args = (yaml.load(out) as any).spec.containers[0].args as string[];
  assert.equal(args[0], 'care');
  const { config } = await parseCareArgs(args.slice(1));
  assert.equal(formatEndpoint(config.vip), '10.103.97.2:6443');
  assert.deepEqual(config.realServers.map(formatEndpoint), [
    '192.168.0.2:6443',
    '192.168.0.3:6443',
    '192.168.0.4:6443',
  ]);
  assert.equal(config.health.caFile, '/etc/kubernetes/pki/ca.crt');
  assert.equal(config.health.insecureSkipVerify, false);
  assert.equal(config.fall, 3);
});

test('the liveness probe follows --metrics-address', async () => {
  const moved = await podSettings({ master: ['192.168.0.2'], metricsAddress: '127.0.0.1:9400' });
  const probe = (staticPod(moved).spec as any).containers[0].livenessProbe;
  assert.deepEqual(probe.httpGet, {
    host: '127.0.0.1',
    port: 9400,
    path: '/healthz',
    scheme: 'HTTP',
  });
});

test('manifests/kube-lvscare.yaml is what `kha manifest` prints for the example masters', async () => {
  const file = new URL('../../../../manifests/kube-lvscare.yaml', import.meta.url);
  const { out } = await captured(['manifest', ...masters]);
  assert.equal(
    readFileSync(file, 'utf8'),
    out,
    'manifests/kube-lvscare.yaml drifted; regenerate it: kha manifest --master 192.168.0.2-192.168.0.4 > manifests/kube-lvscare.yaml',
  );
});
