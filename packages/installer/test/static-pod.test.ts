import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatEndpoint, parseCareArgs } from '@kha/lvscare';
import yaml from 'js-yaml';
import { Pod } from 'kubernetes-models/v1';
import { main } from '../src/cli.js';
import { podSettings } from '../src/settings.js';
import { type StaticPod, staticPod } from '../src/static-pod.js';

/** The image of the example manifest: a registry of the operator's, never a bare name. */
const EXAMPLE_IMAGE = 'registry.example.com/kha/lvscare:0.1.0';

async function captured(argv: string[]): Promise<{ status: number; out: string }> {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const status = await main(argv, sink);
  return { status, out };
}

const masters = ['--master', '192.168.0.2-192.168.0.4', '--image', EXAMPLE_IMAGE];

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
  // A string where the schema wants a list: not a StaticPod any more, which is the point.
  (pod.spec.containers[0]!.securityContext.capabilities as { add: unknown }).add = 'NET_ADMIN';
  assert.throws(() => new Pod(pod as object).validate(), /capabilities\/add must be array/);
});

function staticPodOf(): StaticPod {
  return staticPod({
    image: 'kha/lvscare:test',
    vip: { family: 'inet', address: '10.103.97.2', port: 6443 },
    masters: [{ family: 'inet', address: '192.168.0.2', port: 6443 }],
    caFile: '/etc/kubernetes/pki/ca.crt',
    lvscareArgs: [],
    metricsAddress: { host: '0.0.0.0', port: 9299 },
  });
}

test('least privilege: NET_ADMIN only, not privileged, read-only root, host network, node-critical', () => {
  const pod = staticPodOf();
  const c = pod.spec.containers[0]!;
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
  const args = (yaml.load(out) as StaticPod).spec.containers[0]!.args;
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

const container = (s: Awaited<ReturnType<typeof podSettings>>) => staticPod(s).spec.containers[0]!;

test('by default lvscare serves every node address on port `metrics` 9299; kubelet probes its loopback liveness listener', async () => {
  const c = container(await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'] }));
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9299, protocol: 'TCP' }]);
  const at = c.args.indexOf('--metrics-address');
  assert.equal(c.args[at + 1], '0.0.0.0:9299');
  assert.equal(c.args[c.args.indexOf('--liveness-address') + 1], '127.0.0.1:9298');
  assert.deepEqual(c.livenessProbe.httpGet, {
    host: '127.0.0.1',
    port: 9298,
    path: '/healthz',
    scheme: 'HTTP',
  });
  assert.deepEqual(c.readinessProbe.httpGet, {
    host: '127.0.0.1',
    port: 9298,
    path: '/readyz',
    scheme: 'HTTP',
  });
});

