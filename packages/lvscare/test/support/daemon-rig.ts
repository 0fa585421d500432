// A CareDaemon on virtual time with an in-memory kernel, a scriptable VIP set-up and scriptable
// probes, for unit and model-based tests of the loop's guarantees. What the daemon does is read
// from the events it emits; the production listener runs too, so the metrics are as in production.
import { Writable } from 'node:stream';
import type { MembershipSource } from '../../src/discovery/discovered-masters.js';
import { type Endpoint, endpointKey } from '../../src/config/endpoint.js';
import { CareDaemon, type CareSettings } from '../../src/daemon/care.js';
import { type CareEvent, CareEventFanOut } from '../../src/events/care-events.js';
import { loggedEvents } from '../../src/events/logged-events.js';
import { createLogger } from '../../src/log/logger.js';
import { CareMetrics } from '../../src/metrics/metrics.js';
import type { ProbeResult } from '../../src/probe/prober.js';
import type { VipSetup } from '../../src/vip/mode.js';
import { MemoryKernel } from './memory-kernel.js';
import { VirtualClock } from './virtual-clock.js';

export type ProbeMode =
  | 'ok'
  | 'fail'
  | 'refused'
  | 'hang'
  | 'throw'
  | 'throw-sync'
  /** The master dies under the probe: its kept connection resets, and the next probes are refused. */
  | 'dies';
export type VipMode = 'ok' | 'fail' | 'hang' | 'throw-sync';

export const masters: Endpoint[] = ['192.168.0.2', '192.168.0.3', '192.168.0.4'].map((a) => ({
  family: 'inet',
  address: a,
  port: 6443,
}));

/** The daemon's settings for the rig: 1 s interval, 200 ms fast interval, fall and rise 2. */
export function testConfig(over: Partial<CareSettings> = {}): CareSettings {
  return {
    vip: { family: 'inet', address: '10.103.97.2', port: 6443 },
    realServers: masters,
    scheduler: 'rr',
    intervalMs: 1000,
    fastIntervalMs: 200,
    fall: 2,
    rise: 2,
    drainTimeoutMs: 3000,
    health: { scheme: 'https', insecureSkipVerify: true, timeoutMs: 300 },
    ...over,
  };
}

class ScriptedVip implements VipSetup {
  readonly mode = 'route' as const;
  how: VipMode = 'ok';
  calls = 0;
  ensure(): Promise<string[]> {
    this.calls++;
    switch (this.how) {
      case 'ok':
        return Promise.resolve([]);
      case 'fail':
        return Promise.reject(new Error('no route to any master (test)'));
      case 'hang':
        return new Promise(() => {});
      case 'throw-sync':
        throw new Error('set-up threw (test)');
    }
  }
  async clean(): Promise<void> {}
}

export interface Rig {
  clock: VirtualClock;
  kernel: MemoryKernel;
  vip: ScriptedVip;
  metrics: CareMetrics;
  daemon: CareDaemon;
  config: CareSettings;
  probeMode: Map<string, ProbeMode>;
  probes: Map<string, number>;
  /** Of those, the probes the daemon made as the first after a lost connection. */
  afterLoss: Map<string, number>;
  /** Every event the daemon emitted, in order. */
  events: CareEvent[];
  setProbe(m: Endpoint, mode: ProbeMode): void;
  /** The master's kept probe connection ends, with the error the socket reported if any. */
  loseConnection(m: Endpoint, err?: Error): void;
}

export function makeRig(config = testConfig(), discovery?: MembershipSource): Rig {
  const clock = new VirtualClock();
  const kernel = new MemoryKernel();
  const vip = new ScriptedVip();
  const metrics = new CareMetrics(
    config.realServers.map((m) => `${m.address}:${m.port}`),
    `${config.vip.address}:${config.vip.port}`,
  );
  const events: CareEvent[] = [];
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  const logger = createLogger('info', 'json', discard);
  const fanOut = new CareEventFanOut(loggedEvents({ logger, metrics, clock }), (event) =>
    events.push(event),
  );
  const probeMode = new Map<string, ProbeMode>(
    config.realServers.map((m) => [endpointKey(m), 'ok']),
  );
  const probes = new Map<string, number>();
  const afterLoss = new Map<string, number>();
  const lost = new Map<string, (err: Error | undefined) => void>();
  const daemon = new CareDaemon(config, {
    kernel,
    vip,
    events: fanOut,
    clock,
    discovery,
    probeFor: (m, onLost) => {
      lost.set(endpointKey(m), onLost);
      return {
        probe(): Promise<ProbeResult> {
          const key = endpointKey(m);
          probes.set(key, (probes.get(key) ?? 0) + 1);
          const mode = probeMode.get(key) ?? 'ok';
          const result = (ok: boolean): ProbeResult => ({
            outcome: ok ? { ok: true } : { ok: false, reason: 'status 500' },
            failure: ok ? undefined : 'status',
            durationMs: 1,
          });
          switch (mode) {
            case 'ok':
              return Promise.resolve(result(true));
            case 'fail':
              return Promise.resolve(result(false));
            case 'refused':
              return Promise.resolve({
                outcome: { ok: false, reason: 'refused', noConnection: true },
                failure: 'refused',
                durationMs: 1,
              });
            case 'dies':
              probeMode.set(key, 'refused');
              lost.get(key)!(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
              return Promise.resolve({
                outcome: { ok: false, reason: 'reset', noConnection: false },
                failure: 'reset',
                durationMs: 1,
              });
            case 'hang':
              return new Promise(() => {});
            case 'throw':
              return Promise.reject(new TypeError('Invalid character in header content (test)'));
            case 'throw-sync':
              throw new TypeError('Request path contains unescaped characters (test)');
          }
        },
        probeAfterLoss(): Promise<ProbeResult> {
          const key = endpointKey(m);
          afterLoss.set(key, (afterLoss.get(key) ?? 0) + 1);
          return this.probe();
        },
        close: async () => {},
      };
    },
  });
  return {
    clock,
    kernel,
    vip,
    metrics,
    daemon,
    config,
    probeMode,
    probes,
    afterLoss,
    events,
    setProbe: (m, mode) => probeMode.set(endpointKey(m), mode),
    loseConnection: (m, err) => lost.get(endpointKey(m))!(err),
  };
}

/** Starts the rig's daemon on virtual time. */
export async function startRig(rig: Rig): Promise<void> {
  await rig.clock.until(rig.daemon.start(), 60_000);
}

/** Stops it, time running (a probe or set-up in flight is waited for up to its deadline). */
export async function stopRig(rig: Rig): Promise<void> {
  await rig.clock.until(rig.daemon.stop(), 60_000);
}
