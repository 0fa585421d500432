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
}

export interface Thresholds {
  fall: number;
  rise: number;
}

export type ProbeOutcome = { ok: true } | { ok: false; reason: string };

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
  t: Thresholds,
  now: number,
): { state: HealthState; transition: Transition | undefined } {
  const reason = outcome.ok ? undefined : outcome.reason;
  const become = (to: HealthStatus): { state: HealthState; transition: Transition } => ({
    state: { status: to, streak: 0, since: now, lastFailure: reason },
    transition: { from: state.status, to, reason },
  });
  switch (state.status) {
    case 'unknown':
    case 'up':
      if (outcome.ok) {
        if (state.status === 'unknown') return become('up');
        return { state: { ...state, streak: 0, lastFailure: undefined }, transition: undefined };
      }
      if (state.streak + 1 >= t.fall) return become('down');
      return {
        state: { ...state, streak: state.streak + 1, lastFailure: reason },
        transition: undefined,
      };
    case 'down':
      if (!outcome.ok)
        return { state: { ...state, streak: 0, lastFailure: reason }, transition: undefined };
      if (state.streak + 1 >= t.rise) return become('up');
      return { state: { ...state, streak: state.streak + 1 }, transition: undefined };
  }
}

/** A master whose status may be about to change is re-probed at the fast interval. */
export function wantsFastProbe(state: HealthState): boolean {
  return state.streak > 0;
}
