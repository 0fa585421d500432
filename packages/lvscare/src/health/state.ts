// Per-master health: consecutive successes and failures with fall/rise hysteresis. Pure.

export type HealthStatus = 'unknown' | 'up' | 'down';

export interface HealthState {
  status: HealthStatus;
  /** Consecutive results against the current status (failures while up, successes while down). */
  streak: number;
  /** When the status last changed (ms, the daemon's clock). */
  since: number;
  /** Why the last probe failed, while it is failing. */
  lastFailure: string | undefined;
  /**
   * The last failure opened no connection (refused, unreachable, no SYN-ACK): nothing reached
   * the apiserver, so probing such a master often costs it at most a SYN.
   */
  noConnection?: boolean;
}

export interface Thresholds {
  fall: number;
  rise: number;
}

export type ProbeOutcome =
  | { ok: true }
  | {
      ok: false;
      reason: string;
      /** No connection was opened (see HealthState.noConnection). */
      noConnection?: boolean;
      /**
       * Proof rather than a sample: the kernel gave up on the kept connection (keepalive or user
       * timeout), or the master closed it and then refused a new one. Takes the master out at
       * once instead of after `fall` failures.
       */
      decisive?: boolean;
    };

export interface Transition {
  from: HealthStatus;
  to: HealthStatus;
  reason: string | undefined;
}

export const initialHealth = (now: number): HealthState => ({
  status: 'unknown',
  streak: 0,
  since: now,
  lastFailure: undefined,
});

/**
 * The next state after one probe result. An unknown master (just started, or the daemon just
 * restarted) comes up on its first success but, like an up one, goes down only after `fall`
 * failures in a row: a slow first probe on a cold start must not take healthy masters out.
 * Later changes need `fall` failures or `rise` successes in a row.
 */
export function nextHealth(
  state: HealthState,
  outcome: ProbeOutcome,
  thresholds: Thresholds,
  now: number,
): { state: HealthState; transition: Transition | undefined } {
  const reason = outcome.ok ? undefined : outcome.reason;
  const noConnection = !outcome.ok && outcome.noConnection === true;
  const become = (to: HealthStatus): { state: HealthState; transition: Transition } => ({
    state: { status: to, streak: 0, since: now, lastFailure: reason, noConnection },
    transition: { from: state.status, to, reason },
  });
  switch (state.status) {
    case 'unknown':
    case 'up':
      if (outcome.ok) {
        if (state.status === 'unknown') return become('up');
        return { state: { ...state, streak: 0, lastFailure: undefined }, transition: undefined };
      }
      if (outcome.decisive || state.streak + 1 >= thresholds.fall) return become('down');
      return {
        state: { ...state, streak: state.streak + 1, lastFailure: reason, noConnection },
        transition: undefined,
      };
    case 'down':
      if (!outcome.ok)
        return {
          state: { ...state, streak: 0, lastFailure: reason, noConnection },
          transition: undefined,
        };
      if (state.streak + 1 >= thresholds.rise) return become('up');
      return { state: { ...state, streak: state.streak + 1 }, transition: undefined };
  }
}

/**
 * Re-probed at the fast interval: a master whose status may be about to change, and a down one
 * that opened no connection, so that a restarted apiserver is back within moments of its first
 * answer. A down master that does answer (500, a wrong certificate) is probed at the interval:
 * thousands of workers polling a struggling apiserver fast would be load on it.
 */
export function wantsFastProbe(state: HealthState): boolean {
  return state.streak > 0 || (state.status === 'down' && state.noConnection === true);
}
