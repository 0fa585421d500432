// `lvscare ipvs list` prints what ipvsadm created, as a table and as JSON.
import assert from 'node:assert/strict';
import { ZERO_STATS } from '@kha/netlink-ffi';
import { before, test } from 'node:test';
import { clearIpvs, restoreRules } from '../support/ipvsadm.js';
import { LVSCARE_BIN as lvscare } from '../support/artifact.js';
import { assertKernelTier } from '../support/kernel.js';
import { run, attemptWithoutNetAdmin } from '../support/run.js';

before(() => {
  assertKernelTier();
  clearIpvs();
  restoreRules([
    '-A -t 10.103.97.2:6443 -s rr',
    '-a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m -w 1',
    '-a -t 10.103.97.2:6443 -r 192.168.0.3:6443 -g -w 0 -x 9 -y 2',
    '-A -f 7 -6 -s wlc -p 60',
    '-a -f 7 -6 -r [fd00::8]:0 -i -w 4',
  ]);
});

test('ipvs list --json prints every service with its destinations, addresses as text', () => {
  // Only what the sort reads is typed; the comparison below checks every field.
  type Listed = { address?: string; fwmark?: number; destinations: Array<{ address: string }> };
  const list = JSON.parse(run(lvscare, ['ipvs', 'list', '--json'])) as Listed[];
  const zero = { ...ZERO_STATS };
  const byKey = (s: Listed) => `${s.address}:${s.fwmark}`;
  for (const s of list) s.destinations.sort((a, b) => a.address.localeCompare(b.address));
  assert.deepEqual(
    list.sort((a, b) => byKey(a).localeCompare(byKey(b))),
    [
      {
        family: 'inet',
        protocol: 'tcp',
        address: '10.103.97.2',
        port: 6443,
        fwmark: 0,
        scheduler: 'rr',
        flags: [],
        timeout: 0,
        netmask: 32,
        stats: zero,
        destinations: [
          {
            address: '192.168.0.2',
            port: 6443,
            forward: 'masq',
            weight: 1,
            upperThreshold: 0,
            lowerThreshold: 0,
            activeConns: 0,
            inactiveConns: 0,
            stats: zero,
          },
          {
            address: '192.168.0.3',
            port: 6443,
            forward: 'route',
            weight: 0,
            upperThreshold: 9,
            lowerThreshold: 2,
            activeConns: 0,
            inactiveConns: 0,
            stats: zero,
          },
        ],
      },
      {
        family: 'inet6',
        protocol: null,
        address: null,
        port: null,
        fwmark: 7,
        scheduler: 'wlc',
        flags: ['persistent'],
        timeout: 60,
        netmask: 128,
        stats: zero,
        destinations: [
          {
            address: 'fd00::8',
            port: 0,
            forward: 'tunnel',
            weight: 4,
            upperThreshold: 0,
            lowerThreshold: 0,
            activeConns: 0,
            inactiveConns: 0,
            stats: zero,
          },
        ],
      },
    ],
  );
});

test('ipvs list prints a table naming each service and real server', () => {
  const table = run(lvscare, ['ipvs', 'list']);
  assert.match(table, /^IP Virtual Server version 1\.2\.\d+ \(size=\d+\)/);
  assert.match(table, /TCP +10\.103\.97\.2:6443 rr/);
  assert.match(table, /-> 192\.168\.0\.3:6443 route 0 0 0/);
  assert.match(table, /FWM +7 IPv6 wlc persistent timeout 60/);
  assert.match(table, /-> \[fd00::8\]:0 tunnel 4/);
});

test('without CAP_NET_ADMIN: one clear line, exit 1, no stack trace', () => {
  const r = attemptWithoutNetAdmin(lvscare, ['ipvs', 'list']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /needs CAP_NET_ADMIN/);
});
