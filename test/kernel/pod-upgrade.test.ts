// An upgrade of lvscare as an operator makes it: kha update --image NEW rewrites the static pod,
// and kubelet replaces the pod (podman kube down of the old, kube play of the new, as kubelet
// kills a static pod whose file changed and starts the new one: a changed manifest is a new pod
// UID, pkg/kubelet/config's static pod source). The IPVS rules stay in the kernel meanwhile and
// the new lvscare adopts them: a client through the VIP sees no failed request.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KHA_BIN } from '../support/artifact.js';
import { masterText, scenarioTopology, sleep, vip4 as vip } from '../support/care-scenario.js';
import { savedRules } from '../support/ipvsadm.js';
import { NOTHING_LEFT, POD_START_MS, startJoinedPod } from '../support/pod-node.js';
import { IMAGE_TAG, StaticPod, podman } from '../support/pod.js';
import { waitForMastersUp } from '../support/pod-metrics.js';
import { attempt } from '../support/run.js';
import type { ClientResult } from '../support/vip-client.js';

const CLIENT = fileURLToPath(new URL('../support/vip-client-main.js', import.meta.url));

/** Another tag of the built image, as a registry serves the next release under its own name. */
const NEXT_TAG = `${IMAGE_TAG}-next`;

let pods: StaticPod[] = [];
const topo = scenarioTopology(() => {
  for (const p of pods) attempt('podman', ['pod', 'rm', '--force', p.name]);
  attempt('podman', ['rmi', NEXT_TAG]);
  attempt('ip', ['link', 'del', 'lvscare']);
});
after(() => {
  for (const p of pods) if (p.exists()) p.down();
});

test('kha update --image: kubelet replaces the pod with the new tag while a client uses the VIP, 0 failed requests', async () => {
  const { node, pod: old } = await startJoinedPod(topo.masters, topo.caCert);
  pods = [old];
  podman('tag', IMAGE_TAG, NEXT_TAG);
  const masters = topo.masters.map((m) => masterText(m));
  // The kernel's rules, read every 500 ms while kubelet replaces the pod: the witness of no gap.
  // A weight may move (under the emulated CPU a probe can time out, and lvscare does its job);
  // the virtual server and every master must stay, with one at least in rotation.
  const shape = (rules: string[]) => ({
    rules: rules.map((r) => r.replace(/ -w \d+$/, '')).sort(),
    inRotation: rules.some((r) => / -w [1-9]\d*$/.test(r)),
  });
  const before = JSON.stringify(shape(savedRules()));
  const seen = new Set<string>();
  const watch = setInterval(() => seen.add(JSON.stringify(shape(savedRules()))), 500);
  // A timeout long enough that a request the emulated CPU starves still completes, while one
  // sent into a VIP without rules (its route leads nowhere) still fails.
  const RATE = 10;
  const client = spawn(
    process.execPath,
    [CLIENT, vip.address, String(vip.port), String(RATE), '15000'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  client.stdout.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((r) => client.once('exit', r));
  let next: StaticPod | undefined;
  let down = 0;
  let up = 0;
  try {
    while (!output.includes('sending\n')) await sleep(100);
    await sleep(2000);
    const r = spawnSync(
      KHA_BIN,
      ['update', '--image', NEXT_TAG, '--state-dir', join(node.dir, 'state')],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // kubelet's part: the old pod stopped, then the new one started from the changed file.
    down = Date.now();
    old.down();
    next = StaticPod.play(node.manifest);
    pods.push(next);
    await waitForMastersUp(next.metricsAddress, masters, POD_START_MS, () => next!.logs());
    up = Date.now();
    await sleep(3000);
  } finally {
    clearInterval(watch);
    client.kill('SIGTERM');
    await exited;
  }
  const results = JSON.parse(output.slice(output.indexOf('\n') + 1)) as ClientResult[];
  const between = results.filter((x) => x.ok && x.at >= down && x.at <= up).length;
  assert.ok(
    between > 0,
    `answered while no lvscare managed the rules (old pod down to new one up): ${between} of ${results.length}`,
  );
  assert.deepEqual(
    results.filter((x) => !x.ok),
    [],
    'no request through the VIP failed',
  );
  assert.match(before, /"inRotation":true/);
  assert.deepEqual([...seen], [before], 'the virtual server and every master stayed in the kernel');
  assert.equal(next.spec.spec.containers[0]!.image, NEXT_TAG);
  // Both names are full (localhost/...): the archive's and the tag made here.
  const running = podman('inspect', '--format', '{{.ImageName}}', next.container).trim();
  assert.equal(running, NEXT_TAG, `the new pod runs ${running}`);
  assert.match(readFileSync(node.manifest, 'utf8'), new RegExp(`image: ${NEXT_TAG}$`, 'm'));

  const reset = await node.reset(() => next.down());
  assert.equal(reset.status, 0, reset.out);
  assert.deepEqual(node.leftovers(vip.address), NOTHING_LEFT);
});
