import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Endpoint, endpointKey } from '../src/config/endpoint.js';
import {
  type DesiredWeights,
  type WeightInput,
  desiredWeights,
} from '../src/policy/desired-weights.js';
import type { Membership } from '../src/policy/membership.js';
import {
  type HealthState,
  initialHealth,
  nextHealth,
  wantsFastProbe,
} from '../src/health/state.js';

const t = { fall: 2, rise: 2 };
const seedOnly = (seed: Endpoint[]): Membership => ({ seed, discovered: [], retiring: [] });
const ok = { ok: true } as const;
const fail = (reason = 'timeout') => ({ ok: false, reason }) as const;

function run(outcomes: boolean[], start = initialHealth(0)) {
  let s = start;
  const transitions: string[] = [];
  outcomes.forEach((o, i) => {
    const r = nextHealth(s, o ? ok : fail(), t, i + 1);
    s = r.state;
    if (r.transition) transitions.push(`${r.transition.from}->${r.transition.to}`);
  });
  return { state: s, transitions };
}

test('an unknown master comes up on its first success, and goes down only after `fall` failures', () => {
  assert.deepEqual(run([true]).transitions, ['unknown->up']);
  assert.deepEqual(run([false]).transitions, []);
  assert.deepEqual(run([false, false]).transitions, ['unknown->down']);
  assert.deepEqual(run([false, true]).transitions, ['unknown->up']);
});

test('up needs `fall` failures in a row to go down; one success resets the count', () => {
  assert.deepEqual(run([true, false, true, false, true]).transitions, ['unknown->up']);
  assert.deepEqual(run([true, false, false]).transitions, ['unknown->up', 'up->down']);
});

test('down needs `rise` successes in a row to come back', () => {
  assert.deepEqual(run([false, false, true, false, true]).transitions, ['unknown->down']);
  assert.deepEqual(run([false, false, true, true]).transitions, ['unknown->down', 'down->up']);
});

test('a master between states is re-probed fast; a settled one is not', () => {
  assert.equal(wantsFastProbe(run([true, false]).state), true);
  assert.equal(wantsFastProbe(run([true, false, false]).state), false);
  assert.equal(wantsFastProbe(run([true]).state), false);
});

test('a flapping master changes state at most once per fall/rise window', () => {
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { maxLength: 200 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      (outcomes, fall, rise) => {
        let s = initialHealth(0);
        let transitions = 0;
        for (const o of outcomes) {
          const r = nextHealth(s, o ? ok : fail(), { fall, rise }, 0);
          s = r.state;
          if (r.transition) transitions++;
        }
        // After the first decision, each transition needs at least min(fall, rise) results.
        assert.ok(
          transitions <= 1 + Math.floor(Math.max(0, outcomes.length - 1) / Math.min(fall, rise)),
        );
      },
    ),
  );
});

const masters = ['192.168.0.2', '192.168.0.3', '192.168.0.4'].map((a) => ({
  family: 'inet' as const,
  address: a,
  port: 6443,
}));

/** The policy over the three seed masters; a field not given is empty, 0, or a 30 s drain. */
const weigh = (input: Partial<WeightInput>): DesiredWeights =>
  desiredWeights({
    membership: seedOnly(masters),
    health: new Map(),
    observed: new Map(),
    draining: new Map(),
    drainTimeoutMs: 30_000,
    now: 0,
    ...input,
  });
const key = (i: number) => endpointKey(masters[i]!);
const state = (status: HealthState['status'], since = 0): HealthState => ({
  status,
  streak: 0,
  since,
  lastFailure: undefined,
});
const health = (...s: HealthState[]) => new Map(s.map((x, i) => [key(i), x]));
const seen = (weight: number, active = 0, inactive = 0) => ({
  weight,
  activeConns: active,
  inactiveConns: inactive,
});

