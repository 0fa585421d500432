// What Prometheus sees of lvscare. Kernel figures are copied from the last reconcile's read, so a
// scrape never touches the kernel.
import type { DestinationExtended } from '@kha/netlink-ffi';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { formatEndpoint } from '../config/endpoint.js';
import type { HealthStatus } from '../health/state.js';
import type { RepairKind } from '../reconcile/plan.js';
import type { FailureReason } from '../probe/outcome.js';
import { VERSION } from '../version.js';
import { registerProcessMetrics } from './process-metrics.js';

const STATES: HealthStatus[] = ['unknown', 'up', 'down'];
// Every reason, checked complete by the compiler.
const FAILURE_REASONS = Object.keys({
  timeout: 0,
  refused: 0,
  reset: 0,
  unreachable: 0,
  tls: 0,
  status: 0,
  error: 0,
} satisfies Record<FailureReason, 0>) as FailureReason[];

export class CareMetrics {
  readonly registry = new Registry();
  private kernelDestinations: DestinationExtended[] = [];

  private readonly masterState = new Gauge({
    name: 'lvscare_master_state',
    help: 'Health state of each master (1 for the current state).',
    labelNames: ['master', 'state'],
    registers: [this.registry],
  });
  private readonly transitions = new Counter({
    name: 'lvscare_master_transitions_total',
    help: 'Health state changes of each master, by the state entered.',
    labelNames: ['master', 'to'],
    registers: [this.registry],
  });
  private readonly probeDuration = new Histogram({
    name: 'lvscare_probe_duration_seconds',
    help: 'Duration of health probes, by master and result.',
    labelNames: ['master', 'result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly probeFailures = new Counter({
    name: 'lvscare_probe_failures_total',
    help: 'Failed health probes, by master and reason (timeout, refused, reset, unreachable, tls, status, error).',
    labelNames: ['master', 'reason'],
    registers: [this.registry],
  });
  private readonly repairs = new Counter({
    name: 'lvscare_repairs_total',
    help: 'Kernel state put back after something else changed it, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'lvscare_reconcile_errors_total',
    help: 'Reconcile rounds that failed.',
    registers: [this.registry],
  });
  private readonly failOpen = new Gauge({
    name: 'lvscare_fail_open',
    help: '1 while no master is healthy and every master is kept at full weight.',
    registers: [this.registry],
  });
  private readonly lastReconcile = new Gauge({
    name: 'lvscare_last_reconcile_success_timestamp_seconds',
    help: 'Unix time of the last reconcile that left the kernel as desired.',
    registers: [this.registry],
  });
  private readonly vipSetupErrors = new Counter({
    name: 'lvscare_vip_setup_errors_total',
    help: "Rounds in which the mode's VIP set-up (route or dummy link, NAT rule) failed or overran.",
    registers: [this.registry],
  });
  private readonly vipSetupOk = new Gauge({
    name: 'lvscare_vip_setup_ok',
    help: "1 while the mode's VIP set-up is in place, 0 while it fails (IPVS is kept right regardless).",
    registers: [this.registry],
  });
  private readonly probeTlsVerify = new Gauge({
    name: 'lvscare_probe_tls_verify',
    help: "1 when health probes verify the masters' TLS certificates against a CA, 0 when they do not.",
    registers: [this.registry],
  });
  private readonly logsSuppressed = new Counter({
    name: 'lvscare_log_repeats_suppressed_total',
    help: 'Repeats of an ongoing failure that were counted instead of logged.',
    registers: [this.registry],
  });

  constructor(
    masters: string[],
    private readonly vip: string,
  ) {
    registerProcessMetrics(this.registry);
    new Gauge({
      name: 'lvscare_build_info',
      help: 'Build information; always 1.',
      labelNames: ['version', 'node_version'],
      registers: [this.registry],
    }).set({ version: VERSION, node_version: process.version }, 1);
    for (const m of masters) this.setMasterState(m, 'unknown');
    this.zeroPerMasterCounters(masters);
    for (const kind of [
      'service-missing',
      'service-settings',
      'destination-missing',
      'destination-weight',
      'destination-settings',
      'destination-foreign',
    ] satisfies RepairKind[]) {
      this.repairs.inc({ kind }, 0);
    }
    this.failOpen.set(0);
    this.vipSetupErrors.inc(0);
    this.registerKernelGauges();
  }

  private registerKernelGauges(): void {
    // prom-client calls collect() with the metric as `this`; the kernel's view is read here.
    const kernel = () => ({ vip: this.vip, destinations: this.kernelDestinations });
    const perDestination = (
      name: string,
      help: string,
      value: (d: DestinationExtended) => number,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['vip', 'destination'],
        registers: [this.registry],
        collect() {
          this.reset();
          const { vip, destinations } = kernel();
          for (const d of destinations) this.set({ vip, destination: formatEndpoint(d) }, value(d));
        },
      });
    };
    const perDestinationCounter = (
      name: string,
      help: string,
      values: Array<[string, (d: DestinationExtended) => number]>,
    ): void => {
      new Counter({
        name,
        help,
        labelNames: ['vip', 'destination', 'direction'],
        registers: [this.registry],
        collect() {
          // Absolute values from the kernel's own counters.
          this.reset();
          const { vip, destinations } = kernel();
          for (const d of destinations) {
            for (const [direction, v] of values)
              this.inc({ vip, destination: formatEndpoint(d), direction }, v(d));
          }
        },
      });
    };
    perDestination(
      'lvscare_destination_weight',
      'Weight of each real server in the kernel.',
      (d) => d.weight,
    );
    perDestination(
      'lvscare_destination_active_connections',
      'Active connections of each real server (kernel).',
      (d) => d.activeConns,
    );
    perDestination(
      'lvscare_destination_inactive_connections',
      'Inactive connections of each real server (kernel).',
      (d) => d.inactiveConns,
    );
    perDestinationCounter(
      'lvscare_destination_packets_total',
      'Packets through each real server (kernel counters).',
      [
        ['in', (d) => d.stats.inPackets],
        ['out', (d) => d.stats.outPackets],
      ],
    );
    perDestinationCounter(
      'lvscare_destination_bytes_total',
      'Bytes through each real server (kernel counters).',
      [
        ['in', (d) => d.stats.inBytes],
        ['out', (d) => d.stats.outBytes],
      ],
    );
    new Counter({
      name: 'lvscare_destination_connections_total',
      help: 'Connections scheduled to each real server (kernel counter).',
      labelNames: ['vip', 'destination'],
      registers: [this.registry],
      collect() {
        this.reset();
        const { vip, destinations } = kernel();
        for (const d of destinations)
          this.inc({ vip, destination: formatEndpoint(d) }, d.stats.conns);
      },
    });
  }

  /**
   * Every master's transition and failure counters exist from the start at 0: Prometheus'
   * rate() and increase() cannot see the first increment of a series that appears with it, so
   * a first failover would be missing from alerts and dashboards.
   */
  private zeroPerMasterCounters(masters: string[]): void {
    for (const master of masters) {
      for (const to of ['up', 'down'] satisfies HealthStatus[])
        this.transitions.inc({ master, to }, 0);
      for (const reason of FAILURE_REASONS) this.probeFailures.inc({ master, reason }, 0);
    }
  }

  /** A master discovery added: its series start as a configured master's do. */
  addMaster(master: string): void {
    this.setMasterState(master, 'unknown');
    this.zeroPerMasterCounters([master]);
  }

  /** A master discovery dropped and lvscare removed: its series go with it. */
  removeMaster(master: string): void {
    for (const state of STATES) this.masterState.remove({ master, state });
    for (const to of ['up', 'down'] satisfies HealthStatus[])
      this.transitions.remove({ master, to });
    for (const reason of FAILURE_REASONS) this.probeFailures.remove({ master, reason });
    for (const result of ['success', 'failure']) this.probeDuration.remove({ master, result });
  }

  setMasterState(master: string, state: HealthStatus): void {
    for (const s of STATES) this.masterState.set({ master, state: s }, s === state ? 1 : 0);
  }

  transition(master: string, to: HealthStatus): void {
    this.transitions.inc({ master, to });
    this.setMasterState(master, to);
  }

  probe(master: string, durationMs: number, failure: FailureReason | undefined): void {
    this.probeDuration.observe(
      { master, result: failure ? 'failure' : 'success' },
      durationMs / 1000,
    );
    if (failure) this.probeFailures.inc({ master, reason: failure });
  }

  repaired(kind: string): void {
    this.repairs.inc({ kind });
  }

  reconcileFailed(): void {
    this.reconcileErrors.inc();
  }

  reconciled(failOpen: boolean, destinations: DestinationExtended[], at: number): void {
    this.failOpen.set(failOpen ? 1 : 0);
    this.kernelDestinations = destinations;
    this.lastReconcile.set(at / 1000);
  }

  vipSetup(ok: boolean): void {
    this.vipSetupOk.set(ok ? 1 : 0);
    if (!ok) this.vipSetupErrors.inc();
  }

  tlsVerify(on: boolean): void {
    this.probeTlsVerify.set(on ? 1 : 0);
  }

  suppressedLog(): void {
    this.logsSuppressed.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
