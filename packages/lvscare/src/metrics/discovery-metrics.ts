// What Prometheus sees of master discovery (only registered when --kubeconfig is given).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DiscoveryCounters } from '../discovery/discovered-masters.js';
import { DISCOVERY_ERROR_REASONS } from '../discovery/kube-api.js';

export class DiscoveryMetrics implements DiscoveryCounters {
  private readonly masters: Gauge;
  private readonly errors: Counter;
  private readonly lastSync: Gauge;

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

  synced(epochMs: number): void {
    this.lastSync.set(epochMs / 1000);
  }
}
