// A probe as the daemon runs it: whatever the prober does (throws, rejects, never settles) ends
// as a result, so one master's probe can never stop the loop or keep a master up by hanging.
import type { ProbeResult } from '../probe/prober.js';
import { type Clock, withDeadline } from '../time/clock.js';

/** How long past its own timeout a probe may take before the daemon counts it as failed. */
const PROBE_GRACE_MS = 1000;

export function probeDeadlineMs(timeoutMs: number): number {
  return timeoutMs + PROBE_GRACE_MS;
}

function failed(failure: 'error' | 'timeout', detail: string, durationMs: number): ProbeResult {
  return { outcome: { ok: false, reason: detail }, failure, durationMs };
}

/** A probe that threw: a failed probe with reason `error`. */
function probeThrew(err: unknown, durationMs: number): ProbeResult {
  const text = err instanceof Error ? err.message : String(err);
  return failed('error', `error: probe threw: ${text}`, durationMs);
}

/** A probe that has not settled by the daemon's own deadline: a failed probe, `timeout`. */
function probeNeverSettled(deadlineMs: number): ProbeResult {
  return failed('timeout', `timeout: probe did not settle within ${deadlineMs}ms`, deadlineMs);
}

export async function guardedProbe(
  clock: Clock,
  probe: () => Promise<ProbeResult>,
  timeoutMs: number,
): Promise<ProbeResult> {
  const started = clock.now();
  const deadline = probeDeadlineMs(timeoutMs);
  try {
    // Called inside the promise chain, so a synchronous throw is caught like a rejection.
    const work = Promise.resolve().then(probe);
    const result = await withDeadline(clock, work, deadline, () => probeNeverSettled(deadline));
    if (!result || typeof result !== 'object' || !result.outcome)
      return probeThrew(new Error('probe returned no result'), clock.now() - started);
    return result;
  } catch (err) {
    return probeThrew(err, clock.now() - started);
  }
}
