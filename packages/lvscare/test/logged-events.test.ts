// The production listener of the events seam: which events become which log lines at which level,
// what is counted, and how a repeating failure is limited to a line a window.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { CareEvent } from '../src/events/care-events.js';
import { loggedEvents } from '../src/events/logged-events.js';
import { createLogger } from '../src/log/logger.js';
import { DiscoveryMetrics } from '../src/metrics/discovery-metrics.js';
import { CareMetrics } from '../src/metrics/metrics.js';
import { masters } from './support/daemon-rig.js';
import { VirtualClock } from './support/virtual-clock.js';

function listener() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', 'json', sink);
  const metrics = new CareMetrics(['192.168.0.2:6443'], '10.103.97.2:6443');
  const clock = new VirtualClock();
  const on = loggedEvents({
    logger,
    metrics,
    clock,
    discovery: {
      logger: logger.child({ component: 'discovery' }),
      metrics: new DiscoveryMetrics(new Registry()),
    },
  });
  const emit = (...events: CareEvent[]): void => events.forEach(on);
  /** pino writes asynchronously: [level, msg] of every line so far. */
  const logged = async (): Promise<Array<[unknown, unknown]>> => {
    await new Promise((resolve) => setImmediate(resolve));
    return lines.map((l) => [l.level, l.msg]);
  };
  return { emit, lines, logged, metrics, clock };
}

test('kernel changes: repairs at warn and counted, our own changes at info', async () => {
  const { emit, logged, metrics } = listener();
  emit(
    { type: 'rule-repaired', action: { kind: 'create-service' }, repair: 'service-missing' },
    {
      type: 'rule-changed',
      action: { kind: 'update-destination', destination: masters[0]!, weight: 0 },
    },
  );
  assert.deepEqual(await logged(), [
    ['warn', 'repaired: create virtual server'],
    ['info', 'set 192.168.0.2:6443 weight 0'],
  ]);
  assert.match(await metrics.text(), /lvscare_repairs_total\{kind="service-missing"\} 1/);
});

test('masters out and back, fail-open entered and left: the lines the runbooks name', async () => {
  const { emit, logged, lines } = listener();
  const transition = { from: 'up' as const, to: 'down' as const, reason: 'refused' };
  emit(
    { type: 'master-out', master: '192.168.0.2:6443', transition },
    { type: 'fail-open-entered', masters: ['192.168.0.2:6443'] },
    { type: 'fail-open-left' },
  );
  assert.deepEqual(await logged(), [
    ['info', 'master down'],
    ['error', 'no master is healthy: failing open, every master kept at full weight'],
    ['info', 'a master is healthy again: fail-open ended'],
  ]);
  assert.equal(lines[0]?.reason, 'refused');
});

test('a repeating failure is logged once per window, news when its text changes, and its end once', async () => {
  const { emit, logged, lines, clock, metrics } = listener();
  const failed = (text: string): CareEvent => ({
    type: 'reconcile-failed',
    error: new Error(text),
  });
  emit(failed('EPERM'));
  await clock.advance(1000);
  emit(failed('EPERM'), failed('EPERM'));
  emit(failed('ENOENT'));
  await clock.advance(70_000);
  emit(failed('ENOENT'), failed('ENOENT'));
  emit({ type: 'reconciled', failOpen: false, destinations: [] });
  emit({ type: 'reconciled', failOpen: false, destinations: [] });
  assert.deepEqual(await logged(), [
    ['error', 'reconcile failed'],
    ['error', 'reconcile failed'],
    ['error', 'reconcile failed'],
    ['info', 'reconcile works again'],
  ]);
  assert.deepEqual(
    lines.map((l) => l.repeatsSinceLastLog ?? l.repeats),
    [undefined, 2, undefined, 1],
  );
  assert.match(await metrics.text(), /lvscare_log_repeats_suppressed_total 3/);
});

test('probe failures: one line per master a window, and one when they stop', async () => {
  const { emit, logged, lines } = listener();
  const master = '192.168.0.2:6443';
  const failed: CareEvent = {
    type: 'probe-failed',
    master,
    failure: 'status',
    detail: 'status 500',
  };
  emit(failed, failed, failed, { type: 'probe-passed', master }, { type: 'probe-passed', master });
  assert.deepEqual(await logged(), [
    ['warn', 'probe failed'],
    ['info', 'probe failures stopped'],
  ]);
  assert.deepEqual([lines[0]?.reason, lines[1]?.repeats], ['status 500', 2]);
});

test('TLS not verified: a warning at start, and the metric either way', async () => {
  const { emit, logged, metrics } = listener();
  emit({ type: 'probe-tls', scheme: 'http', verified: false });
  assert.deepEqual(await logged(), []);
  emit({ type: 'probe-tls', scheme: 'https', verified: false });
  const [line] = await logged();
  assert.equal(line?.[0], 'warn');
  assert.match(String(line?.[1]), /not verified/);
  assert.match(await metrics.text(), /lvscare_probe_tls_verify 0/);
});

test('discovery: the same ignored set and the same failure are logged once a window', async () => {
  const { emit, logged, lines } = listener();
  const ignored: CareEvent = {
    type: 'discovery-ignored',
    ignored: {
      count: 1,
      byWhy: { 'outside-cidr': 1 },
      examples: ['192.168.7.7:6443 (outside-cidr)'],
    },
  };
  const tooMany: CareEvent = { type: 'discovery-failed', reason: 'too-many-masters', message: 'x' };
  emit(ignored, ignored, tooMany, tooMany, tooMany, { type: 'discovery-path', path: 'poll' });
  emit({ type: 'discovery-recovered' });
  assert.deepEqual(await logged(), [
    ['info', 'discovered addresses ignored'],
    ['warn', 'discovery failed: serving the masters known so far'],
    [
      'info',
      'following the masters by polling endpoints/kubernetes (a kubelet may not watch it; manifests/kha-discovery-rbac.yaml allows the watch)',
    ],
    ['info', 'discovery works again'],
  ]);
  assert.ok(lines.every((l) => l.component === 'discovery'));
  assert.equal(lines[3]?.repeats, 2);
});
