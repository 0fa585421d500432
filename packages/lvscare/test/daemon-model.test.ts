// Model-based test of CareDaemon: random sequences of probe, VIP set-up and kernel behaviour
// (fail, hang, throw, recover) and of other writers' changes, on virtual time, checking the
// daemon's promises after every step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { vipDeadlineMs } from '../src/daemon/vip-supervisor.js';
import { endpointKey } from '../src/config/endpoint.js';
import {
  type ProbeMode,
  type Rig,
  type VipMode,
  makeRig,
  masters,
  startRig,
  stopRig,
} from './support/daemon-rig.js';

type Step =
  | { kind: 'probe'; master: number; mode: ProbeMode }
  | { kind: 'vip'; mode: VipMode }
  | { kind: 'kernel'; mode: 'ok' | 'fail' }
  | { kind: 'drift'; what: 'delete-service' | 'zero-weights' }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('probe' as const),
      master: fc.integer({ min: 0, max: masters.length - 1 }),
      mode: fc.constantFrom<ProbeMode>('ok', 'fail', 'hang', 'throw', 'throw-sync'),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('vip' as const),
      mode: fc.constantFrom<VipMode>('ok', 'fail', 'hang', 'throw-sync'),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('kernel' as const),
      mode: fc.constantFrom<'ok' | 'fail'>('ok', 'fail'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('drift' as const),
      what: fc.constantFrom<'delete-service' | 'zero-weights'>('delete-service', 'zero-weights'),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.integer({ min: 1, max: 2500 }),
    }),
    weight: 5,
  },
);

/** When the kernel last started accepting changes, or someone else last changed it. */
interface KernelHistory {
  settledSince: number;
}

function apply(rig: Rig, s: Step, history: KernelHistory): void {
  switch (s.kind) {
    case 'probe':
      rig.setProbe(masters[s.master]!, s.mode);
      return;
    case 'vip':
      rig.vip.how = s.mode;
      return;
    case 'kernel':
      if (s.mode === 'ok' && rig.kernel.mode !== 'ok') history.settledSince = rig.clock.now();
      rig.kernel.mode = s.mode;
      return;
    case 'drift':
      if (rig.kernel.mode === 'fail') return; // nobody else can change a kernel that refuses
      if (s.what === 'delete-service') rig.kernel.deleteService();
      else rig.kernel.zeroWeights();
      history.settledSince = rig.clock.now();
      return;
    case 'wait':
      return;
  }
}

function checkInvariants(rig: Rig, history: KernelHistory, errors: unknown[], at: string): void {
  assert.deepEqual(errors, [], `${at}: nothing escapes the loop`);
  const escaped = rig.events.filter((e) =>
    ['probe-round-failed', 'reconcile-loop-failed', 'vip-report-failed'].includes(e.type),
  );
  assert.deepEqual(escaped, [], `${at}: no round ended in the catch-all`);
  for (const end of rig.events)
    if (end.type === 'reconciled')
      assert.ok(
        end.destinations.some((d) => d.weight > 0),
        `${at}: a reconcile ended with no destination of weight > 0`,
      );
  assert.equal(rig.daemon.livenessProblem(), undefined, `${at}: the loop keeps ticking`);
  const now = rig.clock.now();
  for (const m of masters) {
    const state = rig.daemon.healthOf().get(endpointKey(m))!;
    if (rig.kernel.mode !== 'ok' || state.status !== 'up') continue;
    const since = Math.max(state.since, history.settledSince);
    if (now - since > rig.config.intervalMs)
      assert.ok(
        (rig.kernel.weightOf(m) ?? 0) > 0,
        `${at}: ${m.address} up since ${state.since}, kernel settled since ${history.settledSince}, still at weight ${rig.kernel.weightOf(m)} at ${now}`,
      );
  }
}

test('CareDaemon keeps its promises under random failures, hangs, throws and recoveries', async () => {
  const errors: unknown[] = [];
  const onUnhandled = (err: unknown): void => void errors.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const rig = makeRig();
        const history: KernelHistory = { settledSince: 0 };
        await startRig(rig);
        checkInvariants(rig, history, errors, 'after start');
        for (const [i, s] of steps.entries()) {
          apply(rig, s, history);
          await rig.clock.advance(s.kind === 'wait' ? s.ms : 10);
          checkInvariants(rig, history, errors, `step ${i} ${JSON.stringify(s)}`);
        }
        // Everything recovers: every master is back at full weight within the bounded time.
        for (const m of masters) rig.setProbe(m, 'ok');
        rig.vip.how = 'ok';
        if (rig.kernel.mode !== 'ok') history.settledSince = rig.clock.now();
        rig.kernel.mode = 'ok';
        const c = rig.config;
        // A set-up still hung is given up on at its deadline and retried the round after.
        await rig.clock.advance(
          Math.max(
            c.rise * (c.fastIntervalMs + c.health.timeoutMs + 1000) + 3 * c.intervalMs + 2000,
            vipDeadlineMs(c.intervalMs) + 2 * c.intervalMs,
          ),
        );
        checkInvariants(rig, history, errors, 'after recovery');
        for (const m of masters) assert.equal(rig.kernel.weightOf(m), 1, `${m.address} back`);
        assert.equal(rig.daemon.readinessProblem(), undefined);
        await stopRig(rig);
      }),
      { numRuns: 60 },
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
