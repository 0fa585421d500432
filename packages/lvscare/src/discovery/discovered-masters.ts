// Master discovery as the daemon sees it: the membership (seed, discovered, retiring) kept up to
// date from the API's answers under the safety rules, remembered in the state file, with every
// answer and failure reported as an event and the failure kept for /readyz. It never touches IPVS:
// it only tells the daemon that the membership changed.
import type { Endpoint } from '../config/endpoint.js';
import type { ObservedDestination } from '../policy/desired-weights.js';
import type { DiscoverCidr } from '../config/cidr.js';
import { type Clock, systemClock } from '../time/clock.js';
import { admitDiscovered } from './admission.js';
import type { Registration } from './api-objects.js';
import type { DiscoveryEvents } from './discovery-events.js';
import type { DiscoveryErrorReason } from './kube-api.js';
import { loadKubeconfig } from './kubeconfig.js';
import { MAX_MASTERS } from './limits.js';
import {
  DEFAULT_DISCOVERY_TIMINGS,
  type DiscoveryPath,
  type DiscoveryTimings,
  MasterDiscovery,
} from './master-discovery.js';
import {
  type Membership,
  afterAnswer,
  afterKernel,
  initialMembership,
} from '../policy/membership.js';
import { readMastersState, writeMastersState } from './state-file.js';

export interface DiscoveryConfig {
  kubeconfig: string;
  cidr: DiscoverCidr | undefined;
  stateFile: string | undefined;
  /** --discover-period: one request per period in steady state. */
  periodMs?: number;
  /** Everything else about discovery's pacing (the defaults, but in tests). */
  timings?: DiscoveryTimings;
}

export interface DiscoveredMastersDeps {
  events: DiscoveryEvents;
  /** The membership changed: probe the new masters, drain the dropped ones. */
  onChange(membership: Membership): void;
  clock?: Clock;
}

/** What the daemon needs of discovery (DiscoveredMasters; a scripted one in unit tests). */
export interface MembershipSource {
  readonly membership: Membership;
  start(): Promise<void>;
  stop(): Promise<void>;
  observeKernel(observed: Map<string, ObservedDestination>): void;
  trouble(): string | undefined;
}

export class DiscoveredMasters implements MembershipSource {
  private membershipNow: Membership;
  private failing: { reason: DiscoveryErrorReason; message: string; since: number } | undefined;
  private discovery: MasterDiscovery | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private pathNow: DiscoveryPath | undefined;

  constructor(
    private readonly vip: Endpoint,
    seed: Endpoint[],
    private readonly config: DiscoveryConfig,
    private readonly deps: DiscoveredMastersDeps,
  ) {
    this.membershipNow = initialMembership(seed);
    this.clock = deps.clock ?? systemClock;
  }

  get membership(): Membership {
    return this.membershipNow;
  }

  /** Starts from the state file (if good), then follows the API; resolves once started. */
  start(): Promise<void> {
    const { events } = this.deps;
    const stateFile = this.config.stateFile;
    if (stateFile) {
      const read = readMastersState(stateFile, this.vip.family);
      if ('masters' in read) {
        const { admitted } = admitDiscovered(read.masters, this.vip, this.config.cidr);
        this.membershipNow = initialMembership(this.membershipNow.seed, admitted);
        events.emit({ type: 'discovery-resumed', stateFile, masters: admitted });
      } else {
        events.emit({ type: 'discovery-state-unused', stateFile, problem: read.problem });
      }
    }
    this.discovery = new MasterDiscovery(
      () => loadKubeconfig(this.config.kubeconfig),
      {
        answer: (registration, path) => this.onAnswer(registration, path),
        synced: (path) => this.onSynced(path),
        error: (reason, message) => this.onError(reason, message),
        note: (message, fields) => events.emit({ type: 'discovery-note', message, fields }),
      },
      {
        ...(this.config.timings ?? DEFAULT_DISCOVERY_TIMINGS),
        ...(this.config.periodMs !== undefined && {
          periodMs: this.config.periodMs,
          retryWatchMs: 10 * this.config.periodMs,
        }),
      },
      this.clock,
    );
    this.discovery.start();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.discovery?.stop();
    await this.writing;
  }

  /** After each reconcile: retiring masters the kernel no longer holds are forgotten. */
  observeKernel(observed: Map<string, ObservedDestination>): void {
    const next = afterKernel(this.membershipNow, observed);
    if (next === this.membershipNow) return;
    const gone = this.membershipNow.retiring.filter((r) => !next.retiring.includes(r));
    this.membershipNow = next;
    this.deps.events.emit({ type: 'discovery-drained', masters: gone });
    this.deps.onChange(next);
  }

  /** For /readyz: discovery's trouble, if any (it does not make the node unready by itself). */
  trouble(): string | undefined {
    if (!this.failing) return undefined;
    const age = Math.round((this.clock.now() - this.failing.since) / 1000);
    return `discovery failing for ${age}s: ${this.failing.reason} (${this.failing.message})`;
  }

  private onAnswer(registration: Registration, path: DiscoveryPath): void {
    const { events } = this.deps;
    if (registration.overflow) {
      this.onError(
        'too-many-masters',
        `the ${path === 'watch' ? 'EndpointSlice' : 'Endpoints'} kubernetes lists more than ${MAX_MASTERS} masters: a bad answer, the masters known so far are kept`,
      );
      return;
    }
    const found = registration.masters;
    const { admitted, ignored } = admitDiscovered(found, this.vip, this.config.cidr);
    if (ignored.count > 0) events.emit({ type: 'discovery-ignored', ignored });
    if (admitted.length === 0) {
      // Not an error of the API, but nothing to act on: the set stays as it is.
      this.onError(
        'empty-answer',
        `the registration listed no usable master (${found.length} address(es) in all)`,
      );
      return;
    }
    if (this.failing) {
      this.failing = undefined;
      events.emit({ type: 'discovery-recovered' });
    }
    events.emit({ type: 'discovery-answered', count: admitted.length });
    const change = afterAnswer(this.membershipNow, admitted);
    if (change.joined.length === 0 && change.dropped.length === 0) return;
    this.membershipNow = change.membership;
    events.emit({
      type: 'discovery-changed',
      joined: change.joined,
      dropped: change.dropped,
      path,
    });
    this.remember(admitted);
    this.deps.onChange(change.membership);
  }

  private onSynced(path: DiscoveryPath): void {
    this.deps.events.emit({ type: 'discovery-synced', path });
    if (path === this.pathNow) return;
    this.pathNow = path;
    this.deps.events.emit({ type: 'discovery-path', path });
  }

  private onError(reason: DiscoveryErrorReason, message: string): void {
    if (this.failing?.reason !== reason)
      this.failing = { reason, message, since: this.clock.now() };
    else this.failing.message = message;
    this.deps.events.emit({ type: 'discovery-failed', reason, message });
  }

  private remember(admitted: Endpoint[]): void {
    const stateFile = this.config.stateFile;
    if (!stateFile) return;
    this.writing = this.writing.then(async () => {
      try {
        await writeMastersState(stateFile, admitted);
      } catch (err) {
        this.deps.events.emit({
          type: 'discovery-state-unwritten',
          stateFile,
          error: err as Error,
        });
      }
    });
  }
}
