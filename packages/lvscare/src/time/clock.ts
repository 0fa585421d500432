// Time for every part of lvscare: a monotonic clock, the wall clock and timers, injected so unit
// tests can run the daemon and discovery on virtual time; an AbortSignal ends a wait early.

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Milliseconds since the epoch, for what Prometheus shows as a timestamp. */
  wallNow(): number;
  /** Calls `fn` once after `ms`; returns what cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** setTimeout fires at once for anything above this; longer waits are cut to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    return () => clearTimeout(timer);
  },
};

/** Resolves after `ms`, or as soon as `signal` aborts (at once when it already has). */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.after(ms, done);
    signal.addEventListener('abort', done);
  });
}

/**
 * The promise's outcome, or `late()`'s value when it has not settled within `ms`. The promise
 * itself is left to settle (or not) on its own.
 */
export function withDeadline<T>(
  clock: Clock,
  work: Promise<T>,
  ms: number,
  late: () => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = clock.after(ms, () => resolve(late()));
    work.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (err: unknown) => {
        cancel();
        reject(err);
      },
    );
  });
}
