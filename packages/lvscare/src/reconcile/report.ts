// What a reconcile round tells the operator: log events and repair counts, decided here (pure)
// and emitted by the daemon, so what gets logged, and how often, is unit-tested.
import type { RepeatLimiter } from '../log/repeat-limiter.js';
import { type Action, describeAction } from './plan.js';

export interface LogEvent {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

export interface ActionsReport {
  events: LogEvent[];
  /** One entry per repair made, by kind. */
  repairs: string[];
}

/** A line for every change made; repairs (drift put back) at warn. */
export function reportActions(done: Action[]): ActionsReport {
  const events: LogEvent[] = [];
  const repairs: string[] = [];
  for (const action of done) {
    if (action.repair) {
      repairs.push(action.repair);
      events.push({
        level: 'warn',
        fields: { repair: action.repair },
        msg: `repaired: ${describeAction(action)}`,
      });
    } else {
      events.push({ level: 'info', fields: {}, msg: describeAction(action) });
    }
  }
  return { events, repairs };
}

/** Entering or leaving fail-open is news; staying in it is not. */
export function reportFailOpen(
  before: boolean,
  after: boolean,
  masters: string[],
): LogEvent | undefined {
  if (before === after) return undefined;
  return after
    ? {
        level: 'error',
        fields: { masters },
        msg: 'no master is healthy: failing open, every master kept at full weight',
      }
    : { level: 'info', fields: {}, msg: 'a master is healthy again: fail-open ended' };
}

/**
 * A failure that may repeat every round: logged the first time, when its text changes, and once
 * per window with the count of repeats in between; undefined when this repeat is only counted.
 */
export function reportFailure(
  repeats: RepeatLimiter,
  key: string,
  now: number,
  err: unknown,
  msg: string,
): LogEvent | undefined {
  const text = err instanceof Error ? err.message : String(err);
  const d = repeats.occur(key, now, text);
  if (!d.log) return undefined;
  return {
    level: 'error',
    fields: { err: text, ...(d.suppressed ? { repeatsSinceLastLog: d.suppressed } : {}) },
    msg,
  };
}

/** The failure named `key` stopped: one line when it had been failing. */
export function reportRecovery(
  repeats: RepeatLimiter,
  key: string,
  msg: string,
): LogEvent | undefined {
  const suppressed = repeats.clear(key);
  return suppressed === undefined
    ? undefined
    : { level: 'info', fields: { repeats: suppressed }, msg };
}
