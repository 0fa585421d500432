// Master discovery as the daemon sees it: the membership (seed, discovered, retiring) kept up to
// date from the API's answers under the safety rules, remembered in the state file, with every
// failure logged (repeat-limited), counted and kept for /readyz. It never touches IPVS: it only
// tells the daemon that the membership changed.
import type { Endpoint } from '../config/endpoint.js';
import { formatEndpoint } from '../config/endpoint.js';
import type { ObservedDestination } from '../health/desired.js';
import type { Logger } from '../log/logger.js';
import { RepeatLimiter } from '../log/repeat-limiter.js';
import type { DiscoverCidr } from '../config/cidr.js';
import { type IgnoredSummary, admitDiscovered } from './admission.js';
import type { Registration } from './api-objects.js';
import { DISCOVERY_ERROR_REASONS, type DiscoveryErrorReason } from './kube-api.js';
import { loadKubeconfig } from './kubeconfig.js';
import { MAX_MASTERS } from './limits.js';
import {
  DEFAULT_DISCOVERY_TIMINGS,
  type DiscoveryPath,
  type DiscoveryTimings,
  MasterDiscovery,
} from './master-discovery.js';
import { type Membership, afterAnswer, afterKernel, initialMembership } from './membership.js';
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

/** What discovery reports to Prometheus (metrics/discovery-metrics.ts). */
export interface DiscoveryCounters {
  discovered(count: number): void;
  failed(reason: DiscoveryErrorReason): void;
  synced(epochMs: number): void;
  /** The path the last successful request took (watch or poll). */
  path(path: DiscoveryPath): void;
}

export interface DiscoveredMastersDeps {
  logger: Logger;
  metrics: DiscoveryCounters;
  /** The membership changed: probe the new masters, drain the dropped ones. */
  onChange(membership: Membership): void;
  now?: () => number;
}

