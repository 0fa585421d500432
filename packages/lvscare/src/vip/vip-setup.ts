// The set-up of each --mode, chosen from the configuration.
import type { RouteClient } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import { LinkMode, type LinkModeConfig } from './link-mode.js';
import type { VipSetup } from './mode.js';
import { RouteMode, type RouteModeConfig } from './route-mode.js';

class NoMode implements VipSetup {
  readonly mode = 'none' as const;
  ensure(): Promise<string[]> {
    return Promise.resolve([]);
  }
  async clean(): Promise<void> {}
}

/** What the modes read of the configuration: the mode and what each mode needs. */
type VipSetupConfig = Pick<CareConfig, 'mode'> & RouteModeConfig & LinkModeConfig;

export function vipSetupFor(config: VipSetupConfig, rt: RouteClient): VipSetup {
  switch (config.mode) {
    case 'route':
      return new RouteMode(config, rt);
    case 'link':
      return new LinkMode(config, rt);
    case 'none':
      return new NoMode();
  }
}
