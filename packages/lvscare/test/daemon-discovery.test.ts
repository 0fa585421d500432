// The daemon following a membership that changes under it: a discovered master is probed and
// enters the kernel only once its probe passes; a dropped one goes to weight 0, then away, and
// its probing stops. Virtual time, in-memory kernel, a scripted discovery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Endpoint, endpointKey, parseEndpoint } from '../src/config/endpoint.js';
import type { MembershipSource } from '../src/discovery/discovered-masters.js';
import {
  type Membership,
  afterAnswer,
  afterKernel,
  initialMembership,
} from '../src/policy/membership.js';
import type { ObservedDestination } from '../src/policy/desired-weights.js';
import { makeRig, masters, startRig, stopRig, testConfig } from './support/daemon-rig.js';

class ScriptedDiscovery implements MembershipSource {
  membership: Membership = initialMembership(masters);
  onChange: () => void = () => {};
  troubleText: string | undefined;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  answer(list: Endpoint[]): void {
    this.membership = afterAnswer(this.membership, list).membership;
    this.onChange();
  }
  observeKernel(observed: Map<string, ObservedDestination>): void {
    const next = afterKernel(this.membership, observed);
    if (next === this.membership) return;
    this.membership = next;
    this.onChange();
  }
  trouble(): string | undefined {
    return this.troubleText;
  }
}

const m4 = parseEndpoint('192.168.0.5:6443')!;

test('a discovered master is added only after its probe passes; one dropped is drained, removed, no longer probed', async () => {
  const discovery = new ScriptedDiscovery();
  const rig = makeRig(testConfig(), discovery);
  discovery.onChange = () => rig.daemon.onMembershipChange();
  await startRig(rig);
  rig.setProbe(m4, 'fail');
  discovery.answer([...masters, m4]);
  await rig.clock.advance(5000);
  assert.ok((rig.probes.get(endpointKey(m4)) ?? 0) > 0, 'the discovered master is probed');
  assert.equal(rig.kernel.weightOf(m4), undefined, 'failing its probe, it is not added');
  rig.setProbe(m4, 'ok');
  await rig.clock.advance(3000);
  assert.equal(rig.kernel.weightOf(m4), 1, 'added once its probe passes');
  assert.match(
    await rig.metrics.text(),
    /lvscare_master_state\{master="192.168.0.5:6443",state="up"\} 1/,
  );
  // Dropped while it still answers: weight 0 first, then removed (no connections in this kernel).
  const weights: Array<number | undefined> = [];
  discovery.answer(masters);
  for (let i = 0; i < 20; i++) {
    await rig.clock.advance(250);
    weights.push(rig.kernel.weightOf(m4));
  }
  assert.ok(weights.includes(0), `drained at weight 0 first: ${JSON.stringify(weights)}`);
  assert.equal(rig.kernel.weightOf(m4), undefined, 'then removed');
  assert.deepEqual(discovery.membership.retiring, [], 'and forgotten');
  const probed = rig.probes.get(endpointKey(m4));
  await rig.clock.advance(5000);
  assert.equal(rig.probes.get(endpointKey(m4)), probed, 'no longer probed');
  assert.doesNotMatch(await rig.metrics.text(), /192\.168\.0\.5/, 'its series are gone');
  assert.equal(rig.kernel.usable(), 3, 'the seed untouched throughout');
  await stopRig(rig);
});

test("discovery's trouble shows in /readyz's text without making the node unready", async () => {
  const discovery = new ScriptedDiscovery();
  const rig = makeRig(testConfig(), discovery);
  await startRig(rig);
  await rig.clock.advance(2000);
  discovery.troubleText = 'discovery failing for 5s: unreachable (connect ECONNREFUSED)';
  assert.equal(rig.daemon.readinessProblem(), undefined);
  assert.equal(rig.daemon.readyNote(), discovery.troubleText);
  await stopRig(rig);
});
