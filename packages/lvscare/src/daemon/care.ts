// The lvscare daemon, wired from its parts: probe (probe-scheduler.ts) -> health state
// (master-health.ts) -> desired weights (policy/) -> plan against the kernel and apply
// (reconciler.ts) -> events (events/), every interval and at once whenever a master changes state.
// The VIP's set-up (vip-supervisor.ts) runs after the IPVS reconcile, never in front of it.
import { type Endpoint, endpointKey, formatEndpoint } from '../config/endpoint.js';
import type { MembershipSource } from '../discovery/discovered-masters.js';
import type { CareEvents } from '../events/care-events.js';
import type { HealthState, Thresholds } from '../health/state.js';
import { type Membership, initialMembership, servedMasters } from '../policy/membership.js';
import type { IpvsKernel } from '../reconcile/kernel.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { VipSetup } from '../vip/mode.js';
import { MasterHealth } from './master-health.js';
import type { ProbeTiming } from './probe-schedule.js';
import { type ProbeFactory, ProbeScheduler } from './probe-scheduler.js';
import { Reconciler } from './reconciler.js';
import { VipSupervisor } from './vip-supervisor.js';

/** What the daemon needs of care's configuration. */
export interface CareSettings extends ProbeTiming, Thresholds {
  vip: Endpoint;
  scheduler: string;
  /** The seed masters (`--rs`). */
  realServers: Endpoint[];
  drainTimeoutMs: number;
  health: { scheme: 'http' | 'https'; insecureSkipVerify: boolean; timeoutMs: number };
}

export interface CareDeps {
  /** Our virtual server in the kernel (ipvsKernel(ipvs) in production). */
  kernel: IpvsKernel;
  vip: VipSetup;
  events: CareEvents;
  probeFor: ProbeFactory;
  /** Master discovery (--kubeconfig): the masters served follow it; absent, --rs alone. */
  discovery?: MembershipSource | undefined;
  clock?: Clock;
}

export class CareDaemon {
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private readonly health: MasterHealth;
  private readonly probes: ProbeScheduler;
  private readonly reconciler: Reconciler;
  private readonly vipSetup: VipSupervisor;
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly settings: CareSettings,
    private readonly deps: CareDeps,
  ) {
    const clock = (this.clock = deps.clock ?? systemClock);
    const { events } = deps;
    const signal = this.stopping.signal;
    this.health = new MasterHealth({
      thresholds: { fall: settings.fall, rise: settings.rise },
      clock,
      events,
      onTransition: () => void this.reconciler.request(),
    });
    this.probes = new ProbeScheduler({
      timing: {
        intervalMs: settings.intervalMs,
        fastIntervalMs: settings.fastIntervalMs,
        timeoutMs: settings.health.timeoutMs,
      },
      clock,
      signal,
      events,
      probeFor: deps.probeFor,
      record: (master, outcome, failure) => this.health.record(master, outcome, failure),
      wantsFastProbe: (master) => this.health.wantsFastProbe(master),
    });
    this.vipSetup = new VipSupervisor({
      vip: deps.vip,
      intervalMs: settings.intervalMs,
      clock,
      events,
    });
    this.reconciler = new Reconciler({
      wanted: { vip: settings.vip, scheduler: settings.scheduler },
      drainTimeoutMs: settings.drainTimeoutMs,
      kernel: deps.kernel,
      clock,
      events,
      signal,
      membership: () => this.membership(),
      health: () => this.health.current,
      masterNames: () => this.probes.names(),
      observeKernel: (observed) => deps.discovery?.observeKernel(observed),
      afterIpvs: () => this.vipSetup.afterRound(),
    });
  }

  async start(): Promise<void> {
    const { scheme, insecureSkipVerify } = this.settings.health;
    this.deps.events.emit({
      type: 'probe-tls',
      scheme,
      verified: scheme === 'https' && !insecureSkipVerify,
    });
    // Discovery first: its state file names masters the kernel may hold, which must not look
    // foreign to the first reconcile.
    if (this.deps.discovery) await this.deps.discovery.start();
    this.syncMasters();
    // Adopt whatever the kernel holds before the first probe answers: a restart changes nothing.
    // The first VIP set-up is given its deadline to be in place before start returns.
    await this.reconciler.request();
    await this.vipSetup.settled();
    this.probes.start();
    this.scheduleReconcile();
  }

  /** Stops probing and reconciling; the rules stay in the kernel, so traffic goes on. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.cancelTimer?.();
    if (this.deps.discovery) await this.deps.discovery.stop();
    await this.probes.stopped();
    await this.reconciler.settled();
    await this.vipSetup.settled();
  }

  /** Discovery changed the membership: probe the new masters, stop probing the gone ones. */
  onMembershipChange(): void {
    if (this.stopping.signal.aborted) return;
    this.syncMasters();
    // Before start() has run its first reconcile, that one will see the change.
    if (this.probes.started) void this.reconciler.request();
  }

  /** Who is served now: the seed and, with discovery, the discovered and the retiring. */
  private membership(): Membership {
    return this.deps.discovery?.membership ?? initialMembership(this.settings.realServers);
  }

  private syncMasters(): void {
    const served = servedMasters(this.membership());
    for (const master of served) {
      if (this.probes.has(master)) continue;
      this.health.add(master);
      this.deps.events.emit({ type: 'master-added', master: formatEndpoint(master) });
      this.probes.add(master);
    }
    const keys = new Set(served.map(endpointKey));
    for (const master of this.probes.masters()) {
      if (keys.has(endpointKey(master))) continue;
      this.probes.remove(master);
      this.health.remove(master);
      this.deps.events.emit({ type: 'master-removed', master: formatEndpoint(master) });
    }
  }

  private scheduleReconcile(): void {
    if (this.stopping.signal.aborted) return;
    this.cancelTimer = this.clock.after(this.settings.intervalMs, () => {
      void this.reconciler.request().finally(() => this.scheduleReconcile());
    });
  }

  /** For /healthz: the loop must have ticked within three intervals. */
  livenessProblem(): string | undefined {
    const age = this.clock.now() - this.reconciler.lastStart;
    if (this.stopping.signal.aborted) return 'stopping';
    return age > this.staleAfterMs() ? `no reconcile started for ${Math.round(age)}ms` : undefined;
  }

  /**
   * For /readyz: the last reconcile succeeded recently, the VIP has a usable destination, and
   * the mode's set-up is in place.
   */
  readinessProblem(): string | undefined {
    const lastGood = this.reconciler.lastGood;
    if (lastGood === undefined) return 'no successful reconcile yet';
    if (this.clock.now() - lastGood > this.staleAfterMs()) return 'the last reconcile failed';
    if (!this.reconciler.kernelDestinations.some((d) => d.weight > 0))
      return 'the virtual server has no destination with weight above 0';
    return this.vipSetup.problem;
  }

  private staleAfterMs(): number {
    return 3 * this.settings.intervalMs + this.settings.health.timeoutMs;
  }

  /** For /readyz's text: trouble that does not make the node unready (discovery failing). */
  readyNote(): string | undefined {
    return this.deps.discovery?.trouble();
  }

  /** Health of every master, for tests and logs. */
  healthOf(): Map<string, HealthState> {
    return new Map(this.health.current);
  }
}
