import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '@kha/lvscare';
import { parseMasters } from '../src/masters.js';

const text = (values: string[]) => parseMasters(values).map((e) => `${e.address}:${e.port}`);

test('addresses, ports defaulting to 6443, and IPv4 ranges as sealos takes them', () => {
  assert.deepEqual(text(['192.168.0.2', '192.168.0.3:7443']), [
    '192.168.0.2:6443',
    '192.168.0.3:7443',
  ]);
  assert.deepEqual(text(['192.168.0.2-192.168.0.4']), [
    '192.168.0.2:6443',
    '192.168.0.3:6443',
    '192.168.0.4:6443',
  ]);
  assert.deepEqual(text(['10.0.0.255-10.0.1.1:6443']), [
    '10.0.0.255:6443',
    '10.0.1.0:6443',
    '10.0.1.1:6443',
  ]);
  assert.deepEqual(text(['[fd00::2]:6443', 'fd00::3']), ['fd00::2:6443', 'fd00::3:6443']);
});

test("comma-separated, as lvscare's --rs a,b takes them, ranges included", () => {
  assert.deepEqual(text(['192.168.0.2,192.168.0.5-192.168.0.6:7443']), [
    '192.168.0.2:6443',
    '192.168.0.5:7443',
    '192.168.0.6:7443',
  ]);
});

const rejects: Array<[string[], RegExp]> = [
  [[], /--master is required/],
  [['192.168.0.300'], /--master "192\.168\.0\.300": not an address/],
  [['192.168.0.4-192.168.0.2'], /ends before it starts/],
  [['10.0.0.1-10.0.1.1'], /more than 64 addresses/],
  [['192.168.0.2', '192.168.0.1-192.168.0.3'], /--master "192\.168\.0\.2:6443": is given twice/],
  [['192.168.0.2', 'fd00::2'], /mixes IPv4 and IPv6/],
  [['master-1'], /not an address/],
  [['192.168.0.2,'], /--master "192\.168\.0\.2,": an empty address in the list/],
];
for (const [values, message] of rejects) {
  test(`bad --master: ${JSON.stringify(values)}`, () => {
    assert.throws(
      () => parseMasters(values),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  });
}
