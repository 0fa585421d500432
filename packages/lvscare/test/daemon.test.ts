// CareDaemon's guarantees on paths the kernel tier cannot force cheaply: a VIP set-up that fails
// or hangs, probes that throw or never settle. Virtual time, in-memory kernel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeRig, masters, startRig, stopRig, testConfig } from './support/daemon-rig.js';

const [m1, m2, m3] = masters as [(typeof masters)[0], (typeof masters)[0], (typeof masters)[0]];

test('a failing VIP set-up does not stop failover, repairs or readiness reporting', async () => {
  const rig = makeRig();
  rig.vip.how = 'fail';
  await startRig(rig);
  assert.equal(rig.kernel.usable(), 3, 'the virtual server is created although the set-up fails');
  assert.match(
    rig.daemon.readinessProblem() ?? '',
    /route mode set-up failing: no route to any master/,
  );
  rig.setProbe(m1, 'fail');
  await rig.clock.advance(3000);
  assert.ok(!((rig.kernel.weightOf(m1) ?? 0) > 0), 'failover happened');
  rig.kernel.deleteService();
  await rig.clock.advance(1100);
  assert.equal(rig.kernel.usable(), 2, 'a deleted virtual server is recreated');
  const text = await rig.metrics.text();
  assert.match(text, /lvscare_vip_setup_errors_total [1-9]/);
  assert.match(text, /lvscare_vip_setup_ok 0/);
  const failures = rig.events.filter((e) => e.type === 'vip-setup-failed');
  assert.ok(failures.length >= 4 && rig.vip.calls >= 4, 'retried every interval');
  assert.match(text, /lvscare_log_repeats_suppressed_total [1-9]/, 'repeats counted, not logged');
  rig.vip.how = 'ok';
  await rig.clock.advance(1100);
  assert.equal(rig.daemon.readinessProblem(), undefined);
  assert.match(await rig.metrics.text(), /lvscare_vip_setup_ok 1/);
  const vipEvents = rig.events.filter((e) => e.type.startsWith('vip-setup'));
  assert.equal(vipEvents.at(-1)?.type, 'vip-setup-ok');
  await stopRig(rig);
});

test('a VIP set-up that throws synchronously is a failure like any other', async () => {
  const rig = makeRig();
  rig.vip.how = 'throw-sync';
  await startRig(rig);
  assert.equal(rig.kernel.usable(), 3);
  assert.match(rig.daemon.readinessProblem() ?? '', /set-up threw/);
  await stopRig(rig);
});

test('a VIP set-up that hangs: start returns, the loop keeps ticking, readiness says why', async () => {
  const config = testConfig();
  const rig = makeRig(config);
  rig.vip.how = 'hang';
  await startRig(rig);
  assert.equal(rig.kernel.usable(), 3);
  rig.setProbe(m2, 'fail');
  await rig.clock.advance(3000);
  assert.ok(!((rig.kernel.weightOf(m2) ?? 0) > 0), 'failover while the set-up hangs');
  await rig.clock.advance(16_000);
  assert.equal(rig.daemon.livenessProblem(), undefined);
  assert.match(rig.daemon.readinessProblem() ?? '', /has not finished after/);
  await stopRig(rig);
});

test('a probe that throws (sync or async) is a failed probe with reason error, and the loop goes on', async () => {
  const rig = makeRig();
  await startRig(rig);
  await rig.clock.advance(500);
  rig.setProbe(m1, 'throw');
  rig.setProbe(m2, 'throw-sync');
  const before = rig.probes.get('192.168.0.2|6443')!;
  await rig.clock.advance(4000);
  assert.equal(rig.daemon.healthOf().get('192.168.0.2|6443')?.status, 'down');
  assert.equal(rig.daemon.healthOf().get('192.168.0.3|6443')?.status, 'down');
  assert.equal(rig.kernel.weightOf(m3), 1);
  assert.ok(rig.probes.get('192.168.0.2|6443')! > before + 2, 'the probe loop keeps going');
  assert.match(
    await rig.metrics.text(),
    /lvscare_probe_failures_total\{[^}]*reason="error"\} [1-9]/,
  );
  assert.ok(
    rig.events.some((e) => e.type === 'probe-failed' && /error: probe threw/.test(e.detail)),
  );
  rig.setProbe(m1, 'ok');
  await rig.clock.advance(3000);
  assert.equal(rig.daemon.healthOf().get('192.168.0.2|6443')?.status, 'up');
  assert.equal(rig.kernel.weightOf(m1), 1);
  await stopRig(rig);
});

test('a probe that never settles counts as failed after the outer deadline', async () => {
  const rig = makeRig();
  await startRig(rig);
  await rig.clock.advance(500);
  rig.setProbe(m3, 'hang');
  // fall 2, each hung probe failing 300 ms + 1 s grace after it started.
  await rig.clock.advance(2 * (300 + 1000) + 1000);
  assert.equal(rig.daemon.healthOf().get('192.168.0.4|6443')?.status, 'down');
  assert.ok(!((rig.kernel.weightOf(m3) ?? 0) > 0));
  assert.match(
    await rig.metrics.text(),
    /lvscare_probe_failures_total\{[^}]*reason="timeout"\} [1-9]/,
  );
  await stopRig(rig);
});

