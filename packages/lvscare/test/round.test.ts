// read -> plan -> apply -> report, each on its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialHealth } from '../src/health/state.js';
import { endpointKey } from '../src/health/desired.js';
import { RepeatLimiter } from '../src/log/repeat-limiter.js';
import type { Action } from '../src/reconcile/plan.js';
import {
  reportActions,
  reportFailOpen,
  reportFailure,
  reportRecovery,
} from '../src/reconcile/report.js';
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
    masters,
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
    masters,
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
    masters,
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

test('report: repairs at warn and counted; own changes at info', () => {
  const m = masters[0]!;
  const r = reportActions([
    { kind: 'create-service', repair: 'service-missing' },
    { kind: 'update-destination', destination: m, weight: 0 },
  ]);
  assert.deepEqual(r.repairs, ['service-missing']);
  assert.deepEqual(
    r.events.map((e) => [e.level, e.msg]),
    [
      ['warn', 'repaired: create virtual server'],
      ['info', 'set 192.168.0.2:6443 weight 0'],
    ],
  );
});

test('report: fail-open news only on change', () => {
  assert.equal(reportFailOpen(true, true, []), undefined);
  assert.equal(reportFailOpen(false, true, ['a'])?.level, 'error');
  assert.equal(reportFailOpen(true, false, [])?.level, 'info');
});

test('report: a repeating failure is logged once per window, news when its text changes, and its end once', () => {
  const repeats = new RepeatLimiter(60_000);
  const e = new Error('EPERM');
  assert.ok(reportFailure(repeats, 'k', 0, e, 'failed'));
  assert.equal(reportFailure(repeats, 'k', 1000, e, 'failed'), undefined);
  assert.equal(reportFailure(repeats, 'k', 2000, e, 'failed'), undefined);
  assert.ok(reportFailure(repeats, 'k', 3000, new Error('ENOENT'), 'failed'));
  const later = reportFailure(repeats, 'k', 70_000, new Error('ENOENT'), 'failed');
  assert.deepEqual(later?.fields, { err: 'ENOENT' });
  assert.equal(reportFailure(repeats, 'k', 71_000, new Error('ENOENT'), 'failed'), undefined);
  assert.deepEqual(reportRecovery(repeats, 'k', 'works again')?.fields, { repeats: 1 });
  assert.equal(reportRecovery(repeats, 'k', 'works again'), undefined);
});
