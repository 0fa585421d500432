// Route mode: no address anywhere, only a host route for the VIP that says which source address
// locally generated traffic takes. Without it the kernel picks the source from whatever route
// covers the VIP (often the default route's interface), and on a multi-NIC node the masters
// answer an address they cannot reach. The route copies the path to the first master and pins
// the node's address on that path (or --ip) as the preferred source.
//
// Every round asks the kernel two single-address questions (the path to the first reachable
// master, and the table entry the VIP matches) and never reads the whole routing table, whose cost
// grows with the table: on a node carrying a full routing table it would take more time and heap
// than everything else the daemon does (measured by bench/route-lookup.ts; figures in
// bench/README.md).
import {
  type Route,
  type RouteClient,
  type RouteSpec,
  hostPrefixLength,
  isNetlinkError,
} from '@kha/netlink-ffi';
import { RT_TABLE_MAIN } from '@kha/netlink-ffi/wire';
import type { CareConfig } from '../config/care-config.js';
import type { VipSetup } from './mode.js';

/** What route mode reads of the configuration. */
export type RouteModeConfig = Pick<CareConfig, 'vip' | 'realServers' | 'nodeIp'>;

export class RouteMode implements VipSetup {
  readonly mode = 'route' as const;
  private established = false;

  constructor(
    private readonly config: RouteModeConfig,
    private readonly rt: RouteClient,
  ) {}

  private get prefixLength(): number {
    return hostPrefixLength(this.config.vip.family);
  }

  /** The VIP route we want, from the kernel's own route to the first reachable master. */
  async wantedRoute(): Promise<RouteSpec> {
    let path: Route | undefined;
    let lastError: unknown;
    for (const m of this.config.realServers) {
      try {
        path = await this.rt.routeTo(m.address);
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!path) {
      throw new Error(
        `route mode: no route to any master (${lastError instanceof Error ? lastError.message : String(lastError)})`,
      );
    }
    const source = this.config.nodeIp ?? path.preferredSource;
    if (!source)
      throw new Error(
        "route mode: cannot tell this node's address towards the masters; give it with --ip",
      );
    return {
      family: this.config.vip.family,
      destination: this.config.vip.address,
      prefixLength: this.prefixLength,
      gateway: path.gateway,
      outputIndex: path.outputIndex,
      preferredSource: source,
      table: RT_TABLE_MAIN,
      scope: path.gateway ? 'universe' : 'link',
    };
  }

  /** Our host route, when the table entry the kernel matches for the VIP is it. */
  private async current(): Promise<Route | undefined> {
    const match = await this.rt.matchingRoute(this.config.vip.address);
    return match &&
      match.table === RT_TABLE_MAIN &&
      match.destination === this.config.vip.address &&
      match.prefixLength === this.prefixLength
      ? match
      : undefined;
  }

  async ensure(): Promise<string[]> {
    const want = await this.wantedRoute();
    const have = await this.current();
    const repairs: string[] = [];
    if (!have) {
      const added = await this.addOrReplace(want);
      if (this.established && added) repairs.push('route-missing');
    } else if (
      have.preferredSource !== want.preferredSource ||
      have.outputIndex !== want.outputIndex ||
      have.gateway !== want.gateway
    ) {
      await this.rt.addRoute(want, true);
      if (this.established) repairs.push('route-settings');
    }
    this.established = true;
    return repairs;
  }

  /**
   * Adds the route; true when it was missing. EEXIST means it is in the main table but the VIP's
   * lookup lands elsewhere (a policy rule, or the VIP is a local address): it is made ours.
   */
  private async addOrReplace(want: RouteSpec): Promise<boolean> {
    try {
      await this.rt.addRoute(want);
      return true;
    } catch (err) {
      if (!isNetlinkError(err, 'EEXIST')) throw err;
      await this.rt.addRoute(want, true);
      return false;
    }
  }

  async clean(): Promise<void> {
    // When the lookup does not land on it, the host route in the main table of any settings.
    const target: RouteSpec = (await this.current()) ?? {
      destination: this.config.vip.address,
      prefixLength: this.prefixLength,
      table: RT_TABLE_MAIN,
      scope: 'nowhere',
    };
    try {
      await this.rt.deleteRoute({ ...target, family: this.config.vip.family });
    } catch (err) {
      if (!isNetlinkError(err, 'ESRCH')) throw err;
    }
  }
}