const LOG_REPEAT_WINDOW_MS = 60_000;
const names = (list: Endpoint[]): string[] => list.map(formatEndpoint);

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
  private readonly repeats = new RepeatLimiter(LOG_REPEAT_WINDOW_MS);
  private failing: { reason: DiscoveryErrorReason; message: string; since: number } | undefined;
  private discovery: MasterDiscovery | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private pathNow: DiscoveryPath | undefined;

  constructor(
    private readonly vip: Endpoint,
    seed: Endpoint[],
    private readonly config: DiscoveryConfig,
    private readonly deps: DiscoveredMastersDeps,
  ) {
    this.membershipNow = initialMembership(seed);
    this.now = deps.now ?? (() => performance.now());
  }

  get membership(): Membership {
    return this.membershipNow;
  }

  /** Starts from the state file (if good), then follows the API; resolves once started. */
  start(): Promise<void> {
    const log = this.deps.logger;
    if (this.config.stateFile) {
      const read = readMastersState(this.config.stateFile, this.vip.family);
      if ('masters' in read) {
        const { admitted } = admitDiscovered(read.masters, this.vip, this.config.cidr);
        this.membershipNow = initialMembership(this.membershipNow.seed, admitted);
        this.deps.metrics.discovered(admitted.length);
        log.info(
          { stateFile: this.config.stateFile, masters: names(admitted) },
          'starting from the masters last discovered',
        );
      } else {
        log.info(
          { stateFile: this.config.stateFile, problem: read.problem },
          'state file not used: starting from --rs alone',
        );
      }
    }
    this.discovery = new MasterDiscovery(
      () => loadKubeconfig(this.config.kubeconfig),
      {
        answer: (registration, path) => this.onAnswer(registration, path),
        synced: (path) => this.onSynced(path),
        error: (reason, message) => this.onError(reason, message),
        note: (message, fields) => log.debug(fields ?? {}, message),
      },
      {
        ...(this.config.timings ?? DEFAULT_DISCOVERY_TIMINGS),
        ...(this.config.periodMs !== undefined && {
          periodMs: this.config.periodMs,
          retryWatchMs: 10 * this.config.periodMs,
        }),
      },
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
    this.deps.logger.info({ masters: names(gone) }, 'dropped masters drained and removed');
    this.deps.onChange(next);
  }

  /** For /readyz: discovery's trouble, if any (it does not make the node unready by itself). */
  trouble(): string | undefined {
    if (!this.failing) return undefined;
    const age = Math.round((this.now() - this.failing.since) / 1000);
    return `discovery failing for ${age}s: ${this.failing.reason} (${this.failing.message})`;
  }

  private onAnswer(registration: Registration, path: DiscoveryPath): void {
    const log = this.deps.logger;
    if (registration.overflow) {
      this.onError(
        'too-many-masters',
        `the ${path === 'watch' ? 'EndpointSlice' : 'Endpoints'} kubernetes lists more than ${MAX_MASTERS} masters: a bad answer, the masters known so far are kept`,
      );
      return;
    }
    const found = registration.masters;
    const { admitted, ignored } = admitDiscovered(found, this.vip, this.config.cidr);
    if (ignored.count > 0) this.logIgnored(ignored);
    if (admitted.length === 0) {
      // Not an error of the API, but nothing to act on: the set stays as it is.
      this.onError(
        'empty-answer',
        `the registration listed no usable master (${found.length} address(es) in all)`,
      );
      return;
    }
    this.clearFailure();
    this.deps.metrics.discovered(admitted.length);
    const change = afterAnswer(this.membershipNow, admitted);
    if (change.joined.length === 0 && change.dropped.length === 0) return;
    this.membershipNow = change.membership;
    log.info(
      { joined: names(change.joined), dropped: names(change.dropped), path },
      'discovered masters changed',
    );
    this.remember(admitted);
    this.deps.onChange(change.membership);
  }

  /** One line per answer at most, and the same line again only once a window. */
  private logIgnored(ignored: IgnoredSummary): void {
    const summary = JSON.stringify(ignored.byWhy);
    const d = this.repeats.occur('ignored', this.now(), summary);
    if (d.log)
      this.deps.logger.info(
        {
          ignored: ignored.count,
          byWhy: ignored.byWhy,
          examples: ignored.examples,
          ...(d.suppressed ? { repeatsSinceLastLog: d.suppressed } : {}),
        },
        'discovered addresses ignored',
      );
  }

  private onSynced(path: DiscoveryPath): void {
    this.deps.metrics.synced(Date.now());
    if (path === this.pathNow) return;
    this.pathNow = path;
    this.deps.metrics.path(path);
    this.deps.logger.info(
      { path },
      path === 'watch'
        ? 'following the masters by watching the kubernetes EndpointSlice'
        : 'following the masters by polling endpoints/kubernetes (a kubelet may not watch it; manifests/kha-discovery-rbac.yaml allows the watch)',
    );
  }

  private onError(reason: DiscoveryErrorReason, message: string): void {
    this.deps.metrics.failed(reason);
    if (this.failing?.reason !== reason) this.failing = { reason, message, since: this.now() };
    else this.failing.message = message;
    // One key per reason: a flood alternating two reasons is still one line a minute for each.
    const d = this.repeats.occur(`discovery ${reason}`, this.now());
    if (d.log)
      this.deps.logger.warn(
        { reason, err: message, ...(d.suppressed ? { repeatsSinceLastLog: d.suppressed } : {}) },
        'discovery failed: serving the masters known so far',
      );
  }

  private clearFailure(): void {
    if (!this.failing) return;
    this.failing = undefined;
    let suppressed = 0;
    for (const reason of DISCOVERY_ERROR_REASONS)
      suppressed += this.repeats.clear(`discovery ${reason}`) ?? 0;
    this.deps.logger.info({ repeats: suppressed }, 'discovery works again');
  }

  private remember(admitted: Endpoint[]): void {
    const path = this.config.stateFile;
    if (!path) return;
    this.writing = this.writing.then(async () => {
      try {
        await writeMastersState(path, admitted);
      } catch (err) {
        const d = this.repeats.occur('state file', this.now());
        if (d.log)
          this.deps.logger.warn(
            { stateFile: path, err: (err as Error).message },
            'state file not written: a restart during an API outage starts from --rs alone',
          );
      }
    });
  }
}
