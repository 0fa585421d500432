// The lvscare daemon: probe -> health state -> desired destinations -> diff against the kernel
// -> apply -> metrics, every interval and at once whenever a master changes state.
import type { DestinationExtended, IpvsClient } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import type { DiscoveredMasters } from '../discovery/discovered-masters.js';
import { type Membership, servedMasters } from '../discovery/membership.js';
import { servedDestinations } from '../discovery/served.js';
import { formatEndpoint } from '../config/endpoint.js';
import { type ObservedDestination, endpointKey } from '../health/desired.js';
import { type HealthState, initialHealth, nextHealth, wantsFastProbe } from '../health/state.js';
import type { Logger } from '../log/logger.js';
import { RepeatLimiter } from '../log/repeat-limiter.js';
import type { CareMetrics } from '../metrics/metrics.js';
import type { ProbeResult } from '../probe/prober.js';
import { readKernel, applyAction } from '../reconcile/kernel.js';
import {
  type Applied,
  type WantedService,
  appliedAfter,
  describeAction,
  planReconcile,
} from '../reconcile/plan.js';
import type { VipSetup } from '../vip/vip-setup.js';
import { nextProbeAt } from './probe-schedule.js';

export interface Probe {
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface CareDeps {
  ipvs: IpvsClient;
  vip: VipSetup;
  logger: Logger;
  metrics: CareMetrics;
  /** Makes the probe of one master; `onConnectionLost` is called when its kept connection drops. */
  probeFor(
    master: CareConfig['realServers'][number],
    onConnectionLost: (err: Error | undefined) => void,
  ): Probe;
  /** Master discovery (--kubeconfig): the masters served follow it; absent, --rs alone. */
  discovery?: DiscoveredMasters | undefined;
  now?: () => number;
}

interface MasterSlot {
  name: string;
  key: string;
  /** Set when the master left the served set: its probe loop ends. */
  retired: boolean;
  probe: Probe;
  lastStart: number;
  lastEnd: number;
  lostAt: number | undefined;
  wake: (() => void) | undefined;
}

/** Failures repeating within this window are counted, not logged again. */
const LOG_REPEAT_WINDOW_MS = 60_000;

export class CareDaemon {
  private readonly now: () => number;
  private readonly wanted: WantedService;
  private readonly health = new Map<string, HealthState>();
  private readonly slots = new Map<string, MasterSlot>();
  private started = false;
  private readonly repeats = new RepeatLimiter(LOG_REPEAT_WINDOW_MS);
  private applied: Applied | undefined;
  private observed = new Map<string, ObservedDestination>();
  private draining = new Map<string, number>();
  private kernelDestinations: DestinationExtended[] = [];
  private failOpen = false;
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private lastTick = 0;
  private lastGoodReconcile = 0;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly config: CareConfig,
    private readonly deps: CareDeps,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.wanted = { vip: config.vip, scheduler: config.scheduler };
  }

  async start(): Promise<void> {
    // Discovery first: its state file names masters the kernel may hold, which must not look
    // foreign to the first reconcile.
    await this.deps.discovery?.start();
    this.syncSlots();
    // Adopt whatever the kernel holds before the first probe answers: a restart changes nothing.
    await this.reconcile();
    this.started = true;
    for (const slot of this.slots.values()) this.loops.push(this.probeLoop(slot));
    this.scheduleReconcile();
  }

  /** Who is served now: the seed and, with discovery, the discovered and the retiring. */
  private membership(): Membership {
    return (
      this.deps.discovery?.membership ?? {
        seed: this.config.realServers,
        discovered: [],
        retiring: [],
      }
    );
  }

  /** Discovery changed the membership: probe the new masters, stop probing the gone ones. */
  onMembershipChange(): void {
    if (this.stopped) return;
    this.syncSlots();
    // Before start() has run its first reconcile, that one will see the change.
    if (this.started) void this.requestReconcile();
  }

