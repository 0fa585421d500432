import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardedProbe, probeDeadlineMs } from '../src/daemon/probe-guard.js';
import type { ProbeResult } from '../src/probe/prober.js';
import { VirtualClock } from './support/virtual-clock.js';

const ok: ProbeResult = {
  outcome: { ok: true },
  failure: undefined,
  durationMs: 3,
};

test('a probe that settles is passed through', async () => {
  const clock = new VirtualClock();
  assert.deepEqual(await guardedProbe(clock, async () => ok, 100), ok);
});

test('a probe that rejects or throws is a failure with reason error', async () => {
  const clock = new VirtualClock();
  for (const probe of [
    () => Promise.reject(new TypeError('Invalid character in header content ["x"]')),
    () => {
      throw new TypeError('Request path contains unescaped characters');
    },
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a probe that rejects with a non-Error is the case under test
    () => Promise.reject('a string'),
    () => Promise.resolve(undefined as unknown as ProbeResult),
  ]) {
    const r = await guardedProbe(clock, probe, 100);
    assert.equal(r.failure, 'error');
    assert.ok(!r.outcome.ok);
    assert.match(r.outcome.reason, /^error: probe threw: /);
  }
});

test('a probe that never settles fails at the outer deadline, not before', async () => {
  const clock = new VirtualClock();
  const box: { result?: ProbeResult } = {};
  void guardedProbe(clock, () => new Promise(() => {}), 300).then((r) => (box.result = r));
  await clock.advance(probeDeadlineMs(300) - 1);
  assert.equal(box.result, undefined, 'not before the deadline');
  const settled = (): ProbeResult | undefined => box.result;
  await clock.advance(1);
  assert.equal(settled()?.failure, 'timeout');
  assert.equal(settled()?.outcome.ok, false);
});
