// The Events lvscare posts on its Node, before they reach the API: correlated as kubelet's
// recorder does (client-go tools/record, events_cache.go), shaped as the API validates them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AGGREGATE_MAX_EVENTS,
  AGGREGATE_WINDOW_MS,
  COMBINED_PREFIX,
  type Correlated,
  EventCorrelator,
  SPAM_BURST,
  SPAM_REFILL_MS,
} from '../src/node-events/correlator.js';
import { MAX_MESSAGE_CHARS, nodeEvent } from '../src/node-events/event-object.js';

const out = (m: string) => ({ type: 'Warning' as const, reason: 'APIServerOut', message: m });

/** A correlation that sends something, or the test fails. */
function sent(r: Correlated): Exclude<Correlated, { action: 'drop' }> {
  assert.notEqual(r.action, 'drop');
  return r as Exclude<Correlated, { action: 'drop' }>;
}

test('the same event again is a count on the first Event, not a new one', () => {
  const c = new EventCorrelator('worker-1');
  const first = sent(c.correlate(out('192.168.0.3:6443 out'), 1_000));
  assert.equal(first.action, 'create');
  const again = sent(c.correlate(out('192.168.0.3:6443 out'), 2_000));
  assert.equal(again.action, 'patch');
  assert.equal(again.name, first.name);
  assert.equal(again.count, 2);
  assert.equal(again.firstMs, 1_000);
  // kubelet's names: the object, a dot, the time in nanoseconds in hex
  assert.equal(first.name, `worker-1.${(1_000n * 1_000_000n).toString(16)}`);
  const other = c.correlate(out('192.168.0.4:6443 out'), 3_000);
  assert.equal(other.action, 'create');
});

test('ten messages of one reason within ten minutes become one combined Event', () => {
  const c = new EventCorrelator('worker-1');
  const results = Array.from({ length: AGGREGATE_MAX_EVENTS + 3 }, (_, i) =>
    sent(c.correlate(out(`master ${i} out`), i * 1_000)),
  );
  const created = results.filter((r) => r.action === 'create');
  assert.equal(created.length, AGGREGATE_MAX_EVENTS, 'nine own Events, then one combined');
  const combined = results.slice(AGGREGATE_MAX_EVENTS - 1);
  for (const r of combined) {
    assert.ok(r.note.message.startsWith(COMBINED_PREFIX), r.note.message);
    assert.equal(r.name, combined[0]!.name, 'one combined Event, counted');
  }
  assert.equal(combined.at(-1)!.action, 'patch');
  assert.match(combined.at(-1)!.note.message, /master 12 out$/, 'showing the latest message');
  // after a quiet window, messages are their own again
  const later = sent(c.correlate(out('master 0 out'), 12 * 1_000 + AGGREGATE_WINDOW_MS + 1));
  assert.ok(!later.note.message.startsWith(COMBINED_PREFIX));
});

test('a burst of 25, then one Event per five minutes: the rest is dropped', () => {
  const c = new EventCorrelator('worker-1');
  const note = { type: 'Normal' as const, reason: 'RulesRepaired', message: 'a weight' };
  const burst = Array.from({ length: SPAM_BURST + 5 }, (_, i) => c.correlate(note, i));
  assert.equal(burst.filter((r) => r.action !== 'drop').length, SPAM_BURST);
  assert.equal(c.correlate(note, SPAM_REFILL_MS - 1).action, 'drop');
  assert.notEqual(c.correlate(note, SPAM_REFILL_MS + 10).action, 'drop');
  assert.equal(c.correlate(note, SPAM_REFILL_MS + 20).action, 'drop');
});

test('an Event the API lost is created anew', () => {
  const c = new EventCorrelator('worker-1');
  const first = sent(c.correlate(out('x'), 1));
  c.forget(first.name);
  assert.equal(c.correlate(out('x'), 2).action, 'create');
});

test('the Event: the Node as a cluster-scoped object in default, lvscare on this host, bounded', () => {
  const e = nodeEvent('worker-1', out('y'.repeat(5000)), {
    name: 'worker-1.abc',
    count: 2,
    firstMs: Date.UTC(2026, 11, 6, 6, 0, 0, 500),
    lastMs: Date.UTC(2026, 11, 6, 6, 1, 0),
  });
  assert.deepEqual(e.metadata, { name: 'worker-1.abc', namespace: 'default' });
  assert.deepEqual(e.involvedObject, {
    apiVersion: 'v1',
    kind: 'Node',
    name: 'worker-1',
    uid: 'worker-1',
  });
  assert.deepEqual(e.source, { component: 'lvscare', host: 'worker-1' });
  assert.equal(e.firstTimestamp, '2026-12-06T06:00:00Z');
  assert.equal(e.lastTimestamp, '2026-12-06T06:01:00Z');
  assert.equal(e.count, 2);
  assert.equal(e.message.length, MAX_MESSAGE_CHARS);
});
