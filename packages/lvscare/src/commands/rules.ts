// The rules without the daemon: `--run-once` and `--clean`, also what kha runs in-process at join
// and reset. Nothing here loads the logger's or the metrics' libraries.
import { type IpvsClient, NetlinkError } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import { desiredDestinations } from '../health/desired.js';
import { applyAction, readKernel, serviceKey } from '../reconcile/kernel.js';
import { describeAction, planReconcile } from '../reconcile/plan.js';
import { EXPIRE_NODEST_CONN, ensureSysctl } from '../vip/sysctl.js';
import type { VipSetup } from '../vip/mode.js';

/** Where runOnce reports what it did; a pino logger fits, so does console. */
export interface RulesLog {
  info(message: string): void;
  warn(message: string): void;
}

/** `--run-once`: the virtual server with every master at full weight and the mode's set-up. */
export async function runOnce(
  config: CareConfig,
  ipvs: IpvsClient,
  vip: VipSetup,
  log?: RulesLog,
): Promise<void> {
  const sysctl = ensureSysctl(EXPIRE_NODEST_CONN, '1');
  if (sysctl) log?.warn(sysctl);
  await vip.ensure();
  const kernel = await readKernel(ipvs, config.vip);
  const everyoneUp = desiredDestinations(config.realServers, new Map(), new Map(), new Map(), 0, 0);
  const wanted = { vip: config.vip, scheduler: config.scheduler };
  for (const action of planReconcile(
    wanted,
    config.realServers,
    everyoneUp.weights,
    kernel,
    undefined,
  )) {
    await applyAction(ipvs, wanted, action);
    log?.info(describeAction(action));
  }
}

/** `--clean`: our virtual server and whatever the mode set up; nothing else. */
export async function clean(config: CareConfig, ipvs: IpvsClient, vip: VipSetup): Promise<void> {
  try {
    await ipvs.removeService(serviceKey(config.vip));
  } catch (err) {
    if (!(err instanceof NetlinkError && err.is('ESRCH'))) throw err;
  }
  await vip.clean();
}
