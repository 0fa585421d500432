// What /healthz, /livez and /readyz say, from the daemon's own view of itself: pure, shared by the
// metrics listener and the liveness listener.

export interface Liveness {
  /** Why the daemon is not alive, or undefined when it is. */
  livenessProblem(): string | undefined;
  /** Why the rules are not in place, or undefined when they are. */
  readinessProblem(): string | undefined;
  /** Trouble worth showing in /readyz that does not change its status (discovery failing). */
  readyNote?(): string | undefined;
}

export interface Answer {
  status: number;
  body: string;
}

/** The answer for a health path, or undefined when `path` is not one. */
export function healthAnswer(path: string, state: Liveness): Answer | undefined {
  if (path === '/healthz' || path === '/livez') {
    const why = state.livenessProblem();
    return why ? { status: 503, body: `${why}\n` } : { status: 200, body: 'ok\n' };
  }
  if (path === '/readyz') {
    const why = state.readinessProblem();
    const note = state.readyNote?.();
    return { status: why ? 503 : 200, body: `${why ?? 'ok'}\n${note ? `${note}\n` : ''}` };
  }
  return undefined;
}
