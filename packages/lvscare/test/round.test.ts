// read -> plan -> apply, each on its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialHealth } from '../src/health/state.js';
import { endpointKey } from '../src/config/endpoint.js';
import type { Action } from '../src/reconcile/plan.js';
import { applyPlan, planRound } from '../src/reconcile/round.js';
import { MemoryKernel } from './support/memory-kernel.js';
import { masters, testConfig } from './support/daemon-rig.js';

const config = testConfig();
const wanted = { vip: config.vip, scheduler: 'rr' };
const down = (since = 0) => ({ status: 'down' as const, streak: 0, since, lastFailure: 'x' });
const up = (since = 0) => ({ status: 'up' as const, streak: 0, since, lastFailure: undefined });

test('read: an empty kernel reads as no service', async () => {
  const kernel = new MemoryKernel();
  assert.deepEqual(await kernel.read(config.vip), { service: undefined, destinations: [] });
});

test('plan: an empty kernel gets the service, then every master at full weight', () => {
  const plan = planRound({
    wanted,
    membership: { seed: masters, discovered: [], retiring: [] },
    health: new Map(masters.map((m) => [endpointKey(m), initialHealth(0)])),
    kernel: { service: undefined, destinations: [] },
    applied: undefined,
    draining: new Map(),
    drainTimeoutMs: 1000,
    now: 0,
  });
  assert.deepEqual(
    plan.actions.map((a) => a.kind),
    ['create-service', 'create-destination', 'create-destination', 'create-destination'],
  );
  assert.equal(plan.failOpen, false);
});

test('plan: every master down fails open at full weight', () => {
  const plan = planRound({
    wanted,
    membership: { seed: masters, discovered: [], retiring: [] },
    health: new Map(masters.map((m) => [endpointKey(m), down()])),
    kernel: { service: undefined, destinations: [] },
    applied: undefined,
    draining: new Map(),
    drainTimeoutMs: 1000,
    now: 0,
  });
  assert.equal(plan.failOpen, true);
  assert.deepEqual([...plan.weights.values()], [1, 1, 1]);
});

test('apply: stops at the first refusal and says which actions were done', async () => {
  const kernel = new MemoryKernel();
  const plan = planRound({
    wanted,
    membership: { seed: masters, discovered: [], retiring: [] },
    health: new Map(masters.map((m) => [endpointKey(m), up()])),
    kernel: await kernel.read(config.vip),
    applied: undefined,
    draining: new Map(),
    drainTimeoutMs: 1000,
    now: 0,
  });
  let left = 2;
  const flaky = {
    read: kernel.read.bind(kernel),
    apply: async (w: typeof wanted, a: Action) => {
      if (left-- <= 0) throw new Error('ENOMEM (test)');
      return kernel.apply(w, a);
    },
  };
  const out = await applyPlan(flaky, wanted, plan.actions);
  assert.equal(out.done.length, 2);
  assert.match(String(out.error), /ENOMEM/);
  assert.equal(kernel.usable(), 1);
  const all = await applyPlan(kernel, wanted, plan.actions.slice(2));
  assert.deepEqual(all, { done: plan.actions.slice(2), error: undefined });
});
