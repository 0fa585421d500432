// `lvscare care`: the flags (sealos' names, from the command line or CARE_<FLAG>), then one of
// clean, run-once or the daemon.
import { IpvsClient, NetlinkError, RouteClient } from '@kha/netlink-ffi';
import type { Argv } from 'yargs';
import {
  type CareConfig,
  DEFAULTS,
  type RawCareFlags,
  careConfig,
  describeConfig,
} from '../config/care-config.js';
import { CareDaemon } from '../daemon/care.js';
import { desiredDestinations } from '../health/desired.js';
import { boundAddress, startHttpServer } from '../http/server.js';
import { type Logger, createLogger } from '../log/logger.js';
import { CareMetrics } from '../metrics/metrics.js';
import { MasterProbe } from '../probe/prober.js';
import { applyAction, readKernel, serviceKey } from '../reconcile/kernel.js';
import { describeAction, planReconcile } from '../reconcile/plan.js';
import { EXPIRE_NODEST_CONN, ensureSysctl } from '../vip/sysctl.js';
import { type VipSetup, vipSetupFor } from '../vip/vip-setup.js';
import { formatEndpoint } from '../config/endpoint.js';

export function careOptions<T>(y: Argv<T>) {
  return y
    .option('vs', { type: 'string', describe: 'virtual server VIP:PORT (IPv6 as [addr]:port)' })
    .option('rs', { type: 'array', string: true, describe: 'a master IP:PORT; repeat for each' })
    .option('scheduler', {
      type: 'string',
      default: DEFAULTS.scheduler,
      describe: 'IPVS scheduler',
    })
    .option('mode', {
      type: 'string',
      default: DEFAULTS.mode,
      describe: 'route | link | none: how local traffic reaches the VIP',
    })
    .option('iface', {
      alias: 'i',
      type: 'string',
      default: DEFAULTS.iface,
      describe: 'dummy link name (link mode)',
    })
    .option('ip', {
      type: 'string',
      describe: "this node's address towards the masters (route mode; detected when absent)",
    })
    .option('masqueradebit', {
      type: 'string', // kept as typed, so bad input is quoted back as given
      describe: 'accepted for lvscare compatibility; link mode masquerades by address',
    })
    .option('run-once', {
      type: 'boolean',
      default: false,
      describe: 'create the rules with every --rs, no probing, then exit',
    })
    .option('clean', {
      alias: 'C',
      type: 'boolean',
      default: false,
      describe: 'remove the virtual server and the mode set-up, then exit',
    })
    .option('interval', {
      type: 'string',
      default: DEFAULTS.interval,
      describe: 'probe and reconcile interval (seconds, or 500ms, 2s)',
    })
    .option('fast-interval', {
      type: 'string',
      default: DEFAULTS.fastInterval,
      describe: 're-probe interval while a master is between states',
    })
    .option('fall', {
      type: 'string', // kept as typed, so bad input is quoted back as given
      default: DEFAULTS.fall,
      describe: 'failures in a row that take a master down',
    })
    .option('rise', {
      type: 'string', // kept as typed, so bad input is quoted back as given
      default: DEFAULTS.rise,
      describe: 'successes in a row that bring a master back',
    })
    .option('drain-timeout', {
      type: 'string',
      default: DEFAULTS.drainTimeout,
      describe: 'how long a down master keeps weight 0 before removal',
    })
    .option('health-path', { type: 'string', default: DEFAULTS.healthPath })
    .option('health-schem', {
      alias: 'health-scheme',
      type: 'string',
      default: DEFAULTS.healthSchem,
      describe: 'http or https',
    })
    .option('health-req-method', { type: 'string', default: DEFAULTS.healthReqMethod })
    .option('health-req-body', { type: 'string' })
    .option('health-req-headers', {
      type: 'array',
      string: true,
      describe: 'name=value; repeatable',
    })
    .option('health-status', {
      type: 'array',
      describe: 'extra status codes that count as healthy (e.g. 401)',
    })
    .option('health-insecure-skip-verify', {
      type: 'boolean',
      default: true,
      describe: 'skip TLS verification (off when --health-ca-file is given)',
    })
    .option('health-ca-file', {
      type: 'string',
      describe: "verify masters' certificates against this CA",
    })
    .option('health-timeout', {
      type: 'string',
      default: DEFAULTS.healthTimeout,
      describe: 'per-probe deadline',
    })
    .option('metrics-address', {
      type: 'string',
      default: DEFAULTS.metricsAddress,
      describe: 'IP:PORT for /metrics, /healthz, /readyz; empty disables',
    })
    .option('logger', { type: 'string', default: DEFAULTS.logger, describe: 'INFO or DEBG' })
    .option('log-format', {
      type: 'string',
      default: DEFAULTS.logFormat,
      describe: 'json or text',
    });
}

async function openKernel(): Promise<{ ipvs: IpvsClient; rt: RouteClient }> {
  const ipvs = await IpvsClient.open();
  return { ipvs, rt: RouteClient.open() };
}

/** `--run-once`: the virtual server with every master at full weight and the mode's set-up. */
export async function runOnce(
  config: CareConfig,
  ipvs: IpvsClient,
  vip: VipSetup,
  log?: Logger,
): Promise<void> {
  const sysctl = ensureSysctl(EXPIRE_NODEST_CONN, '1');
  if (sysctl) log?.warn(sysctl);
  await vip.ensure();
  const kernel = await readKernel(ipvs, config.vip);
  const observed = new Map();
  const everyoneUp = desiredDestinations(config.realServers, new Map(), observed, new Map(), 0, 0);
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

export async function care(raw: RawCareFlags): Promise<number> {
  const config = careConfig(raw);
  const log = createLogger(config.logLevel, config.logFormat);
  const { ipvs, rt } = await openKernel();
  const vip = vipSetupFor(config, rt);
  try {
    if (config.clean) {
      await clean(config, ipvs, vip);
      log.info({ vs: formatEndpoint(config.vip), mode: config.mode }, 'cleaned');
      return 0;
    }
    if (config.runOnce) {
      await runOnce(config, ipvs, vip, log);
      log.info(describeConfig(config), 'rules in place (run-once)');
      return 0;
    }
    return await runDaemon(config, ipvs, vip, log);
  } finally {
    await ipvs.close();
    await rt.close();
  }
}

async function runDaemon(
  config: CareConfig,
  ipvs: IpvsClient,
  vip: VipSetup,
  log: Logger,
): Promise<number> {
  const sysctl = ensureSysctl(EXPIRE_NODEST_CONN, '1');
  if (sysctl)
    log.warn(`${sysctl}; connections to a removed master will linger until they time out`);
  const metrics = new CareMetrics(
    config.realServers.map(formatEndpoint),
    formatEndpoint(config.vip),
  );
  const daemon = new CareDaemon(config, {
    ipvs,
    vip,
    logger: log,
    metrics,
    probeFor: (m, onLost) => new MasterProbe(m, config.health, onLost),
  });
  const server = config.metricsAddress
    ? await startHttpServer(config.metricsAddress.host, config.metricsAddress.port, metrics, daemon)
    : undefined;
  log.info(
    { ...describeConfig(config), metrics: server ? boundAddress(server) : 'disabled' },
    'lvscare care started',
  );
  await daemon.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'stopping; the rules stay in place');
  await daemon.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server?.closeAllConnections();
  return 0;
}