test('a down master goes to weight 0 first, and is removed only from weight 0 once drained or timed out', () => {
  const h = health(state('up'), state('up'), state('down', 1000));
  const first = weigh({
    health: h,
    observed: new Map([[key(2), seen(1, 0, 0)]]),
    now: 2000,
  });
  assert.deepEqual(
    [...first.weights],
    [
      [key(0), 1],
      [key(1), 1],
      [key(2), 0],
    ],
    'not removed while the kernel has it at 1',
  );
  assert.deepEqual([...first.draining], [[key(2), 2000]], 'the drain clock starts at weight 0');
  const busy = weigh({
    health: h,
    observed: new Map([[key(2), seen(0, 3, 1)]]),
    draining: first.draining,
    now: 5000,
  });
  assert.equal(busy.weights.get(key(2)), 0, 'kept at 0 while connections drain');
  const quiet = weigh({
    health: h,
    observed: new Map([[key(2), seen(0, 0, 0)]]),
    draining: busy.draining,
    now: 6000,
  });
  assert.equal(quiet.weights.has(key(2)), false, 'removed once drained');
  const late = weigh({
    health: h,
    observed: new Map([[key(2), seen(0, 5, 5)]]),
    draining: busy.draining,
    now: 32_000,
  });
  assert.equal(late.weights.has(key(2)), false, 'removed after the drain timeout');
  const gone = weigh({
    health: h,
    now: 40_000,
  });
  assert.equal(
    gone.weights.has(key(2)),
    false,
    'a down master absent from the kernel stays absent',
  );
});

test('leaving fail-open: down masters long down still go through weight 0', () => {
  const h = health(state('down', 0), state('down', 0), state('up'));
  const d = weigh({
    health: h,
    observed: new Map([
      [key(0), seen(1)],
      [key(1), seen(1)],
      [key(2), seen(1)],
    ]),
    drainTimeoutMs: 3000,
    now: 60_000,
  });
  assert.deepEqual([...d.weights.values()], [0, 0, 1]);
});

test('unknown masters keep what the kernel has, or full weight when absent', () => {
  const h = health(state('unknown'), state('unknown'), state('up'));
  const d = weigh({
    health: h,
    observed: new Map([[key(0), seen(0)]]),
  });
  assert.equal(d.weights.get(key(0)), 0);
  assert.equal(d.weights.get(key(1)), 1);
});

test('fail-open: no usable master means every master at full weight', () => {
  const allDown = weigh({
    health: health(state('down'), state('down'), state('down')),
    drainTimeoutMs: 0,
    now: 99_999,
  });
  assert.equal(allDown.failOpen, true);
  assert.deepEqual([...allDown.weights.values()], [1, 1, 1]);
  const onlyZero = weigh({
    health: health(state('down'), state('down'), state('unknown')),
    observed: new Map([[key(2), seen(0)]]),
    drainTimeoutMs: 0,
  });
  assert.equal(onlyZero.failOpen, true);
});

test('the desired set is never empty while masters are configured', () => {
  const status = fc.constantFrom('unknown', 'up', 'down' as const);
  fc.assert(
    fc.property(
      fc.tuple(status, status, status),
      fc.array(fc.nat({ max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.nat({ max: 60_000 }),
      (st, w, now) => {
        const h = health(...st.map((s) => state(s)));
        const observed = new Map(w.map((weight, i) => [key(i), seen(weight, i, 0)]));
        const d = weigh({
          health: h,
          observed,
          now,
        });
        assert.ok([...d.weights.values()].some((x) => x > 0));
      },
    ),
  );
});

test('a decisive failure takes an up or unknown master down at once; a down one stays down', () => {
  const decisive = { ok: false, reason: 'refused', decisive: true, noConnection: true } as const;
  const up = run([true]).state;
  const r = nextHealth(up, decisive, { fall: 3, rise: 2 }, 5);
  assert.deepEqual(r.transition, { from: 'up', to: 'down', reason: 'refused' });
  assert.equal(nextHealth(initialHealth(0), decisive, t, 1).state.status, 'down');
  const again = nextHealth(r.state, decisive, t, 6);
  assert.equal(again.transition, undefined);
  assert.equal(again.state.status, 'down');
});

test('down and unreachable is probed fast (a restart is seen at once); down but answering is not', () => {
  const refused = { ok: false, reason: 'refused', noConnection: true } as const;
  const down = nextHealth(run([true]).state, { ...refused, decisive: true }, t, 2).state;
  assert.equal(wantsFastProbe(down), true);
  const answering = run([true, false, false]).state; // failures with a connection (500, timeout)
  assert.equal(answering.status, 'down');
  assert.equal(wantsFastProbe(answering), false);
  // Back in after `rise` successes, each probed fast.
  const once = nextHealth(down, ok, t, 3).state;
  assert.equal(wantsFastProbe(once), true);
  assert.equal(nextHealth(once, ok, t, 4).state.status, 'up');
});
