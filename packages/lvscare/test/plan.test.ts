import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DestinationExtended, type ServiceExtended, ZERO_STATS } from '@kha/netlink-ffi';
import { endpointKey } from '../src/config/endpoint.js';
import { type Action, planReconcile } from '../src/reconcile/plan.js';

const vip = { family: 'inet' as const, address: '10.103.97.2', port: 6443 };
const wanted = { vip, scheduler: 'rr' };
const m = ['192.168.0.2', '192.168.0.3', '192.168.0.4'].map((a) => ({
  family: 'inet' as const,
  address: a,
  port: 6443,
}));
const zero = { ...ZERO_STATS };
const service = (over: Partial<ServiceExtended> = {}): ServiceExtended =>
  ({
    family: 'inet',
    protocol: 'tcp',
    address: vip.address,
    port: 6443,
    scheduler: 'rr',
    flags: 0,
    timeout: 0,
    netmask: 32,
    stats: zero,
    ...over,
  }) as ServiceExtended;
const dest = (
  address: string,
  weight = 1,
  over: Partial<DestinationExtended> = {},
): DestinationExtended => ({
  family: 'inet',
  address,
  port: 6443,
  forward: 'masq',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactiveConns: 0,
  persistentConns: 0,
  stats: zero,
  ...over,
});
const weights = (...w: Array<number | undefined>) =>
  new Map(
    w.flatMap((x, i) => (x === undefined ? [] : [[endpointKey(m[i]!), x] as [string, number]])),
  );
const summary = (actions: Action[]) =>
  actions.map(
    (a) =>
      `${a.kind}${'destination' in a ? ` ${a.destination.address}` : ''}${'weight' in a ? `=${a.weight}` : ''}${a.repair ? ` [${a.repair}]` : ''}`,
  );

test('an empty kernel at start: create the service and every destination, no repairs counted', () => {
  const plan = planReconcile(
    wanted,
    m,
    weights(1, 1, 1),
    { service: undefined, destinations: [] },
    undefined,
  );
  assert.deepEqual(summary(plan), [
    'create-service',
    'create-destination 192.168.0.2=1',
    'create-destination 192.168.0.3=1',
    'create-destination 192.168.0.4=1',
  ]);
});

test('the kernel already right: nothing to do', () => {
  const kernel = {
    service: service(),
    destinations: [dest('192.168.0.2'), dest('192.168.0.3'), dest('192.168.0.4')],
  };
  assert.deepEqual(
    planReconcile(wanted, m, weights(1, 1, 1), kernel, { weights: weights(1, 1, 1) }),
    [],
  );
});

test('a deleted service is one repair that brings its destinations back', () => {
  const plan = planReconcile(
    wanted,
    m,
    weights(1, 1, 1),
    { service: undefined, destinations: [] },
    { weights: weights(1, 1, 1) },
  );
  assert.deepEqual(summary(plan), [
    'create-service [service-missing]',
    'create-destination 192.168.0.2=1',
    'create-destination 192.168.0.3=1',
    'create-destination 192.168.0.4=1',
  ]);
});

test('drift is repaired and labelled: scheduler, missing, weight, settings, foreign', () => {
  const kernel = {
    service: service({ scheduler: 'wlc' }),
    destinations: [
      dest('192.168.0.3', 5),
      dest('192.168.0.4', 1, { forward: 'route' }),
      dest('192.168.0.9'),
    ],
  };
  const plan = planReconcile(wanted, m, weights(1, 1, 1), kernel, { weights: weights(1, 1, 1) });
  assert.deepEqual(summary(plan), [
    'update-service [service-settings]',
    'create-destination 192.168.0.2=1 [destination-missing]',
    'update-destination 192.168.0.4=1 [destination-settings]',
    'update-destination 192.168.0.3=1 [destination-weight]',
    'delete-destination 192.168.0.9 [destination-foreign]',
  ]);
});

test('health decisions are not repairs, and gains come before losses', () => {
  const kernel = {
    service: service(),
    destinations: [dest('192.168.0.2'), dest('192.168.0.3', 0), dest('192.168.0.4')],
  };
  const plan = planReconcile(wanted, m, weights(0, 1, undefined), kernel, {
    weights: weights(1, 0, 1),
  });
  assert.deepEqual(summary(plan), [
    'update-destination 192.168.0.3=1',
    'update-destination 192.168.0.2=0',
    'delete-destination 192.168.0.4',
  ]);
});
