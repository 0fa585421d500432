// A drop-in for sealos: its own static pod (command /usr/bin/lvscare, privileged, sealos' flags
// including --health-schem) runs our image under podman kube play and fails over.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { LEAN_V8_FLAGS } from '@kha/lvscare';
import {
  BRING_BACK_MS,
  masterText,
  scenarioTopology,
  vip4 as vip,
  waitAllAt,
} from '../support/care-scenario.js';
import { killAndRestore } from '../support/pod-failover.js';
import { POD_START_MS } from '../support/pod-node.js';
import { waitForMastersUp } from '../support/pod-metrics.js';
import { writeSealosManifest } from '../support/pod-sealos.js';
import { IMAGE_TAG, StaticPod, imageNodeVersion, loadImage } from '../support/pod.js';
import { attempt } from '../support/run.js';

let pod: StaticPod | undefined;
const topo = scenarioTopology(() => {
  if (pod) attempt('podman', ['pod', 'rm', '--force', pod.name]);
});
const all = () => topo.masters.map((m) => masterText(m));

before(async () => {
  loadImage();
  pod = StaticPod.play(writeSealosManifest(vip.text, all(), IMAGE_TAG));
  await waitForMastersUp(pod.metricsAddress, all(), POD_START_MS, () => pod!.logs());
  assert.ok(await waitAllAt(vip, all(), 1, BRING_BACK_MS), 'every master at weight 1');
});

after(() => {
  if (pod?.exists()) pod.down();
});

test("sealos' manifest runs our image: /usr/bin/lvscare care on the image's Node, privileged", () => {
  const p = pod!;
  assert.equal(p.container, 'kube-sealos-lvscare-kube-sealos-lvscare');
  assert.equal(p.state(), 'running');
  const argv = p.argv();
  assert.ok(argv.includes('/usr/bin/lvscare') && argv.includes('--health-schem'), argv.join(' '));
  // sealos' `command: [/usr/bin/lvscare]` names no V8 flags; `care` re-executed itself with them
  // (same pid), naming node by its full path.
  for (const flag of LEAN_V8_FLAGS) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
  assert.equal(argv[0], '/usr/local/bin/node', argv.join(' '));
  const exe = p.exe();
  assert.match(exe.path, /\/usr\/local\/bin\/node$/, "the image's node, not the host's");
  assert.equal(exe.version, imageNodeVersion());
  const hostBnd = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
  assert.equal(p.status().CapEff, hostBnd, 'privileged: every capability the host has');
});

test("failover under sealos' manifest: master killed, out of rotation, at most 1 request fails in the failover; back", async () => {
  const f = await killAndRestore(topo, vip, topo.masters[2]!);
  console.log(
    `sealos-shaped pod failover: m3 at weight 0 ${f.outAfterMs} ms after the kill (ipvsadm polled); of ${f.sent} ` +
      `requests: failed in the failover ${JSON.stringify(f.failedInFailover)}, ` +
      `died in flight ${JSON.stringify(f.diedInFlight)}, timed out later ${JSON.stringify(f.timedOutLater)}`,
  );
  assert.ok(
    f.failedInFailover.length <= 1,
    `failed in the failover: ${JSON.stringify(f.failedInFailover)}`,
  );
});
