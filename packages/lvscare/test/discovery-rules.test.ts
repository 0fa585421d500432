// The merge and safety rules of master discovery, as specifications and as properties over random
// sequences of discovery answers, probe results, errors and kernel states.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Endpoint, endpointKey, parseEndpoint } from '../src/config/endpoint.js';
import { type ObservedDestination, type WeightInput } from '../src/policy/desired-weights.js';
import { type HealthState, initialHealth, nextHealth } from '../src/health/state.js';
import { parseCidr } from '../src/config/cidr.js';
import { admitDiscovered } from '../src/discovery/admission.js';
import {
  type Membership,
  afterAnswer,
  afterKernel,
  initialMembership,
  servedMasters,
} from '../src/policy/membership.js';
import { desiredWeights } from '../src/policy/desired-weights.js';

const ep = (t: string): Endpoint => parseEndpoint(t)!;
/** The policy with nothing draining, a 30 s drain and the clock at 0, unless given. */
const weigh = (
  input: Pick<WeightInput, 'membership' | 'health' | 'observed'> & Partial<WeightInput>,
) => desiredWeights({ draining: new Map(), drainTimeoutMs: 30_000, now: 0, ...input });
const vip = ep('10.103.97.2:6443');
const up = (now = 0): HealthState => ({
  status: 'up',
  streak: 0,
  since: now,
  lastFailure: undefined,
});
const down = (now = 0): HealthState => ({
  status: 'down',
  streak: 0,
  since: now,
  lastFailure: 'refused',
});
const seen = (weight: number, conns = 0): ObservedDestination => ({
  weight,
  activeConns: conns,
  inactiveConns: 0,
});
const k = (t: string): string => endpointKey(ep(t));

test('other family, outside --discover-cidr and the VIP itself are ignored, duplicates folded', () => {
  const cidr = parseCidr('10.0.0.0/24')!;
  const r = admitDiscovered(
    [
      ep('10.0.0.14:6443'),
      ep('[fd00::14]:6443'),
      ep('192.168.1.5:6443'),
      ep('10.0.0.14:6443'),
      ep('10.103.97.2:6443'),
    ],
    vip,
    cidr,
  );
  assert.deepEqual(r.admitted, [ep('10.0.0.14:6443')]);
  assert.equal(r.ignored.count, 3);
  assert.deepEqual(r.ignored.byWhy, { 'other-family': 1, 'outside-cidr': 2 });
  assert.deepEqual(admitDiscovered([ep('10.103.97.2:6443')], vip, undefined).ignored.byWhy, {
    'is-the-vip': 1,
  });
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('fd00::/64')!.contains('fd00::1'), true);
  assert.equal(parseCidr('fd00::/64')!.contains('10.0.0.1'), false);
});

test('addresses no worker can reach as another host are refused: loopback, unspecified, multicast, link-local, broadcast', () => {
  const r = admitDiscovered(
    [
      '127.0.0.1:6443',
      '0.0.0.0:6443',
      '0.1.2.3:6443',
      '224.0.0.1:6443',
      '239.255.255.250:6443',
      '169.254.169.254:6443',
      '255.255.255.255:6443',
      '10.0.0.11:6443',
    ].map(ep),
    vip,
    undefined,
  );
  assert.deepEqual(r.admitted, [ep('10.0.0.11:6443')]);
  assert.deepEqual(r.ignored.byWhy, {
    loopback: 1,
    unspecified: 2,
    multicast: 2,
    'link-local': 1,
    broadcast: 1,
  });
  assert.equal(r.ignored.examples.length, 5, 'a few examples, not every address');
  const v6 = admitDiscovered(
    [
      '[::1]:6443',
      '[::]:6443',
      '[ff02::1]:6443',
      '[fe80::1]:6443',
      '[::ffff:127.0.0.1]:6443',
      '[fd00::11]:6443',
    ].map(ep),
    ep('[fd00::2]:6443'),
    undefined,
  );
  assert.deepEqual(v6.admitted, [ep('[fd00::11]:6443')]);
  assert.equal(v6.ignored.count, 5);
});

test('admission is linear: 100,000 copies of a few addresses fold to the distinct ones at once', () => {
  const many: Endpoint[] = [];
  for (let i = 0; i < 100_000; i++) many.push(ep(`10.0.${i % 3}.1:6443`));
  const r = admitDiscovered(many, vip, undefined);
  assert.deepEqual(r.admitted, ['10.0.0.1:6443', '10.0.1.1:6443', '10.0.2.1:6443'].map(ep));
});

