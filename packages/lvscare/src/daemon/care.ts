// The lvscare daemon: probe -> health state -> desired destinations -> diff against the kernel
// -> apply -> metrics, every interval and at once whenever a master changes state. The VIP's
// set-up (route or link mode) runs beside the IPVS reconcile, never in front of it: whatever the
// set-up does (fails, hangs), failover, repairs and fail-open go on.
import type { DestinationExtended } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import type { MembershipSource } from '../discovery/discovered-masters.js';
import { type Membership, servedMasters } from '../discovery/membership.js';
import { formatEndpoint } from '../config/endpoint.js';
import { endpointKey } from '../health/desired.js';
import {
  type HealthState,
  type ProbeOutcome,
  initialHealth,
  nextHealth,
  wantsFastProbe,
} from '../health/state.js';
import type { Logger } from '../log/logger.js';
import { RepeatLimiter } from '../log/repeat-limiter.js';
import type { CareMetrics } from '../metrics/metrics.js';
import type { ProbeResult } from '../probe/prober.js';
import type { IpvsKernel } from '../reconcile/kernel.js';
import { type Applied, type WantedService, appliedAfter } from '../reconcile/plan.js';
import {
  type LogEvent,
  reportActions,
  reportFailOpen,
  reportFailure,
  reportRecovery,
} from '../reconcile/report.js';
import { applyPlan, planRound } from '../reconcile/round.js';
import { VipSetupError, type VipSetup } from '../vip/mode.js';
import { type Clock, systemClock, withDeadline } from './clock.js';
import { guardedProbe } from './probe-guard.js';
import { nextProbeAt } from './probe-schedule.js';
import { afterLoss, silentPeerOutcome } from '../probe/connection-signal.js';
import type { FailureReason } from '../probe/outcome.js';

