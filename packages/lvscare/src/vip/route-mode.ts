// Route mode: no address anywhere, only a host route for the VIP that says which source address
// locally generated traffic takes. Without it the kernel picks the source from whatever route
// covers the VIP (often the default route's interface), and on a multi-NIC node the masters
// answer an address they cannot reach. The route copies the path to the first master and pins
// the node's address on that path (or --ip) as the preferred source.
import { NetlinkError, type Route, type RouteClient, type RouteSpec, rtnl } from '@kha/netlink-ffi';

const RT_TABLE_MAIN = rtnl.RT_TABLE_MAIN;
import type { CareConfig } from '../config/care-config.js';
import type { VipSetup } from './vip-setup.js';

export class RouteMode implements VipSetup {
  readonly mode = 'route' as const;
  private established = false;

  constructor(
    private readonly config: CareConfig,
    private readonly rt: RouteClient,
  ) {}

  private get prefixLength(): number {
    return this.config.vip.family === 'inet' ? 32 : 128;
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

  private async current(): Promise<Route | undefined> {
    return (await this.rt.routes(this.config.vip.family)).find(
      (r) =>
        r.table === RT_TABLE_MAIN &&
        r.destination === this.config.vip.address &&
        r.prefixLength === this.prefixLength,
    );
  }

  async ensure(): Promise<string[]> {
    const want = await this.wantedRoute();
    const have = await this.current();
    const repairs: string[] = [];
    if (!have) {
      await this.rt.addRoute(want);
      if (this.established) repairs.push('route-missing');
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

  async clean(): Promise<void> {
    const have = await this.current();
    if (!have) return;
    try {
      await this.rt.deleteRoute({ ...have, family: this.config.vip.family });
    } catch (err) {
      if (!(err instanceof NetlinkError && err.is('ESRCH'))) throw err;
    }
  }
}