test('a node-critical pod: RuntimeDefault seccomp, a memory limit and no CPU limit, a grace period', async () => {
  const pod = staticPod(await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'] }));
  const c = pod.spec.containers[0]!;
  assert.deepEqual(c.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(pod.spec.priorityClassName, 'system-node-critical');
  assert.deepEqual(Object.keys(c.resources.limits), ['memory'], 'no CPU limit');
  assert.ok(c.resources.requests.cpu);
  assert.equal(pod.spec.terminationGracePeriodSeconds, 10);
});

test("--metrics-address moves the listener and the port; kubelet's probes stay on loopback", async () => {
  for (const [given, arg] of [
    ['10.0.0.5:9400', '10.0.0.5:9400'],
    ['127.0.0.1:9400', '127.0.0.1:9400'],
    ['[::]:9400', '[::]:9400'],
    ['[fd00::5]:9400', '[fd00::5]:9400'],
  ] as const) {
    const s = await podSettings({
      image: EXAMPLE_IMAGE,
      master: ['192.168.0.2'],
      metricsAddress: given,
    });
    const c = container(s);
    assert.equal(c.args[c.args.indexOf('--metrics-address') + 1], arg, given);
    assert.equal(c.ports[0]!.containerPort, 9400);
    // kubelet's probes stay on the loopback liveness listener, whatever the metrics address.
    assert.equal(c.livenessProbe.httpGet.host, '127.0.0.1', given);
    assert.equal(c.livenessProbe.httpGet.port, 9298);
    const { config } = await parseCareArgs(c.args.slice(1));
    assert.deepEqual(config.metricsAddress, s.metricsAddress, 'lvscare parses what the pod passes');
  }
});

test('a bad --metrics-address, or one also given through --lvscare-arg, is a usage error', async () => {
  for (const [argv, message] of [
    [
      ['--metrics-address', 'localhost:9299'],
      /--metrics-address "localhost:9299": not an ADDR:PORT/,
    ],
    [['--metrics-address', ''], /--metrics-address "": not an ADDR:PORT/],
    [['--metrics-address', '0.0.0.0:0'], /--metrics-address "0.0.0.0:0": not an ADDR:PORT/],
    [
      ['--lvscare-arg=--metrics-address=127.0.0.1:9400'],
      /--lvscare-arg: --metrics-address conflicts with what kha sets itself \(--metrics-address\)/,
    ],
  ] as const) {
    const errors: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to put the same function back
    const write = process.stderr.write;
    process.stderr.write = (s: string) => (errors.push(s), true);
    let result: { status: number; out: string };
    try {
      result = await captured(['manifest', ...masters, ...argv]);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(result.status, 2, argv.join(' '));
    assert.equal(result.out, '', 'nothing printed');
    assert.match(errors.join(''), message);
  }
});

test('manifests/kube-lvscare.yaml is what `kha manifest` prints for the example masters', async () => {
  const file = new URL('../../../../manifests/kube-lvscare.yaml', import.meta.url);
  const { out } = await captured(['manifest', ...masters]);
  assert.equal(
    readFileSync(file, 'utf8'),
    out,
    'manifests/kube-lvscare.yaml drifted; regenerate it: kha manifest --master 192.168.0.2-192.168.0.4 --image registry.example.com/kha/lvscare:0.1.0 > manifests/kube-lvscare.yaml',
  );
});

test('discovery (the default): the kubeconfig and the certificate directory read-only, the state directory the only writable mount', async () => {
  const pod = staticPod(await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'] }));
  const c = pod.spec.containers[0]!;
  assert.deepEqual(c.volumeMounts, [
    { name: 'ca', mountPath: '/etc/kubernetes/pki/ca.crt', readOnly: true },
    { name: 'kubeconfig', mountPath: '/etc/kubernetes/kubelet.conf', readOnly: true },
    { name: 'kubelet-pki', mountPath: '/var/lib/kubelet/pki', readOnly: true },
    { name: 'state', mountPath: '/var/lib/kha/lvscare', readOnly: false },
  ]);
  const types = Object.fromEntries(pod.spec.volumes.map((v) => [v.name, v.hostPath.type]));
  assert.deepEqual(types, {
    ca: 'File',
    kubeconfig: 'File',
    'kubelet-pki': 'Directory',
    state: 'DirectoryOrCreate',
  });
  // Still nothing beyond NET_ADMIN, and the root file system stays read-only.
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN'] });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  const { config } = await parseCareArgs(c.args.slice(1));
  assert.equal(config.discovery?.kubeconfig, '/etc/kubernetes/kubelet.conf');
  assert.equal(config.discovery?.stateFile, '/var/lib/kha/lvscare/masters.json');
});

test('--no-discover: --master alone, the CA the only mount; --discover-cidr reaches lvscare', async () => {
  const off = staticPod(
    await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'], discover: false }),
  );
  assert.deepEqual(
    off.spec.volumes.map((v) => v.name),
    ['ca'],
  );
  assert.ok(!off.spec.containers[0]!.args.includes('--kubeconfig'));
  const { out } = await captured(['manifest', ...masters, '--discover-cidr', '192.168.0.0/24']);
  const args = (yaml.load(out) as StaticPod).spec.containers[0]!.args;
  const { config } = await parseCareArgs(args.slice(1));
  assert.equal(config.discovery?.cidr?.text, '192.168.0.0/24');
  await assert.rejects(
    podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'], discoverCidr: '192.168.0.0' }),
    /--discover-cidr "192.168.0.0": not a CIDR/,
  );
  await assert.rejects(
    podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'], discoverCidr: 'fd00::/64' }),
    /--discover-cidr "fd00::\/64": is IPv6 but --vs is not/,
  );
  await assert.rejects(
    podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'], lvscareArg: ['--kubeconfig=/x'] }),
    /--kubeconfig conflicts with what kha sets itself/,
  );
});
