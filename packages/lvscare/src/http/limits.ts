// The HTTP listeners' limits. Anything on the host network can connect to the metrics listener and
// the pod's CPU and memory are small (RESOURCES in the installer's static-pod.ts), so connections
// are capped, slow or silent ones are dropped on a deadline, and /metrics renders are paced. The
// liveness listener is loopback-only and answers from memory, so its limits are smaller still.

export interface HttpLimits {
  /** Most connections held at once; past it a new one is closed as soon as it is accepted. */
  maxConnections: number;
  /** The kernel's accept queue: past it the kernel drops new SYNs before lvscare spends anything. */
  backlog: number;
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the deadlines above are checked. */
  checkIntervalMs: number;
}

export interface ScrapePace {
  /** /metrics renders per second in the long run; Prometheus needs one per scrape interval. */
  perSecond: number;
  /** Renders allowed at once before the pace applies (several Prometheus, a person with curl). */
  burst: number;
}

export const METRICS_LIMITS: HttpLimits = {
  maxConnections: 64,
  backlog: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

export const SCRAPE_PACE: ScrapePace = { perSecond: 10, burst: 20 };

// kubelet's probe opens one connection per period, with a 1-10 s timeout: a handful is plenty.
export const LIVENESS_LIMITS: HttpLimits = {
  maxConnections: 16,
  backlog: 16,
  headersTimeoutMs: 2_000,
  requestTimeoutMs: 2_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};
