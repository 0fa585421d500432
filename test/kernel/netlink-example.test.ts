// The example in packages/netlink-ffi/README.md, run as a user would run it, with ipvsadm as the
// witness of what it left in the kernel.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { clearIpvs, savedRules } from '../support/ipvsadm.js';
import { assertKernelTier } from '../support/kernel.js';
import { run } from '../support/run.js';

const example = fileURLToPath(
  new URL('../../../packages/netlink-ffi/dist/examples/virtual-server.js', import.meta.url),
);

before(() => {
  assertKernelTier();
  clearIpvs();
});
after(() => clearIpvs());

test('the README example creates the service and its two masters, prints them, and can run again', () => {
  // The kernel lists destinations in its own order; the lines are what matters.
  const lines = (out: string) => out.split('\n').filter((l) => l !== '');
  const expected = [
    'tcp 10.103.97.2:6443 rr',
    '  -> 192.168.0.2:6443 masq weight 1',
    '  -> 192.168.0.3:6443 masq weight 1',
  ];
  const first = lines(run(process.execPath, [example]));
  assert.equal(first[0], expected[0]);
  assert.deepEqual([...first].sort(), [...expected].sort());
  assert.deepEqual(savedRules(), [
    '-A -t 10.103.97.2:6443 -s rr',
    '-a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m -w 1',
    '-a -t 10.103.97.2:6443 -r 192.168.0.3:6443 -m -w 1',
  ]);
  assert.deepEqual(
    lines(run(process.execPath, [example])).sort(),
    [...expected].sort(),
    'a second run finds them in place',
  );
  assert.equal(savedRules().length, 3);
});