interface Probe {
  probe(): Promise<ProbeResult>;
  /** The probe after a lost kept connection, when it has a cheaper first step (MasterProbe). */
  probeAfterLoss?(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface CareDeps {
  /** Our virtual server in the kernel (ipvsKernel(ipvs) in production). */
  kernel: IpvsKernel;
  vip: VipSetup;
  logger: Logger;
  metrics: CareMetrics;
  /** Makes the probe of one master; `onConnectionLost` is called when its kept connection drops. */
  probeFor(
    master: CareConfig['realServers'][number],
    onConnectionLost: (err: Error | undefined) => void,
  ): Probe;
  /** Master discovery (--kubeconfig): the masters served follow it; absent, --rs alone. */
  discovery?: MembershipSource | undefined;
  clock?: Clock;
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
  /** How the kept connection ended, when it did (see probe/connection-signal.ts). */
  lostError: Error | undefined;
  wake: (() => void) | undefined;
}

/** Failures repeating within this window are counted, not logged again. */
const LOG_REPEAT_WINDOW_MS = 60_000;

/** A VIP set-up still running after this long is reported as failing (nft alone may take 10 s). */
export function vipDeadlineMs(intervalMs: number): number {
  return Math.max(2 * intervalMs, 15_000);
}

/** How long a round waits for the set-up it started before going on without it. */
function vipWaitMs(intervalMs: number): number {
  return Math.max(intervalMs / 2, 1);
}

export class CareDaemon {
  private readonly clock: Clock;
  private readonly wanted: WantedService;
  private readonly health = new Map<string, HealthState>();
  private readonly slots = new Map<string, MasterSlot>();
  private started = false;
  private readonly repeats = new RepeatLimiter(LOG_REPEAT_WINDOW_MS);
  private applied: Applied | undefined;
  private draining = new Map<string, number>();
  private kernelDestinations: DestinationExtended[] = [];
  private failOpen = false;
  private stopped = false;
  private cancelReconcileTimer: (() => void) | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private lastTick = 0;
  private lastGoodReconcile: number | undefined;
  private readonly loops: Promise<void>[] = [];
  /** The VIP set-up in progress, and since when; undefined between runs. */
  private vipRun: { done: Promise<void>; since: number } | undefined;
  /** Why the VIP set-up last failed; undefined once it works. */
  private vipProblem: string | undefined = 'VIP set-up not done yet';

  constructor(
    private readonly config: CareConfig,
    private readonly deps: CareDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.wanted = { vip: config.vip, scheduler: config.scheduler };
  }

  private now(): number {
    return this.clock.now();
  }

  async start(): Promise<void> {
    const log = this.deps.logger;
    const verify = this.config.health.scheme === 'https' && !this.config.health.insecureSkipVerify;
    this.deps.metrics.tlsVerify(verify);
    if (this.config.health.scheme === 'https' && !verify)
      log.warn(
        "masters' TLS certificates are not verified (no --health-ca-file): anything answering on a master's address passes the health check; give --health-ca-file /etc/kubernetes/pki/ca.crt",
      );
    // Discovery first: its state file names masters the kernel may hold, which must not look
    // foreign to the first reconcile.
    if (this.deps.discovery) await this.deps.discovery.start();
    this.syncSlots();
    // Adopt whatever the kernel holds before the first probe answers: a restart changes nothing.
    // The first VIP set-up is given its deadline to be in place before start returns.
    await this.requestReconcile();
    await this.vipRunSettled();
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
        lostError: undefined,
        wake: undefined,
      };
      slot.probe = this.deps.probeFor(m, (err) => {
        slot.lostAt = this.now();
        slot.lostError = err;
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

  /** The VIP set-up under way, if any, given its deadline to finish. */
  private async vipRunSettled(): Promise<void> {
    if (this.vipRun)
      await withDeadline(
        this.clock,
        this.vipRun.done,
        vipDeadlineMs(this.config.intervalMs),
        () => {},
      );
  }

  /** Stops probing and reconciling; the rules stay in the kernel, so traffic goes on. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelReconcileTimer?.();
    if (this.deps.discovery) await this.deps.discovery.stop();
    for (const s of this.slots.values()) s.wake?.();
    await Promise.allSettled(this.loops);
    await this.reconciling;
    await this.vipRunSettled();
    await Promise.allSettled([...this.slots.values()].map((s) => s.probe.close()));
  }

  private scheduleReconcile(): void {
    if (this.stopped) return;
    this.cancelReconcileTimer = this.clock.after(this.config.intervalMs, () => {
      void this.requestReconcile().finally(() => this.scheduleReconcile());
    });
  }

  private async probeLoop(slot: MasterSlot): Promise<void> {
    while (!this.stopped && !slot.retired) {
      try {
        await this.probeOnce(slot);
      } catch (err) {
        // Nothing in a round is expected to throw; if something does, the loop goes on.
        this.deps.logger.error(
          { master: slot.name, err: (err as Error)?.message },
          'probe round failed',
        );
        await this.sleepUntil(slot, this.now() + this.config.intervalMs);
      }
    }
    if (slot.retired) await slot.probe.close();
  }

  private async probeOnce(slot: MasterSlot): Promise<void> {
    // The kept connection ended while the prober slept: the kernel's verdict on a silent master
    // takes it out now; any other end is followed by this probe at once, which then decides.
    const lostIdle = slot.lostAt !== undefined;
    const silent = lostIdle ? silentPeerOutcome(slot.lostError) : undefined;
    if (silent) this.onHealthOutcome(slot, silent, 'timeout');
    slot.lostAt = undefined; // from here on, only a loss during or after this probe counts
    slot.lastStart = this.now();
    const result = await guardedProbe(
      this.clock,
      () =>
        lostIdle && slot.probe.probeAfterLoss ? slot.probe.probeAfterLoss() : slot.probe.probe(),
      this.config.health.timeoutMs,
    );
    slot.lastEnd = this.now();
    if (this.stopped || slot.retired) return;
    this.onProbeResult(slot, lostIdle ? { ...result, outcome: afterLoss(result.outcome) } : result);
    // The kept connection ended under a probe that failed (reset, closed as the master died):
    // re-probe at once, as after a loss between probes, so that a refused reconnect is decisive
    // rather than the first of `fall` failures `--fast-interval` apart. The failure itself
    // already said how the connection ended. Not twice in a row: a master that resets every
    // request is probed at the fast interval, not in a loop.
    const lostUnder = !lostIdle && slot.lostAt !== undefined && !result.outcome.ok;
    if (lostUnder) {
      slot.lostAt = slot.lastEnd;
      slot.lostError = undefined;
      return;
    }
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

  private sleepUntil(slot: MasterSlot, at: number): Promise<void> {
    const ms = at - this.now();
    if (ms <= 0 || this.stopped || slot.retired) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.clock.after(ms, done);
      function done(): void {
        cancel();
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
    this.onHealthOutcome(slot, result.outcome, result.reason);
  }

  /** One result for a master's health: a probe's, or the kept connection's verdict. */
  private onHealthOutcome(
    slot: MasterSlot,
    outcome: ProbeOutcome,
    reason: FailureReason | undefined,
  ): void {
    const log = this.deps.logger;
    const before = this.health.get(slot.key)!;
    const { state, transition } = nextHealth(before, outcome, this.config, this.now());
    this.health.set(slot.key, state);
    const failureKey = `probe ${slot.name}`;
    if (outcome.ok) {
      const suppressed = this.repeats.clear(failureKey);
      if (suppressed)
        log.info({ master: slot.name, repeats: suppressed }, 'probe failures stopped');
    } else {
      const d = this.repeats.occur(failureKey, this.now(), reason);
      if (d.log)
        log.warn(
          {
            master: slot.name,
            reason: outcome.reason,
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

  /** Runs a reconcile now, or right after the one in progress. Never rejects. */
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
    })()
      .catch((err: unknown) => {
        this.deps.logger.error({ err: (err as Error)?.message }, 'reconcile loop failed');
      })
      .finally(() => {
        this.reconciling = undefined;
      });
    return this.reconciling;
  }

  private async reconcile(): Promise<void> {
    this.lastTick = this.now();
    // IPVS first and whatever the set-up does; the set-up after it, so the two never talk to the
    // kernel at the same time unless a set-up hangs.
    await this.reconcileIpvs();
    const run = this.ensureVip();
    if (run)
      await withDeadline(this.clock, run, vipWaitMs(this.config.intervalMs), () => undefined);
  }

  private emit(event: LogEvent | undefined): void {
    if (event) this.deps.logger[event.level](event.fields, event.msg);
  }

  /** read -> plan -> apply -> report, for our virtual server. Never throws. */
  private async reconcileIpvs(): Promise<void> {
    const { metrics, kernel } = this.deps;
    try {
      const view = await kernel.read(this.config.vip);
      const membership = this.membership();
      const plan = planRound({
        wanted: this.wanted,
        masters: membership.seed,
        discovered: membership.discovered,
        retiring: membership.retiring,
        health: this.health,
        kernel: view,
        applied: this.applied,
        draining: this.draining,
        drainTimeoutMs: this.config.drainTimeoutMs,
        now: this.now(),
      });
      this.emit(
        reportFailOpen(
          this.failOpen,
          plan.failOpen,
          [...this.slots.values()].map((s) => s.name),
        ),
      );
      this.failOpen = plan.failOpen;
      const { done, error } = await applyPlan(kernel, this.wanted, plan.actions);
      const report = reportActions(done);
      for (const kind of report.repairs) metrics.repaired(kind);
      for (const event of report.events) this.emit(event);
      if (error !== undefined) throw error;
      this.applied = appliedAfter(plan.weights);
      this.draining = plan.draining;
      this.kernelDestinations = plan.actions.length
        ? (await kernel.read(this.config.vip)).destinations
        : view.destinations;
      this.lastGoodReconcile = this.now();
      this.deps.discovery?.observeKernel(
        new Map(this.kernelDestinations.map((d) => [endpointKey(d), d])),
      );
      metrics.reconciled(this.failOpen, this.kernelDestinations, Date.now());
      this.emit(reportRecovery(this.repeats, 'reconcile', 'reconcile works again'));
    } catch (err) {
      metrics.reconcileFailed();
      const event = reportFailure(this.repeats, 'reconcile', this.now(), err, 'reconcile failed');
      if (event) this.emit(event);
      else metrics.suppressedLog();
    }
  }

  /**
   * Starts the VIP set-up unless one is still running, and returns it. One running past its
   * deadline is reported as failing and given up on (its outcome ignored), so a set-up that never
   * returns is still retried. Never throws.
   */
  private ensureVip(): Promise<void> | undefined {
    if (this.vipRun) {
      const age = this.now() - this.vipRun.since;
      if (age <= vipDeadlineMs(this.config.intervalMs)) return undefined;
      this.vipFailed(
        new Error(`${this.deps.vip.mode} mode set-up has not finished after ${Math.round(age)}ms`),
      );
      this.vipRun = undefined;
    }
    const since = this.now();
    const current = (): boolean => this.vipRun?.since === since && this.vipRun.done === done;
    const done = Promise.resolve()
      .then(() => this.deps.vip.ensure())
      .then(
        (repairs) => {
          if (!current()) return;
          this.vipRepaired(repairs);
          this.vipProblem = undefined;
          this.deps.metrics.vipSetup(true);
          this.emit(reportRecovery(this.repeats, 'vip', 'VIP set-up works again'));
        },
        (err: unknown) => {
          if (!current()) return;
          if (err instanceof VipSetupError) this.vipRepaired(err.repairs);
          this.vipFailed(err);
        },
      )
      .catch((err: unknown) =>
        this.deps.logger.error({ err: (err as Error)?.message }, 'VIP set-up report failed'),
      )
      .finally(() => {
        if (this.vipRun?.done === done) this.vipRun = undefined;
      });
    this.vipRun = { done, since };
    return done;
  }

  private vipRepaired(repairs: string[]): void {
    for (const kind of repairs) {
      this.deps.metrics.repaired(kind);
      this.deps.logger.warn({ kind }, 'repaired VIP set-up');
    }
  }

  private vipFailed(err: unknown): void {
    this.vipProblem = `${this.deps.vip.mode} mode set-up failing: ${err instanceof Error ? err.message : String(err)}`;
    this.deps.metrics.vipSetup(false);
    const event = reportFailure(
      this.repeats,
      'vip',
      this.now(),
      err,
      'VIP set-up failed; the IPVS rules are kept right regardless, retrying every interval',
    );
    if (event) this.emit(event);
    else this.deps.metrics.suppressedLog();
  }

  /** For /healthz: the loop must have ticked within three intervals. */
  livenessProblem(): string | undefined {
    const limit = 3 * this.config.intervalMs + this.config.health.timeoutMs;
    const age = this.now() - this.lastTick;
    return this.stopped
      ? 'stopping'
      : age > limit
        ? `no reconcile started for ${Math.round(age)}ms`
        : undefined;
  }

  /**
   * For /readyz: the last reconcile succeeded recently, the VIP has a usable destination, and
   * the mode's set-up is in place.
   */
  readinessProblem(): string | undefined {
    if (this.lastGoodReconcile === undefined) return 'no successful reconcile yet';
    if (
      this.now() - this.lastGoodReconcile >
      3 * this.config.intervalMs + this.config.health.timeoutMs
    )
      return 'the last reconcile failed';
    if (!this.kernelDestinations.some((d) => d.weight > 0))
      return 'the virtual server has no destination with weight above 0';
    return this.vipProblem;
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
