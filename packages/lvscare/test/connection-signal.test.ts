import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterLoss, silentPeerOutcome } from '../src/probe/connection-signal.js';

const withCode = (code: string) => Object.assign(new Error(code), { code, syscall: 'read' });

test('the kernel timing out an idle kept connection is decisive; a close or reset is not', () => {
  const silent = silentPeerOutcome(withCode('ETIMEDOUT'));
  assert.ok(silent && !silent.ok && silent.decisive && silent.noConnection);
  assert.equal(silentPeerOutcome(withCode('ECONNRESET')), undefined);
  assert.equal(silentPeerOutcome(undefined), undefined, 'a clean close: probe first');
  const ours = Object.assign(new Error('no answer within 1000ms'), { code: 'ETIMEDOUT' });
  assert.equal(silentPeerOutcome(ours), undefined, "the probe's own deadline is not the kernel's");
});

test('after a loss, a probe that opened no connection is decisive; a 500 or a timeout is one failure', () => {
  const refused = afterLoss({ ok: false, reason: 'refused', noConnection: true });
  assert.ok(!refused.ok && refused.decisive);
  const status = afterLoss({ ok: false, reason: 'status 500' });
  assert.ok(!status.ok && !status.decisive);
  const slow = afterLoss({ ok: false, reason: 'timeout', noConnection: false });
  assert.ok(!slow.ok && !slow.decisive);
  assert.deepEqual(afterLoss({ ok: true }), { ok: true });
});