  private syncSlots(): void {
    const served = servedMasters(this.membership());
    const keys = new Set(served.map(endpointKey));
    for (const m of served) {
      const key = endpointKey(m);
      if (this.slots.has(key)) continue;
      const name = formatEndpoint(m);
      this.health.set(key, initialHealth(this.now()));
      const slot: MasterSlot = {
        name,
        key,
        retired: false,
        probe: undefined as unknown as Probe,
        lastStart: 0,
        lastEnd: 0,
        lostAt: undefined,
        wake: undefined,
      };
      slot.probe = this.deps.probeFor(m, (err) => {
        slot.lostAt = this.now();
        this.deps.logger.debug({ master: name, err: err?.message }, 'probe connection lost');
        slot.wake?.();
      });
      this.slots.set(key, slot);
      if (this.deps.discovery) this.deps.metrics.addMaster(name);
      if (this.started) this.loops.push(this.probeLoop(slot));
    }
    for (const [key, slot] of this.slots) {
      if (keys.has(key)) continue;
      slot.retired = true;
      slot.wake?.();
      this.slots.delete(key);
      this.health.delete(key);
      this.repeats.clear(`probe ${slot.name}`);
      this.deps.metrics.removeMaster(slot.name);
    }
  }

  /** Stops probing and reconciling; the rules stay in the kernel, so traffic goes on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
    await this.deps.discovery?.stop();
    for (const s of this.slots.values()) s.wake?.();
    await Promise.allSettled(this.loops);
    await this.reconciling;
    await Promise.allSettled([...this.slots.values()].map((s) => s.probe.close()));
  }

  private scheduleReconcile(): void {
    if (this.stopped) return;
    this.reconcileTimer = setTimeout(() => {
      void this.requestReconcile().finally(() => this.scheduleReconcile());
    }, this.config.intervalMs);
  }

  private async probeLoop(slot: MasterSlot): Promise<void> {
    while (!this.stopped && !slot.retired) {
      slot.lastStart = this.now();
      const result = await slot.probe.probe();
      slot.lastEnd = this.now();
      if (this.stopped) return;
      if (slot.retired) break;
      this.onProbeResult(slot, result);
      const state = this.health.get(slot.key)!;
      const at = nextProbeAt(
        slot.lastStart,
        slot.lastEnd,
        wantsFastProbe(state),
        slot.lostAt,
        this.config,
      );
      slot.lostAt = undefined;
      await this.sleepUntil(slot, at);
    }
    if (slot.retired) await slot.probe.close();
  }

  private sleepUntil(slot: MasterSlot, at: number): Promise<void> {
    const ms = at - this.now();
    if (ms <= 0 || this.stopped || slot.retired) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        slot.wake = undefined;
        resolve();
      }
      slot.wake = done;
    });
  }

  private onProbeResult(slot: MasterSlot, result: ProbeResult): void {
    const log = this.deps.logger;
    this.deps.metrics.probe(slot.name, result.durationMs, result.reason);
    log.debug(
      {
        master: slot.name,
        ok: result.outcome.ok,
        reason: result.detail,
        ms: Math.round(result.durationMs),
      },
      'probe',
    );
    const before = this.health.get(slot.key)!;
    const { state, transition } = nextHealth(before, result.outcome, this.config, this.now());
    this.health.set(slot.key, state);
    const failureKey = `probe ${slot.name}`;
    if (result.outcome.ok) {
      const suppressed = this.repeats.clear(failureKey);
      if (suppressed)
        log.info({ master: slot.name, repeats: suppressed }, 'probe failures stopped');
    } else {
      const d = this.repeats.occur(failureKey, this.now(), result.reason);
      if (d.log)
        log.warn(
          {
            master: slot.name,
            reason: result.detail,
            ...(d.suppressed ? { repeatsSinceLastLog: d.suppressed } : {}),
          },
          'probe failed',
        );
      else this.deps.metrics.suppressedLog();
    }
    if (transition) {
      this.deps.metrics.transition(slot.name, transition.to);
      log.info(
        { master: slot.name, from: transition.from, to: transition.to, reason: transition.reason },
        `master ${transition.to}`,
      );
      void this.requestReconcile();
    }
  }

  /** Runs a reconcile now, or right after the one in progress. */
  requestReconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.reconcile();
      } while (this.reconcileAgain && !this.stopped);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async reconcile(): Promise<void> {
    const { logger: log, metrics, ipvs } = this.deps;
    this.lastTick = this.now();
    try {
      for (const kind of await this.deps.vip.ensure()) {
        metrics.repaired(kind);
        log.warn({ kind }, 'repaired VIP set-up');
      }
      const kernel = await readKernel(ipvs, this.config.vip);
      this.observed = new Map(kernel.destinations.map((d) => [endpointKey(d), d]));
      const membership = this.membership();
      const desired = servedDestinations(
        membership,
        this.health,
        this.observed,
        this.draining,
        this.config.drainTimeoutMs,
        this.now(),
      );
      if (desired.failOpen !== this.failOpen) {
        if (desired.failOpen)
          log.error(
            { masters: [...this.slots.values()].map((s) => s.name) },
            'no master is healthy: failing open, every master kept at full weight',
          );
        else log.info('a master is healthy again: fail-open ended');
        this.failOpen = desired.failOpen;
      }
      const plan = planReconcile(
        this.wanted,
        servedMasters(membership),
        desired.weights,
        kernel,
        this.applied,
      );
      for (const action of plan) {
        await applyAction(ipvs, this.wanted, action);
        if (action.repair) {
          metrics.repaired(action.repair);
          log.warn({ repair: action.repair }, `repaired: ${describeAction(action)}`);
        } else {
          log.info(describeAction(action));
        }
      }
      this.applied = appliedAfter(desired.weights);
      this.draining = desired.draining;
      this.kernelDestinations = plan.length
        ? (await readKernel(ipvs, this.config.vip)).destinations
        : kernel.destinations;
      this.lastGoodReconcile = this.now();
      this.deps.discovery?.observeKernel(
        new Map(this.kernelDestinations.map((d) => [endpointKey(d), d])),
      );
      metrics.reconciled(this.failOpen, this.kernelDestinations, Date.now());
      const suppressed = this.repeats.clear('reconcile');
      if (suppressed !== undefined) log.info({ repeats: suppressed }, 'reconcile works again');
    } catch (err) {
      metrics.reconcileFailed();
      const d = this.repeats.occur('reconcile', this.now());
      if (d.log)
        log.error(
          {
            err: (err as Error).message,
            ...(d.suppressed ? { repeatsSinceLastLog: d.suppressed } : {}),
          },
          'reconcile failed',
        );
      else metrics.suppressedLog();
    }
  }

  /** For /healthz: the loop must have ticked within three intervals. */
  notAlive(): string | undefined {
    const limit = 3 * this.config.intervalMs + this.config.health.timeoutMs;
    const age = this.now() - this.lastTick;
    return this.stopped
      ? 'stopping'
      : age > limit
        ? `no reconcile started for ${Math.round(age)}ms`
        : undefined;
  }

  /** For /readyz: the last reconcile succeeded recently and the VIP has a usable destination. */
  notReady(): string | undefined {
    if (this.lastGoodReconcile === 0) return 'no successful reconcile yet';
    if (
      this.now() - this.lastGoodReconcile >
      3 * this.config.intervalMs + this.config.health.timeoutMs
    )
      return 'the last reconcile failed';
    if (!this.kernelDestinations.some((d) => d.weight > 0))
      return 'the virtual server has no destination with weight above 0';
    return undefined;
  }

  /** For /readyz's text: trouble that does not make the node unready (discovery failing). */
  readyNote(): string | undefined {
    return this.deps.discovery?.trouble();
  }

  /** Health of every master, for tests and logs. */
  healthOf(): Map<string, HealthState> {
    return new Map(this.health);
  }
}
