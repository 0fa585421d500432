// The daemon's events seam: everything lvscare does that an operator, a metric or a test may want
// to know, as plain typed values. Producers (the daemon's parts, discovery) only emit; consumers
// are listeners: the log and the metrics in production (logged-events.ts), a recorder in tests,
// Kubernetes Events on the Node next.
import type { DestinationExtended } from '@kha/netlink-ffi';
import type { DiscoveryEvent } from '../discovery/discovery-events.js';
import type { Transition } from '../health/state.js';
import type { ProbeResult } from '../probe/prober.js';
import type { FailureReason } from '../probe/outcome.js';
import type { Action, RepairKind } from '../reconcile/plan.js';

/** A master is named as formatEndpoint prints it ("192.0.2.1:6443", "[2001:db8::1]:6443"). */
export type CareEvent =
  /** At start: whether the probes check the masters' certificates. */
  | { type: 'probe-tls'; scheme: 'http' | 'https'; verified: boolean }
  /** Discovery brought a master to probe, or took one away. */
  | { type: 'master-added'; master: string }
  | { type: 'master-removed'; master: string }
  /** A master's kept probe connection ended, with the error the socket reported if any. */
  | { type: 'connection-lost'; master: string; error: Error | undefined }
  | { type: 'probed'; master: string; result: ProbeResult }
  /** A failed check of a master: a probe's, or the kept connection's verdict. */
  | { type: 'probe-failed'; master: string; failure: FailureReason | undefined; detail: string }
  | { type: 'probe-passed'; master: string }
  /** Something in a probe round threw; the loop goes on. */
  | { type: 'probe-round-failed'; master: string; error: unknown }
  /** The master goes down (out of the VIP's rotation) or comes up (back in). */
  | { type: 'master-out'; master: string; transition: Transition }
  | { type: 'master-back'; master: string; transition: Transition }
  | { type: 'fail-open-entered'; masters: string[] }
  | { type: 'fail-open-left' }
  /** One change the daemon made to its virtual server, as planned. */
  | { type: 'rule-changed'; action: Action }
  /** One change that put back drift: something changed the virtual server behind our back. */
  | { type: 'rule-repaired'; action: Action; repair: RepairKind }
  /** A reconcile round ended with the kernel as wanted. */
  | { type: 'reconciled'; failOpen: boolean; destinations: DestinationExtended[] }
  | { type: 'reconcile-failed'; error: unknown }
  | { type: 'reconcile-loop-failed'; error: unknown }
  | { type: 'vip-setup-ok' }
  | { type: 'vip-setup-failed'; error: unknown }
  /** The VIP set-up put back something that had been set up before. */
  | { type: 'vip-repaired'; repair: string }
  | { type: 'vip-report-failed'; error: unknown }
  | DiscoveryEvent;

export type CareEventListener = (event: CareEvent) => void;

/** Where the daemon's parts report. */
export interface CareEvents {
  emit(event: CareEvent): void;
}

/**
 * Hands every event to each listener in turn, in the order they were attached, synchronously: a
 * listener that has slow work to do (a request to the API) queues it and returns.
 */
export class CareEventFanOut implements CareEvents {
  private readonly listeners: CareEventListener[] = [];

  constructor(...listeners: CareEventListener[]) {
    this.listeners.push(...listeners);
  }

  /** Attaches a listener; returns what detaches it. */
  listen(listener: CareEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  emit(event: CareEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