test('an empty answer changes nothing; the seed is never part of what discovery can drop', () => {
  const m = initialMembership([ep('10.0.0.11:6443')], [ep('10.0.0.12:6443')]);
  assert.equal(afterAnswer(m, []).membership, m);
  const r = afterAnswer(m, [ep('10.0.0.13:6443')]);
  assert.deepEqual(r.joined, [ep('10.0.0.13:6443')]);
  assert.deepEqual(r.dropped, [ep('10.0.0.12:6443')]);
  assert.deepEqual(r.membership.seed, [ep('10.0.0.11:6443')]);
  assert.deepEqual(r.membership.retiring, [ep('10.0.0.12:6443')]);
  // A dropped master that comes back is served again, not retired.
  const back = afterAnswer(r.membership, [ep('10.0.0.12:6443'), ep('10.0.0.13:6443')]);
  assert.deepEqual(back.membership.retiring, []);
});

test('a discovered master joins the kernel only once its probe passed', () => {
  const m = afterAnswer(initialMembership([ep('10.0.0.11:6443')]), [
    ep('10.0.0.14:6443'),
  ]).membership;
  const observed = new Map([[k('10.0.0.11:6443'), seen(1)]]);
  const before = weigh({
    membership: m,
    health: new Map([[k('10.0.0.11:6443'), up()]]),
    observed,
  });
  assert.equal(before.weights.has(k('10.0.0.14:6443')), false);
  const health = new Map([
    [k('10.0.0.11:6443'), up()],
    [k('10.0.0.14:6443'), up()],
  ]);
  const after = weigh({
    membership: m,
    health,
    observed,
  });
  assert.equal(after.weights.get(k('10.0.0.14:6443')), 1);
});

test('a master discovery drops is drained while it answers, then removed', () => {
  const seed = [ep('10.0.0.11:6443')];
  let m = afterAnswer(initialMembership(seed), [ep('10.0.0.12:6443')]).membership;
  m = afterAnswer(m, [ep('10.0.0.13:6443')]).membership;
  const health = new Map([
    [k('10.0.0.11:6443'), up()],
    [k('10.0.0.12:6443'), up()],
  ]);
  const busy = new Map([
    [k('10.0.0.11:6443'), seen(1)],
    [k('10.0.0.12:6443'), seen(1, 5)],
  ]);
  const d1 = weigh({
    membership: m,
    health,
    observed: busy,
    now: 1000,
  });
  assert.equal(d1.weights.get(k('10.0.0.12:6443')), 0, 'weight 0, not removed');
  assert.equal(d1.draining.get(k('10.0.0.12:6443')), 1000);
  const quiet = new Map([
    [k('10.0.0.11:6443'), seen(1)],
    [k('10.0.0.12:6443'), seen(0, 0)],
  ]);
  const d2 = weigh({
    membership: m,
    health,
    observed: quiet,
    draining: d1.draining,
    now: 2000,
  });
  assert.equal(d2.weights.has(k('10.0.0.12:6443')), false, 'removed once quiet');
  const gone = new Map([[k('10.0.0.11:6443'), seen(1)]]);
  assert.deepEqual(afterKernel(m, gone).retiring, []);
  assert.equal(afterKernel(m, quiet), m);
});

test('fail-open keeps the seed and the admitted, never the retiring', () => {
  let m = afterAnswer(initialMembership([ep('10.0.0.11:6443')]), [
    ep('10.0.0.12:6443'),
    ep('10.0.0.13:6443'),
  ]).membership;
  m = afterAnswer(m, [ep('10.0.0.12:6443')]).membership;
  const health = new Map([
    [k('10.0.0.11:6443'), down()],
    [k('10.0.0.12:6443'), down()],
    [k('10.0.0.13:6443'), up()],
  ]);
  const observed = new Map([
    [k('10.0.0.11:6443'), seen(0, 1)],
    [k('10.0.0.12:6443'), seen(0, 1)],
    [k('10.0.0.13:6443'), seen(1, 1)],
  ]);
  const d = weigh({
    membership: m,
    health,
    observed,
  });
  assert.equal(d.failOpen, true);
  assert.equal(d.weights.get(k('10.0.0.11:6443')), 1);
  assert.equal(d.weights.get(k('10.0.0.12:6443')), 1);
  assert.equal(d.weights.get(k('10.0.0.13:6443')), 0);
});

