// Every served master's fall/rise state, fed by the probe scheduler's checks: a check is reported
// as an event, and a master that goes out or comes back asks for a reconcile.
import { endpointKey, type Endpoint, formatEndpoint } from '../config/endpoint.js';
import type { CareEvents } from '../events/care-events.js';
import {
  type HealthState,
  type ProbeOutcome,
  type Thresholds,
  initialHealth,
  nextHealth,
  wantsFastProbe,
} from '../health/state.js';
import type { FailureReason } from '../probe/outcome.js';
import type { Clock } from '../time/clock.js';

export interface MasterHealthDeps {
  thresholds: Thresholds;
  clock: Clock;
  events: CareEvents;
  /** A master went out or came back: the VIP's destinations must follow. */
  onTransition(): void;
}

export class MasterHealth {
  private readonly states = new Map<string, HealthState>();

  constructor(private readonly deps: MasterHealthDeps) {}

  add(master: Endpoint): void {
    this.states.set(endpointKey(master), initialHealth(this.deps.clock.now()));
  }

  remove(master: Endpoint): void {
    this.states.delete(endpointKey(master));
  }

  /** One check of a master: a probe's result, or the kept connection's verdict. */
  record(master: Endpoint, outcome: ProbeOutcome, failure: FailureReason | undefined): void {
    const { events, clock, thresholds } = this.deps;
    const key = endpointKey(master);
    const before = this.states.get(key);
    if (!before) return; // no longer served
    const name = formatEndpoint(master);
    const { state, transition } = nextHealth(before, outcome, thresholds, clock.now());
    this.states.set(key, state);
    if (outcome.ok) events.emit({ type: 'probe-passed', master: name });
    else events.emit({ type: 'probe-failed', master: name, failure, detail: outcome.reason });
    if (!transition) return;
    const type = transition.to === 'down' ? 'master-out' : 'master-back';
    events.emit({ type, master: name, transition });
    this.deps.onTransition();
  }

  /** Between states, or down with no connection: probed at the fast interval. */
  wantsFastProbe(master: Endpoint): boolean {
    const state = this.states.get(endpointKey(master));
    return state !== undefined && wantsFastProbe(state);
  }

  /** Every served master's state, by endpointKey. */
  get current(): ReadonlyMap<string, HealthState> {
    return this.states;
  }
}
