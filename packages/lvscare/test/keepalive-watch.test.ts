import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeepaliveWatch } from '../src/probe/keepalive-watch.js';

const quiet = (sinceLastAckMs: number) => ({ probesOut: 0, sinceLastAckMs });
const out = (probesOut = 1) => ({ probesOut, sinceLastAckMs: 1000 });

test('a keepalive is silence only once seen unanswered for the whole bound', () => {
  const watch = new KeepaliveWatch(1000, 500);
  assert.deepEqual(watch.observe(out(), 100), { silent: false, nextReadMs: 500 });
  assert.deepEqual(watch.observe(out(), 599), { silent: false, nextReadMs: 1 });
  assert.deepEqual(watch.observe(out(), 600), { silent: true });
});

test('an answered keepalive starts the count again; so does the next one going out', () => {
  const watch = new KeepaliveWatch(1000, 500);
  assert.equal(watch.observe(out(), 0).silent, false);
  assert.equal(watch.observe(quiet(10), 450).silent, false, 'answered');
  assert.deepEqual(watch.observe(out(), 1000), { silent: false, nextReadMs: 500 }, 'seen late');
  assert.equal(watch.observe(out(), 1400).silent, false);
  assert.equal(watch.observe(out(2), 1500).silent, true, 'still unanswered, a second probe out');
});

test('reads are timed to the keepalive: just after the next is due, never in a busy loop', () => {
  const watch = new KeepaliveWatch(1000, 500);
  assert.deepEqual(watch.observe(quiet(0), 0), { silent: false, nextReadMs: 1020 });
  assert.deepEqual(watch.observe(quiet(700), 0), { silent: false, nextReadMs: 320 });
  // Overdue (a request in flight holds keepalives back, or the timer is late): not sooner than 100 ms.
  assert.deepEqual(watch.observe(quiet(990), 0), { silent: false, nextReadMs: 100 });
  assert.deepEqual(watch.observe(quiet(4000), 0), { silent: false, nextReadMs: 100 });
});
