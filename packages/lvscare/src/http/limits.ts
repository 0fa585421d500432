// The HTTP endpoint's limits. Anything on the host network can connect to it and the pod's memory
// limit is small (RESOURCES in the installer's static-pod.ts), so connections are capped and slow
// or silent ones are dropped on a deadline.

export interface HttpLimits {
  /** Most connections held at once; past it the oldest one not serving a request is dropped. */
  maxConnections: number;
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the deadlines above are checked. */
  checkIntervalMs: number;
}

export const HTTP_LIMITS: HttpLimits = {
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};
