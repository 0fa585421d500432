// When an unanswered keepalive means a silent master. Pure.
//
// Linux sends a keepalive after a second of idleness and judges it only at its next firing, a
// second later: a black-holed master is dropped 1-2 s after it went silent. A master's kernel
// answers a keepalive within a round trip, however busy its apiserver, so one left unanswered
// for the user timeout (the bound the kernel already puts on unacknowledged data, see
// livenessFor) says as much, half a second or more sooner. The time is measured from when a
// probe was first seen outstanding, on this process's clock, so a late keepalive timer or a late
// event loop can only make the verdict later, never early.

export class KeepaliveWatch {
  private outstandingSince: number | undefined;

  constructor(private readonly unansweredMs: number) {}

  /** One reading of TCP_INFO at `now`; true once a keepalive has gone unanswered long enough. */
  silent(probesOut: number, now: number): boolean {
    if (probesOut === 0) {
      this.outstandingSince = undefined;
      return false;
    }
    this.outstandingSince ??= now;
    return now - this.outstandingSince >= this.unansweredMs;
  }
}
