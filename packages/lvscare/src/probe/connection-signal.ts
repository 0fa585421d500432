// What the end of a master's kept probe connection says about the master. Pure.
//
// The HTTP probe is rare (every --interval, 5 s by default); the connection it keeps carries the
// fast paths. A master whose process dies closes it at once (FIN or RST); one that goes silent
// (partitioned, frozen, black-holed) is dropped by the kernel when TCP keepalive finds nothing
// acknowledged for TCP_USER_TIMEOUT. Each wakes the prober at once; these decide what it means.
import type { ProbeOutcome } from '../health/state.js';

/** An error a system call returned (the kernel's word), not one of ours such as a probe deadline. */
const kernelError = (err: Error | undefined, code: string): boolean => {
  const e = err as { code?: unknown; syscall?: unknown } | undefined;
  return e?.code === code && typeof e.syscall === 'string';
};

/**
 * The kernel's own verdict on a kept connection: keepalives, or the probe's request, went
 * unacknowledged for the user timeout (see livenessFor). A master's kernel acknowledges however
 * slow its apiserver is, so that is a silent master, proof enough to take it out without waiting
 * for `fall` HTTP probes to time out. Undefined for any other end (closed, reset): those are
 * followed by a probe, see afterLoss.
 */
export function silentPeerOutcome(err: Error | undefined): ProbeOutcome | undefined {
  if (!kernelError(err, 'ETIMEDOUT')) return undefined;
  return {
    ok: false,
    reason: 'kept connection timed out: no TCP acknowledgement',
    noConnection: true,
    decisive: true,
  };
}

/**
 * The probe that followed a lost connection. Failing without even a TCP connection (refused,
 * unreachable, no SYN-ACK) right after the master ended the kept one, the master's apiserver is
 * gone: decisive. Any other failure (a 500, a slow answer, TLS) counts as one of `fall`.
 */
export function afterLoss(outcome: ProbeOutcome): ProbeOutcome {
  return !outcome.ok && outcome.noConnection ? { ...outcome, decisive: true } : outcome;
}
