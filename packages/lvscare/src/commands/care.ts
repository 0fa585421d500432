// `lvscare care`: the flags (sealos' names, from the command line or CARE_<FLAG>), then one of
// clean, run-once or the daemon.
import { IpvsClient, NetlinkError, RouteClient } from '@kha/netlink-ffi';
import type { Flags } from '../command-line.js';
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
import { applyAction, ipvsKernel, readKernel, serviceKey } from '../reconcile/kernel.js';
import { describeAction, planReconcile } from '../reconcile/plan.js';
import { EXPIRE_NODEST_CONN, ensureSysctl } from '../vip/sysctl.js';
import { type VipSetup, vipSetupFor } from '../vip/vip-setup.js';
import { formatEndpoint } from '../config/endpoint.js';

/** The flags of `lvscare care`: sealos' names and meanings, and ours marked new in the README. */
export const CARE_FLAGS: Flags = {
  vs: { type: 'string', describe: 'virtual server VIP:PORT (IPv6 as [addr]:port)' },
  rs: { type: 'list', describe: 'a master IP:PORT, one per master' },
  scheduler: { type: 'string', default: DEFAULTS.scheduler, describe: 'IPVS scheduler' },
  mode: {
    type: 'string',
    default: DEFAULTS.mode,
    describe: 'route | link | none: how local traffic reaches the VIP',
  },
  iface: {
    type: 'string',
    alias: ['i'],
    default: DEFAULTS.iface,
    describe: 'dummy link name (link mode)',
  },
  ip: {
    type: 'string',
    describe: "this node's address towards the masters (route mode; detected when absent)",
  },
  masqueradebit: {
    type: 'string',
    describe: 'accepted for lvscare compatibility; link mode masquerades by address',
  },
  'run-once': {
    type: 'boolean',
    default: false,
    describe: 'create the rules with every --rs, no probing, then exit',
  },
  clean: {
    type: 'boolean',
    alias: ['C'],
    default: false,
    describe: 'remove the virtual server and the mode set-up, then exit',
  },
  interval: {
    type: 'string',
    default: DEFAULTS.interval,
    describe: 'probe and reconcile interval (seconds, or 500ms, 2s)',
  },
  'fast-interval': {
    type: 'string',
    default: DEFAULTS.fastInterval,
    describe: 're-probe interval while a master is between states',
  },
  fall: {
    type: 'string',
    default: String(DEFAULTS.fall),
    describe: 'failures in a row that take a master down',
  },
  rise: {
    type: 'string',
    default: String(DEFAULTS.rise),
    describe: 'successes in a row that bring a master back',
  },
  'drain-timeout': {
    type: 'string',
    default: DEFAULTS.drainTimeout,
    describe: 'how long a down master keeps weight 0 before removal',
  },
  'health-path': { type: 'string', default: DEFAULTS.healthPath },
  'health-schem': {
    type: 'string',
    alias: ['health-scheme'],
    default: DEFAULTS.healthSchem,
    describe: 'http or https',
  },
  'health-req-method': { type: 'string', default: DEFAULTS.healthReqMethod },
  'health-req-body': { type: 'string' },
  'health-req-headers': { type: 'list', describe: 'name=value' },
  'health-status': {
    type: 'list',
    describe: 'extra status codes that count as healthy (e.g. 401)',
  },
  'health-insecure-skip-verify': {
    type: 'boolean',
    default: true,
    describe: 'skip TLS verification (off when --health-ca-file is given)',
  },
  'health-ca-file': { type: 'string', describe: "verify masters' certificates against this CA" },
  'health-timeout': {
    type: 'string',
    default: DEFAULTS.healthTimeout,
    describe: 'per-probe deadline',
  },
  'metrics-address': {
    type: 'string',
    default: DEFAULTS.metricsAddress,
    describe: 'IP:PORT for /metrics, /healthz, /readyz; empty disables',
  },
  logger: { type: 'string', default: DEFAULTS.logger, describe: 'INFO or DEBG' },
  'log-format': { type: 'string', default: DEFAULTS.logFormat, describe: 'json or text' },
};

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
    kernel: ipvsKernel(ipvs),
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
