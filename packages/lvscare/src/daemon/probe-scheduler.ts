// One probe loop per served master: each probe guarded by its deadline, the next one timed by the
// master's state, and a lost kept connection waking its loop at once. What a check says goes to
// the master's health; the scheduler only decides when to probe.
import { type Endpoint, endpointKey, formatEndpoint } from '../config/endpoint.js';
import type { CareEvents } from '../events/care-events.js';
import type { ProbeOutcome } from '../health/state.js';
import { afterLoss, silentPeerOutcome } from '../probe/connection-signal.js';
import type { FailureReason } from '../probe/outcome.js';
import type { ProbeResult } from '../probe/prober.js';
import type { Clock } from '../time/clock.js';
import { guardedProbe } from './probe-guard.js';
import { type ProbeTiming, nextProbeAt } from './probe-schedule.js';

interface Probe {
  probe(): Promise<ProbeResult>;
  /** The probe after a lost kept connection, when it has a cheaper first step (MasterProbe). */
  probeAfterLoss?(): Promise<ProbeResult>;
  close(): Promise<void>;
}

/** Makes the probe of one master; `onConnectionLost` is called when its kept connection drops. */
export type ProbeFactory = (
  master: Endpoint,
  onConnectionLost: (err: Error | undefined) => void,
) => Probe;

export interface ProbeSchedulerDeps {
  timing: ProbeTiming & { timeoutMs: number };
  clock: Clock;
  /** Aborted when the daemon stops: every loop ends after the probe in flight. */
  signal: AbortSignal;
  events: CareEvents;
  probeFor: ProbeFactory;
  /** Where each check of a master goes (MasterHealth.record). */
  record(master: Endpoint, outcome: ProbeOutcome, failure: FailureReason | undefined): void;
  wantsFastProbe(master: Endpoint): boolean;
}

interface Slot {
  master: Endpoint;
  name: string;
  probe: Probe;
  /** Aborted when the master is no longer served: its loop ends. */
  retired: AbortController;
  lastStart: number;
  lastEnd: number;
  lostAt: number | undefined;
  /** How the kept connection ended, when it did (see probe/connection-signal.ts). */
  lostError: Error | undefined;
  wake: (() => void) | undefined;
}

export class ProbeScheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly loops: Promise<void>[] = [];
  private running = false;

  constructor(private readonly deps: ProbeSchedulerDeps) {
    deps.signal.addEventListener('abort', () => {
      for (const slot of this.slots.values()) slot.wake?.();
    });
  }

  /** Whether start() has run: a master added from now on is probed at once. */
  get started(): boolean {
    return this.running;
  }

  masters(): Endpoint[] {
    return [...this.slots.values()].map((slot) => slot.master);
  }

  /** The names of the masters probed, as the log shows them. */
  names(): string[] {
    return [...this.slots.values()].map((slot) => slot.name);
  }

  has(master: Endpoint): boolean {
    return this.slots.has(endpointKey(master));
  }

  add(master: Endpoint): void {
    const { clock, events } = this.deps;
    const name = formatEndpoint(master);
    const slot: Slot = {
      master,
      name,
      probe: undefined as unknown as Probe,
      retired: new AbortController(),
      lastStart: 0,
      lastEnd: 0,
      lostAt: undefined,
      lostError: undefined,
      wake: undefined,
    };
    slot.probe = this.deps.probeFor(master, (error) => {
      slot.lostAt = clock.now();
      slot.lostError = error;
      events.emit({ type: 'connection-lost', master: name, error });
      slot.wake?.();
    });
    this.slots.set(endpointKey(master), slot);
    if (this.running) this.loops.push(this.loop(slot));
  }

  /** Ends the master's loop; its probe is closed once the probe in flight is done. */
  remove(master: Endpoint): void {
    const key = endpointKey(master);
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.retired.abort();
    slot.wake?.();
    this.slots.delete(key);
  }

  /** Starts a loop for every master added so far and for every one added from now on. */
  start(): void {
    this.running = true;
    for (const slot of this.slots.values()) this.loops.push(this.loop(slot));
  }

  /** After the daemon's signal aborted: waits for the loops, and closes every probe. */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.slots.values()].map((slot) => slot.probe.close()));
  }

  private ended(slot: Slot): boolean {
    return this.deps.signal.aborted || slot.retired.signal.aborted;
  }

  private async loop(slot: Slot): Promise<void> {
    while (!this.ended(slot)) {
      try {
        await this.probeOnce(slot);
      } catch (error) {
        // Nothing in a round is expected to throw; if something does, the loop goes on.
        this.deps.events.emit({ type: 'probe-round-failed', master: slot.name, error });
        await this.sleepUntil(slot, this.deps.clock.now() + this.deps.timing.intervalMs);
      }
    }
    if (slot.retired.signal.aborted) await slot.probe.close();
  }

  private async probeOnce(slot: Slot): Promise<void> {
    const { clock, timing } = this.deps;
    // The kept connection ended while the prober slept: the kernel's verdict on a silent master
    // takes it out now; any other end is followed by this probe at once, which then decides.
    const lostIdle = slot.lostAt !== undefined;
    const silent = lostIdle ? silentPeerOutcome(slot.lostError) : undefined;
    if (silent) this.deps.record(slot.master, silent, 'timeout');
    slot.lostAt = undefined; // from here on, only a loss during or after this probe counts
    slot.lastStart = clock.now();
    const result = await guardedProbe(
      clock,
      () =>
        lostIdle && slot.probe.probeAfterLoss ? slot.probe.probeAfterLoss() : slot.probe.probe(),
      timing.timeoutMs,
    );
    slot.lastEnd = clock.now();
    if (this.ended(slot)) return;
    const seen = lostIdle ? { ...result, outcome: afterLoss(result.outcome) } : result;
    this.deps.events.emit({ type: 'probed', master: slot.name, result: seen });
    this.deps.record(slot.master, seen.outcome, seen.failure);
    // The kept connection ended under a probe that failed (reset, closed as the master died):
    // re-probe at once, as after a loss between probes, so that a refused reconnect is decisive
    // rather than the first of `fall` failures `--fast-interval` apart. The failure itself
    // already said how the connection ended. Not twice in a row: a master that resets every
    // request is probed at the fast interval, not in a loop.
    if (!lostIdle && slot.lostAt !== undefined && !result.outcome.ok) {
      slot.lostAt = slot.lastEnd;
      slot.lostError = undefined;
      return;
    }
    const fast = this.deps.wantsFastProbe(slot.master);
    const at = nextProbeAt(slot.lastStart, slot.lastEnd, fast, slot.lostAt, timing);
    slot.lostAt = undefined;
    await this.sleepUntil(slot, at);
  }

  /** Sleeps until `at`, or until the connection is lost, the master retired or the daemon stops. */
  private sleepUntil(slot: Slot, at: number): Promise<void> {
    const ms = at - this.deps.clock.now();
    if (ms <= 0 || this.ended(slot)) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.deps.clock.after(ms, done);
      function done(): void {
        cancel();
        slot.wake = undefined;
        resolve();
      }
      slot.wake = done;
    });
  }
}
