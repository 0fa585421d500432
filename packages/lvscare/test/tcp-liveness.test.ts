import assert from 'node:assert/strict';
import { test } from 'node:test';
import { livenessFor } from '../src/probe/connector.js';

/** Linux retransmits unacknowledged data after at least this (TCP_RTO_MIN). */
const KERNEL_MIN_RTO_MS = 200;

test('an idle kept connection is dropped at the second keepalive after the last answer', () => {
  for (const timeoutMs of [200, 1000, 3000, 10_000]) {
    const l = livenessFor(timeoutMs);
    const secondFiringMs = (l.keepaliveIdleSeconds + l.keepaliveIntervalSeconds) * 1000;
    // A user timeout up to the second firing makes that firing the one that drops; a longer one
    // (a longer probe timeout) waits for silence that long.
    if (timeoutMs / 2 <= secondFiringMs) assert.ok(l.userTimeoutMs <= secondFiringMs);
    assert.equal(l.keepaliveIdleSeconds, 1, 'the kernel allows nothing shorter');
    assert.equal(l.keepaliveIntervalSeconds, 1);
  }
});

test("a request to a silent master ends on the kernel's verdict before the probe's deadline", () => {
  for (const timeoutMs of [1000, 3000, 10_000]) {
    const l = livenessFor(timeoutMs);
    assert.ok(KERNEL_MIN_RTO_MS + l.userTimeoutMs < timeoutMs, `timeout ${timeoutMs} ms`);
  }
});

test('the user timeout leaves room for a retransmission to be answered', () => {
  for (const timeoutMs of [100, 200, 1000])
    assert.ok(livenessFor(timeoutMs).userTimeoutMs >= 2 * KERNEL_MIN_RTO_MS);
});
