// The rules without the daemon: `--run-once` and `--clean`, also what kha runs in-process at join
// and reset. Nothing here loads the logger's or the metrics' libraries.
import { type IpvsClient, NetlinkError } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import { beforeAnyProbe } from '../policy/desired-weights.js';
import { ipvsKernel, serviceKey } from '../reconcile/kernel.js';
import { describeAction } from '../reconcile/plan.js';
import { applyPlan, planRound } from '../reconcile/round.js';
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
  const kernel = ipvsKernel(ipvs);
  const wanted = { vip: config.vip, scheduler: config.scheduler };
  const { actions } = planRound({
    ...beforeAnyProbe(config.realServers),
    wanted,
    kernel: await kernel.read(config.vip),
    applied: undefined,
  });
  const { error } = await applyPlan(kernel, wanted, actions, (action) =>
    log?.info(describeAction(action)),
  );
  if (error) throw error;
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
