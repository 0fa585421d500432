import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCareFor } from '../src/running-care.js';

const vip = '10.103.97.2:6443';

test('recognises lvscare care for the VIP however it was started', () => {
  assert.ok(isCareFor(['/usr/local/bin/lvscare', 'care', '--vs', vip, '--rs', 'x'], vip));
  assert.ok(isCareFor(['node', '/opt/kha/lvscare.mjs', 'care', `--vs=${vip}`], vip));
  assert.ok(isCareFor(['/usr/bin/lvscare', 'care', '--vs', vip, '--health-timeout', '2s'], vip));
});

test('ignores other VIPs, one-shot runs and other programs', () => {
  assert.ok(!isCareFor(['/usr/local/bin/lvscare', 'care', '--vs', '10.103.97.3:6443'], vip));
  assert.ok(!isCareFor(['/usr/local/bin/lvscare', 'care', '--vs', vip, '--run-once'], vip));
  assert.ok(!isCareFor(['/usr/local/bin/lvscare', 'care', '--vs', vip, '-C'], vip));
  assert.ok(!isCareFor(['kha', 'reset', '--vs', vip, 'care'], vip));
  assert.ok(!isCareFor(['/usr/local/bin/lvscare', 'ipvs', 'list'], vip));
});
