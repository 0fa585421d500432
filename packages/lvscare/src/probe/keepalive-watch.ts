// When an unanswered keepalive means a silent master, and when to look next. Pure.
//
// Linux sends a keepalive after a second of idleness and judges it only at its next firing, a
// second later: a black-holed master is dropped 1-2 s after it went silent. A master's kernel
// answers a keepalive within a round trip, however busy its apiserver, so one left unanswered
// for the user timeout (the bound the kernel already puts on unacknowledged data, see
// livenessFor) says as much, half a second or more sooner. The time is measured from when a
// keepalive was first seen outstanding, on this process's clock, so a late keepalive timer or a
// late event loop can only make the verdict later, never early.
//
// Reads are timed to the keepalive: just after the next one is due, then once more when the one
// outstanding would have been unanswered too long. About one read a second per connection.

/** What TCP_INFO says of the keepalive. */
export interface KeepaliveReading {
  /** Keepalive probes sent and not answered yet. */
  probesOut: number;
  /** Milliseconds since the peer last acknowledged anything. */
  sinceLastAckMs: number;
}

export type KeepaliveVerdict = { silent: true } | { silent: false; nextReadMs: number };

/** After the keepalive is due, how long to leave it to go out before reading. */
const DUE_MARGIN_MS = 20;
/** The shortest wait between reads: a keepalive overdue (data in flight, a late timer). */
const MIN_READ_MS = 100;

export class KeepaliveWatch {
  private outstandingSince: number | undefined;

  constructor(
    /** TCP_KEEPIDLE (and KEEPINTVL) in ms: when the next keepalive leaves after the last answer. */
    private readonly idleMs: number,
    private readonly unansweredMs: number,
  ) {}

  /** One reading at `now`: silent, or when to read next. */
  observe(reading: KeepaliveReading, now: number): KeepaliveVerdict {
    if (reading.probesOut === 0) {
      this.outstandingSince = undefined;
      const untilDue = this.idleMs - reading.sinceLastAckMs;
      return { silent: false, nextReadMs: Math.max(untilDue + DUE_MARGIN_MS, MIN_READ_MS) };
    }
    this.outstandingSince ??= now;
    const left = this.unansweredMs - (now - this.outstandingSince);
    if (left <= 0) return { silent: true };
    return { silent: false, nextReadMs: left };
  }
}
