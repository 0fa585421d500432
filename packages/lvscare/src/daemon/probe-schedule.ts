// When a master's next probe starts. Pure.

export interface ProbeTiming {
  intervalMs: number;
  fastIntervalMs: number;
}

/**
 * A settled master is probed every interval; one between states every fast interval, counted
 * from the start of the last probe, so a probe that ran into its timeout is followed at once.
 * A kept connection lost after the last probe ended wakes the master now.
 */
export function nextProbeAt(
  lastStart: number,
  lastEnd: number,
  fast: boolean,
  lostAt: number | undefined,
  timing: ProbeTiming,
): number {
  if (lostAt !== undefined && lostAt >= lastEnd) return lastEnd;
  return lastStart + (fast ? timing.fastIntervalMs : timing.intervalMs);
}