test('TLS without a CA: reported at start, exported as a metric', async () => {
  const rig = makeRig();
  await startRig(rig);
  assert.deepEqual(rig.events[0], { type: 'probe-tls', scheme: 'https', verified: false });
  assert.match(await rig.metrics.text(), /lvscare_probe_tls_verify 0/);
  await stopRig(rig);
  const base = testConfig();
  const verified = makeRig(
    testConfig({
      health: { ...base.health, insecureSkipVerify: false },
    }),
  );
  await startRig(verified);
  assert.deepEqual(verified.events[0], { type: 'probe-tls', scheme: 'https', verified: true });
  assert.match(await verified.metrics.text(), /lvscare_probe_tls_verify 1/);
  await stopRig(verified);
});

// The connection signals, at lvscare's default 5 s interval: the kept connection carries the
// fast paths, the HTTP probe is rare.
const fiveSeconds = () => testConfig({ intervalMs: 5000 });
const key1 = '192.168.0.2|6443';

test('kept connection closed, then refused: out at once, not after fall probes', async () => {
  const rig = makeRig(fiveSeconds());
  await startRig(rig);
  await rig.clock.advance(6000);
  const probes = rig.probes.get(key1)!;
  rig.setProbe(m1, 'refused');
  rig.loseConnection(m1);
  await rig.clock.advance(10);
  assert.equal(rig.daemon.healthOf().get(key1)?.status, 'down');
  assert.ok(!((rig.kernel.weightOf(m1) ?? 0) > 0), 'm1 out');
  assert.equal(rig.probes.get(key1)! - probes, 1, 'one probe, right after the close');
  assert.equal(rig.afterLoss.get(key1), 1, "that probe was the prober's after-loss one");
  // Refused while down: probed at the fast interval, so a restart is seen at once.
  rig.setProbe(m1, 'ok');
  await rig.clock.advance(2 * 200 + 50);
  assert.equal(rig.kernel.weightOf(m1), 1, 'back after rise probes at the fast interval');
  await stopRig(rig);
});

test('kept connection reset under a probe, then refused: out at once, not after fall probes', async () => {
  const rig = makeRig(testConfig({ intervalMs: 5000, fastIntervalMs: 1000, fall: 3 }));
  await startRig(rig);
  await rig.clock.advance(6000);
  const probes = rig.probes.get(key1)!;
  rig.setProbe(m1, 'dies');
  // The next scheduled probe (at 10 s) meets the master dying; checked before a fast interval.
  await rig.clock.advance(4000 + 500);
  assert.ok(!((rig.kernel.weightOf(m1) ?? 0) > 0), 'm1 out');
  const out = rig.events.find((e) => e.type === 'master-out');
  assert.equal(out?.transition.reason, 'refused', 'taken out by the refused reconnect');
  assert.ok(rig.probes.get(key1)! - probes <= 3, 'no fast-interval wait in between');
  await stopRig(rig);
});

test('the kernel timing the kept connection out takes the master out before any probe answers', async () => {
  const rig = makeRig(fiveSeconds());
  await startRig(rig);
  await rig.clock.advance(6000);
  rig.setProbe(m2, 'hang'); // black-holed: the re-probe would only time out
  const silent = Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT', syscall: 'read' });
  rig.loseConnection(m2, silent);
  await rig.clock.advance(10);
  assert.equal(rig.daemon.healthOf().get('192.168.0.3|6443')?.status, 'down');
  assert.ok(!((rig.kernel.weightOf(m2) ?? 0) > 0), 'm2 out');
  assert.ok(
    rig.events.some(
      (e) => e.type === 'master-out' && /TCP acknowledgement/.test(e.transition.reason ?? ''),
    ),
  );
  await stopRig(rig);
});

test('kept connection closed but the master answers (500): one failure of fall, not out at once', async () => {
  const rig = makeRig(fiveSeconds());
  await startRig(rig);
  await rig.clock.advance(6000);
  rig.setProbe(m3, 'fail');
  rig.loseConnection(m3);
  await rig.clock.advance(10);
  assert.equal(rig.kernel.weightOf(m3), 1, 'still in after one 500');
  await rig.clock.advance(300); // the fast re-probe: fall reached
  assert.ok(!((rig.kernel.weightOf(m3) ?? 0) > 0), 'out after fall failures');
  // Down but answering: probed at the interval, not hammered at the fast one.
  const probes = rig.probes.get('192.168.0.4|6443')!;
  await rig.clock.advance(4000);
  assert.ok(
    rig.probes.get('192.168.0.4|6443')! - probes <= 1,
    'no fast probing of an answering master',
  );
  await stopRig(rig);
});
