import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RepeatLimiter } from '../src/log/repeat-limiter.js';

test('a failure repeating every second is logged once a minute, with the count of repeats', () => {
  const r = new RepeatLimiter(60_000);
  const logged = [];
  for (let t = 0; t <= 120_000; t += 1000) {
    const d = r.occur('probe m1', t, 'timeout');
    if (d.log) logged.push([t, d.suppressed]);
  }
  assert.deepEqual(logged, [
    [0, 0],
    [60_000, 59],
    [120_000, 59],
  ]);
  assert.equal(r.clear('probe m1'), 0);
});

test('a new reason is news: logged at once', () => {
  const r = new RepeatLimiter(60_000);
  assert.equal(r.occur('probe m1', 0, 'reset').log, true);
  assert.equal(r.occur('probe m1', 1000, 'tls').log, true);
  assert.equal(r.occur('probe m1', 2000, 'tls').log, false);
});

test('clearing reports how many repeats went unlogged', () => {
  const r = new RepeatLimiter(60_000);
  r.occur('k', 0);
  r.occur('k', 1);
  r.occur('k', 2);
  assert.equal(r.clear('k'), 2);
  assert.equal(r.clear('k'), undefined);
});
