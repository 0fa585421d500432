// An in-memory IPVS table for daemon unit tests: one virtual server, its destinations, and a
// switch that makes every call fail (as the kernel does with the module unloaded or netlink
// refusing). Kernel behaviour itself is tested in the kernel tier against the real thing.
import { type DestinationExtended, type ServiceExtended, ZERO_STATS } from '@kha/netlink-ffi';
import { type Endpoint, endpointKey } from '../../src/config/endpoint.js';
import type { IpvsKernel } from '../../src/reconcile/kernel.js';
import type { Action, KernelView, WantedService } from '../../src/reconcile/plan.js';

export type KernelMode = 'ok' | 'fail';

const errno = (code: string): Error => Object.assign(new Error(`ipvs: ${code} (test)`), { code });

export class MemoryKernel implements IpvsKernel {
  mode: KernelMode = 'ok';
  service: ServiceExtended | undefined;
  readonly destinations = new Map<string, DestinationExtended>();
  calls = 0;

  private check(): void {
    this.calls++;
    if (this.mode === 'fail') throw new Error('netlink: kernel refused (test)');
  }

  async read(vip: Endpoint): Promise<KernelView> {
    this.check();
    if (!this.service || this.service.address !== vip.address || this.service.port !== vip.port)
      return { service: undefined, destinations: [] };
    return {
      service: { ...this.service },
      destinations: [...this.destinations.values()].map((d) => ({ ...d })),
    };
  }

  async apply(wanted: WantedService, action: Action): Promise<void> {
    this.check();
    const service = (): ServiceExtended => ({
      family: wanted.vip.family,
      protocol: 'tcp',
      address: wanted.vip.address,
      port: wanted.vip.port,
      scheduler: wanted.scheduler,
      flags: 0,
      timeout: 0,
      netmask: wanted.vip.family === 'inet' ? 32 : 128,
      stats: { ...ZERO_STATS },
    });
    switch (action.kind) {
      case 'create-service':
        if (this.service) throw errno('EEXIST');
        this.service = service();
        this.destinations.clear();
        return;
      case 'update-service':
        if (!this.service) throw errno('ESRCH');
        this.service = service();
        return;
      case 'create-destination':
      case 'update-destination': {
        if (!this.service) throw errno('ESRCH');
        const key = endpointKey(action.destination);
        const exists = this.destinations.has(key);
        if (action.kind === 'create-destination' && exists) throw errno('EEXIST');
        if (action.kind === 'update-destination' && !exists) throw errno('ENOENT');
        this.destinations.set(key, {
          family: action.destination.family,
          address: action.destination.address,
          port: action.destination.port,
          forward: 'masq',
          weight: action.weight,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactiveConns: 0,
          persistentConns: 0,
          stats: { ...ZERO_STATS },
        });
        return;
      }
      case 'delete-destination':
        if (!this.service) throw errno('ESRCH');
        if (!this.destinations.delete(endpointKey(action.destination))) throw errno('ENOENT');
        return;
    }
  }

  /** Someone else deletes the virtual server (kube-proxy, an operator). */
  deleteService(): void {
    this.service = undefined;
    this.destinations.clear();
  }

  /** Someone else sets every weight to 0. */
  zeroWeights(): void {
    for (const d of this.destinations.values()) d.weight = 0;
  }

  weightOf(m: Endpoint): number | undefined {
    return this.destinations.get(endpointKey(m))?.weight;
  }

  usable(): number {
    return [...this.destinations.values()].filter((d) => d.weight > 0).length;
  }
}
