import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '@kha/lvscare';
import type { Route } from '@kha/netlink-ffi';
import { type NodeNetwork, vipConflicts } from '../src/vip-conflicts.js';

const vip: Endpoint = { family: 'inet', address: '10.103.97.2', port: 6443 };
const links = [
  { index: 1, name: 'lo', flags: 0, up: true, mtu: 65536 },
  { index: 2, name: 'eth0', flags: 0, up: true, mtu: 1500 },
  { index: 3, name: 'lvscare', flags: 0, up: true, mtu: 1500, kind: 'dummy' },
];
const route = (r: Partial<Route>): Route => ({
  family: 'inet',
  destination: '0.0.0.0',
  prefixLength: 0,
  table: 254,
  protocol: 2,
  scope: 'link',
  type: 'unicast',
  ...r,
});
const net = (n: Partial<NodeNetwork>): NodeNetwork => ({ links, addresses: [], routes: [], ...n });
const address = (index: number, a: string) => ({
  family: 'inet' as const,
  index,
  address: a,
  prefixLength: 32,
  scope: 'universe' as const,
});

test('a node with the VIP nowhere has no conflict', () => {
  const n = net({
    addresses: [address(2, '192.168.0.10')],
    routes: [
      route({ destination: '192.168.0.0', prefixLength: 24, outputIndex: 2 }),
      route({ gateway: '192.168.0.1', scope: 'universe', outputIndex: 2 }),
      route({
        destination: '10.0.0.0',
        prefixLength: 8,
        gateway: '192.168.0.1',
        scope: 'universe',
      }),
    ],
  });
  assert.deepEqual(vipConflicts(vip, n, 'lvscare'), []);
});

test('the VIP as an address of another link is a conflict; on our own dummy it is a re-run', () => {
  assert.match(
    vipConflicts(vip, net({ addresses: [address(2, '10.103.97.2')] }), 'lvscare')[0]!,
    /already an address of this node \(on eth0\)/,
  );
  assert.deepEqual(
    vipConflicts(vip, net({ addresses: [address(3, '10.103.97.2')] }), 'lvscare'),
    [],
  );
});

test('the VIP inside a directly connected network is a conflict; our own /32 route is not', () => {
  const onLan = net({
    routes: [route({ destination: '10.103.96.0', prefixLength: 23, outputIndex: 2 })],
  });
  assert.match(vipConflicts(vip, onLan, 'lvscare')[0]!, /lies in 10\.103\.96\.0\/23.*eth0/);
  const hostRoute = net({
    routes: [route({ destination: '10.103.97.2', prefixLength: 32, outputIndex: 2 })],
  });
  assert.deepEqual(vipConflicts(vip, hostRoute, 'lvscare'), []);
});

test('IPv6: the prefix test works bit by bit', () => {
  const v6: Endpoint = { family: 'inet6', address: 'fd00:10::99', port: 6443 };
  const r = (destination: string, prefixLength: number) =>
    net({ routes: [route({ family: 'inet6', destination, prefixLength, outputIndex: 2 })] });
  assert.equal(vipConflicts(v6, r('fd00:10::', 64), 'lvscare').length, 1);
  assert.equal(vipConflicts(v6, r('fd00:11::', 64), 'lvscare').length, 0);
  assert.equal(vipConflicts(v6, r('fd00:10::80', 121), 'lvscare').length, 1);
  assert.equal(vipConflicts(v6, r('fd00:10::', 121), 'lvscare').length, 0);
});
