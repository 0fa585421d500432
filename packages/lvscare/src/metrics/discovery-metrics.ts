// What Prometheus sees of master discovery (only registered when --kubeconfig is given).
import { Counter, Gauge, type Registry } from 'prom-client';
import { DISCOVERY_ERROR_REASONS } from '../discovery/kube-api.js';
import type { DiscoveryPath } from '../discovery/master-discovery.js';

const PATHS: readonly DiscoveryPath[] = ['watch', 'poll'];

export class DiscoveryMetrics {
  private readonly masters: Gauge;
  private readonly errors: Counter;
  private readonly lastSync: Gauge;
  private readonly mode: Gauge;

  constructor(registry: Registry) {
    this.masters = new Gauge({
      name: 'lvscare_discovered_masters',
      help: 'Masters the last accepted discovery answer listed (after family and CIDR filtering).',
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'lvscare_discovery_errors_total',
      help: 'Failed discovery lists and watches, and answers ignored as empty, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.lastSync = new Gauge({
      name: 'lvscare_discovery_last_sync_timestamp_seconds',
      help: 'Unix time discovery was last in step with the API (list, watch event, bookmark); 0 never.',
      registers: [registry],
    });
    this.mode = new Gauge({
      name: 'lvscare_discovery_mode',
      help: "How discovery follows the masters: 1 for the path the last answered request took (watch: the RBAC grant is applied; poll: a kubelet's own rights), 0 for the other.",
      labelNames: ['mode'],
      registers: [registry],
    });
    for (const mode of PATHS) this.mode.set({ mode }, 0);
    // Every reason from 0, so increase() sees the first failure.
    for (const reason of DISCOVERY_ERROR_REASONS) this.errors.inc({ reason }, 0);
    this.lastSync.set(0);
  }

  discovered(count: number): void {
    this.masters.set(count);
  }

  failed(reason: string): void {
    this.errors.inc({ reason });
  }

  path(path: DiscoveryPath): void {
    for (const mode of PATHS) this.mode.set({ mode }, mode === path ? 1 : 0);
  }

  synced(epochMs: number): void {
    this.lastSync.set(epochMs / 1000);
  }
}
