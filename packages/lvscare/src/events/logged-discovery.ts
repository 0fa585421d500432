// Discovery's events as production reports them: its own lines (`component: discovery`) and
// metrics, repeats limited by the daemon's limiter (logged-events.ts).
import { type Endpoint, formatEndpoint } from '../config/endpoint.js';
import type { DiscoveryEvent } from '../discovery/discovery-events.js';
import { DISCOVERY_ERROR_REASONS } from '../discovery/kube-api.js';
import type { Logger } from '../log/logger.js';
import { type RepeatLimiter, repeatsSince } from '../log/repeat-limiter.js';
import type { DiscoveryMetrics } from '../metrics/discovery-metrics.js';
import type { Clock } from '../time/clock.js';

/** With --kubeconfig: discovery's metrics, and the logger whose lines carry `component: discovery`. */
export interface DiscoveryLogging {
  logger: Logger;
  metrics: DiscoveryMetrics;
}

const names = (list: Endpoint[]): string[] => list.map(formatEndpoint);

export function discoveryListener(
  discovery: DiscoveryLogging | undefined,
  clock: Clock,
  repeats: RepeatLimiter,
): (event: DiscoveryEvent) => void {
  /** As `limited` above, but a repeat left out is not counted (discovery never counted them). */
  const limited = (key: string, variant: string | undefined, write: (n: number) => void): void => {
    const decision = repeats.occur(key, clock.now(), variant);
    if (decision.log) write(decision.suppressed);
  };
  return (event) => {
    if (!discovery) return;
    const { logger: log, metrics } = discovery;
    switch (event.type) {
      case 'discovery-resumed':
        metrics.discovered(event.masters.length);
        return log.info(
          { stateFile: event.stateFile, masters: names(event.masters) },
          'starting from the masters last discovered',
        );
      case 'discovery-state-unused':
        return log.info(
          { stateFile: event.stateFile, problem: event.problem },
          'state file not used: starting from --rs alone',
        );
      case 'discovery-answered':
        return metrics.discovered(event.count);
      case 'discovery-changed':
        return log.info(
          { joined: names(event.joined), dropped: names(event.dropped), path: event.path },
          'discovered masters changed',
        );
      case 'discovery-drained':
        return log.info({ masters: names(event.masters) }, 'dropped masters drained and removed');
      case 'discovery-ignored': {
        const { count, byWhy, examples } = event.ignored;
        return limited('ignored', JSON.stringify(byWhy), (suppressed) =>
          log.info(
            { ignored: count, byWhy, examples, ...repeatsSince(suppressed) },
            'discovered addresses ignored',
          ),
        );
      }
      case 'discovery-synced':
        return metrics.synced(clock.wallNow());
      case 'discovery-path':
        metrics.path(event.path);
        return log.info(
          { path: event.path },
          event.path === 'watch'
            ? 'following the masters by watching the kubernetes EndpointSlice'
            : 'following the masters by polling endpoints/kubernetes (a kubelet may not watch it; manifests/kha-discovery-rbac.yaml allows the watch)',
        );
      case 'discovery-failed':
        metrics.failed(event.reason);
        // One key per reason: a flood alternating two reasons is still one line a minute for each.
        return limited(`discovery ${event.reason}`, undefined, (suppressed) =>
          log.warn(
            { reason: event.reason, err: event.message, ...repeatsSince(suppressed) },
            'discovery failed: serving the masters known so far',
          ),
        );
      case 'discovery-recovered': {
        let suppressed = 0;
        for (const reason of DISCOVERY_ERROR_REASONS)
          suppressed += repeats.clear(`discovery ${reason}`) ?? 0;
        return log.info({ repeats: suppressed }, 'discovery works again');
      }
      case 'discovery-state-unwritten':
        return limited('state file', undefined, () =>
          log.warn(
            { stateFile: event.stateFile, err: event.error.message },
            'state file not written: a restart during an API outage starts from --rs alone',
          ),
        );
      case 'discovery-note':
        return log.debug(event.fields ?? {}, event.message);
    }
  };
}
