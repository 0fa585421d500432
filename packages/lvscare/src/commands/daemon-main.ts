// The daemon's entry: metrics, the HTTP endpoints, the care loop, and the only signal handlers
// of the package (SIGTERM/SIGINT stop the loop and leave the rules in place).
import type { IpvsClient } from '@kha/netlink-ffi';
import { type CareConfig, describeConfig } from '../config/care-config.js';
import { formatEndpoint } from '../config/endpoint.js';
import { CareDaemon } from '../daemon/care.js';
import { DiscoveredMasters } from '../discovery/discovered-masters.js';
import { CareEventFanOut } from '../events/care-events.js';
import { loggedEvents } from '../events/logged-events.js';
import { DiscoveryMetrics } from '../metrics/discovery-metrics.js';
import { boundAddress, closeServer } from '../http/listener.js';
import { startLivenessServer } from '../http/liveness-server.js';
import { startMetricsServer } from '../http/metrics-server.js';
import type { Logger } from '../log/logger.js';
import { CareMetrics } from '../metrics/metrics.js';
import { MasterProbe } from '../probe/prober.js';
import { ipvsKernel } from '../reconcile/kernel.js';
import { systemClock } from '../time/clock.js';
import { EXPIRE_NODEST_CONN, ensureSysctl } from '../vip/sysctl.js';
import type { VipSetup } from '../vip/mode.js';
import { attachNodeEvents } from './node-events-main.js';

export async function runDaemon(
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
  // Every event is logged and counted here; the next listener attaches to the same fan-out.
  const events = new CareEventFanOut(
    loggedEvents({
      logger: log,
      metrics,
      discovery: config.discovery && {
        logger: log.child({ component: 'discovery' }),
        metrics: new DiscoveryMetrics(metrics.registry),
      },
      clock: systemClock,
    }),
  );
  const nodeEvents = config.discovery?.nodeEvents
    ? await attachNodeEvents(config.discovery.kubeconfig, formatEndpoint(config.vip), events, {
        log,
        registry: metrics.registry,
        clock: systemClock,
      })
    : undefined;
  const discovery = config.discovery
    ? new DiscoveredMasters(config.vip, config.realServers, config.discovery, {
        events,
        onChange: () => daemon.onMembershipChange(),
      })
    : undefined;
  const daemon: CareDaemon = new CareDaemon(config, {
    kernel: ipvsKernel(ipvs),
    vip,
    events,
    discovery,
    probeFor: (master, onLost) => new MasterProbe(master, config.health, onLost),
  });
  const server = config.metricsAddress
    ? await startMetricsServer(
        config.metricsAddress.host,
        config.metricsAddress.port,
        metrics,
        daemon,
      )
    : undefined;
  const liveness = config.livenessAddress
    ? await startLivenessServer(config.livenessAddress.host, config.livenessAddress.port, daemon)
    : undefined;
  log.info(
    {
      ...describeConfig(config),
      metrics: server ? boundAddress(server) : 'disabled',
      liveness: liveness ? boundAddress(liveness) : 'disabled',
    },
    'lvscare care started',
  );
  await daemon.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'stopping; the rules stay in place');
  await daemon.stop();
  await nodeEvents?.stop();
  await Promise.all([server, liveness].flatMap((s) => (s ? [closeServer(s)] : [])));
  return 0;
}