// A random world: a pool of addresses, a non-empty seed among them, and steps.
const POOL = ['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14', '10.0.0.15', '10.0.0.16'].map(
  (a) => ep(`${a}:6443`),
);
const OTHER = [ep('[fd00::14]:6443'), ep('192.168.9.9:6443')];
type Step =
  | { kind: 'answer'; masters: Endpoint[] }
  | { kind: 'error' }
  | { kind: 'probe'; master: number; ok: boolean }
  | { kind: 'drain'; master: number }
  | { kind: 'tick'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('answer' as const),
    masters: fc.subarray([...POOL, ...OTHER]),
  }),
  fc.constant({ kind: 'error' as const }),
  fc.record({
    kind: fc.constant('probe' as const),
    master: fc.nat(POOL.length - 1),
    ok: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('drain' as const), master: fc.nat(POOL.length - 1) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
);

test('property: never empty, no unproven discovered master added, seed always served, retiring never weighted', () => {
  const cidr = parseCidr('10.0.0.0/24');
  fc.assert(
    fc.property(
      fc.subarray(POOL, { minLength: 1 }),
      fc.array(stepArb, { maxLength: 60 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      (seed, steps, fall, rise) => {
        let m: Membership = initialMembership(seed);
        const health = new Map<string, HealthState>();
        const everFailedSinceUp = new Set<string>();
        // The kernel, as the daemon would leave it after applying the last plan.
        let kernel = new Map<string, ObservedDestination>(
          seed.map((s) => [endpointKey(s), seen(1)]),
        );
        let draining = new Map<string, number>();
        let now = 0;
        for (const step of steps) {
          if (step.kind === 'answer') {
            m = afterAnswer(m, admitDiscovered(step.masters, vip, cidr).admitted).membership;
          } else if (step.kind === 'error') {
            // An error is not an answer: membership and kernel stay as they are.
          } else if (step.kind === 'tick') {
            now += step.ms;
          } else {
            const key = endpointKey(POOL[step.master]!);
            if (step.kind === 'drain') {
              const d = kernel.get(key);
              if (d) kernel.set(key, { ...d, activeConns: 0, inactiveConns: 0 });
              continue;
            }
            if (!servedMasters(m).some((e) => endpointKey(e) === key)) continue;
            const r = nextHealth(
              health.get(key) ?? initialHealth(now),
              step.ok ? { ok: true } : { ok: false, reason: 'refused' },
              { fall, rise },
              now,
            );
            health.set(key, r.state);
            if (!step.ok) everFailedSinceUp.add(key);
            if (r.state.status === 'up') everFailedSinceUp.delete(key);
          }
          const desired = desiredWeights({
            membership: m,
            health,
            observed: kernel,
            draining,
            drainTimeoutMs: 3000,
            now,
          });
          const seedKeys = new Set(seed.map(endpointKey));
          const retiring = new Set(m.retiring.map(endpointKey));
          // Never empty.
          assert.ok(
            [...desired.weights.values()].some((w) => w > 0),
            'the VIP is left empty',
          );
          for (const [key, w] of desired.weights) {
            // Nothing added that did not pass its probe, unless it is a seed master (as --rs
            // always was: created at start, before any probe).
            if (!kernel.has(key) && !seedKeys.has(key))
              assert.equal(health.get(key)?.status, 'up', `${key} added without passing its probe`);
            if (retiring.has(key)) assert.equal(w, 0, `retiring ${key} has weight ${w}`);
            if (!kernel.has(key) && !seedKeys.has(key))
              assert.ok(!everFailedSinceUp.has(key), `${key} added after failing`);
          }
          // The seed is always served.
          const served = new Set(servedMasters(m).map(endpointKey));
          for (const s of seedKeys) assert.ok(served.has(s), `seed ${s} dropped`);
          // Other families and addresses outside the CIDR never get in.
          for (const key of served) assert.ok(key.startsWith('10.0.0.'), `${key} served`);
          // Apply: the kernel becomes the desired weights (connections carried over).
          const next = new Map<string, ObservedDestination>();
          for (const [key, w] of desired.weights)
            next.set(key, { ...(kernel.get(key) ?? seen(w, 1)), weight: w });
          kernel = next;
          draining = desired.draining;
          m = afterKernel(m, kernel);
        }
      },
    ),
    { numRuns: 500 },
  );
});
