import assert from 'node:assert/strict';
import { test } from 'node:test';
import { careConfigOf, parseCareFlags } from '../src/commands/care-args.js';

test('a single-valued flag given twice keeps its last value; --rs keeps every one', async () => {
  const raw = await parseCareFlags([
    '--vs',
    '10.103.97.2:6443',
    '--interval',
    '1s',
    '--interval',
    '2s',
    '--rs',
    '10.0.0.11:6443',
    '--rs',
    '10.0.0.12:6443',
    '--health-req-headers',
    'a=b',
    '--health-req-headers',
    'c=d',
  ]);
  assert.equal(raw.interval, '2s');
  assert.deepEqual(raw.rs, ['10.0.0.11:6443', '10.0.0.12:6443']);
  assert.deepEqual(raw.healthReqHeaders, ['a=b', 'c=d']);
});

test('careConfigOf checks like lvscare care but does not read the CA file', async () => {
  const c = await careConfigOf([
    '--vs',
    '10.103.97.2:6443',
    '--rs',
    '10.0.0.11:6443',
    '--health-ca-file',
    '/nonexistent/ca.crt',
  ]);
  assert.equal(c.health.caFile, undefined);
  await assert.rejects(
    careConfigOf(['--vs', '10.103.97.2:6443', '--rs', '10.0.0.11:6443', '--fall', 'x']),
    /--fall "x": must be a whole number/,
  );
});
