// The events as production reports them: the log lines, the metrics, and the limit that keeps a
// failure repeating every interval from filling the log, all in this one place.
import type { Logger } from '../log/logger.js';
import { RepeatLimiter, repeatsSince } from '../log/repeat-limiter.js';
import type { CareMetrics } from '../metrics/metrics.js';
import { describeAction } from '../reconcile/plan.js';
import type { Clock } from '../time/clock.js';
import type { CareEventListener } from './care-events.js';
import { type DiscoveryLogging, discoveryListener } from './logged-discovery.js';

/** Failures repeating within this window are counted, not logged again. */
const LOG_REPEAT_WINDOW_MS = 60_000;

export interface LoggedEventsDeps {
  logger: Logger;
  metrics: CareMetrics;
  /** With --kubeconfig: discovery's metrics, and its lines carry `component: discovery`. */
  discovery?: DiscoveryLogging | undefined;
  clock: Clock;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** The production listener: `new CareEventFanOut(loggedEvents(deps))`. */
export function loggedEvents(deps: LoggedEventsDeps): CareEventListener {
  const { logger: log, metrics, clock } = deps;
  const repeats = new RepeatLimiter(LOG_REPEAT_WINDOW_MS);
  /**
   * A failure that may repeat every round: logged the first time, when `variant` changes, and
   * once per window with the count of repeats in between; a repeat left out is counted.
   */
  const limited = (key: string, variant: string | undefined, write: (n: number) => void): void => {
    const decision = repeats.occur(key, clock.now(), variant);
    if (decision.log) write(decision.suppressed);
    else metrics.suppressedLog();
  };
  /** The failure named `key` stopped: one line when it had been failing. */
  const recovered = (key: string, msg: string): void => {
    const suppressed = repeats.clear(key);
    if (suppressed !== undefined) log.info({ repeats: suppressed }, msg);
  };
  const onDiscovery = discoveryListener(deps.discovery, clock, repeats);
  return (event) => {
    switch (event.type) {
      case 'probe-tls':
        metrics.tlsVerify(event.verified);
        // https without --health-ca-file: anything answering on a master's address passes.
        if (event.scheme === 'https' && !event.verified)
          log.warn(
            "masters' TLS certificates are not verified (no --health-ca-file): anything answering on a master's address passes the health check; give --health-ca-file /etc/kubernetes/pki/ca.crt",
          );
        return;
      case 'master-added':
        return metrics.addMaster(event.master);
      case 'master-removed':
        repeats.clear(`probe ${event.master}`);
        return metrics.removeMaster(event.master);
      case 'connection-lost':
        return log.debug(
          { master: event.master, err: event.error?.message },
          'probe connection lost',
        );
      case 'probed': {
        const { master, result } = event;
        metrics.probe(master, result.durationMs, result.failure);
        return log.debug(
          {
            master,
            ok: result.outcome.ok,
            reason: result.outcome.ok ? undefined : result.outcome.reason,
            ms: Math.round(result.durationMs),
          },
          'probe',
        );
      }
      case 'probe-failed':
        return limited(`probe ${event.master}`, event.failure, (suppressed) =>
          log.warn(
            { master: event.master, reason: event.detail, ...repeatsSince(suppressed) },
            'probe failed',
          ),
        );
      case 'probe-passed': {
        const suppressed = repeats.clear(`probe ${event.master}`);
        if (suppressed)
          log.info({ master: event.master, repeats: suppressed }, 'probe failures stopped');
        return;
      }
      case 'probe-round-failed':
        return log.error({ master: event.master, err: message(event.error) }, 'probe round failed');
      case 'master-out':
      case 'master-back': {
        const { master, transition } = event;
        metrics.transition(master, transition.to);
        return log.info(
          { master, from: transition.from, to: transition.to, reason: transition.reason },
          `master ${transition.to}`,
        );
      }
      case 'fail-open-entered':
        return log.error(
          { masters: event.masters },
          'no master is healthy: failing open, every master kept at full weight',
        );
      case 'fail-open-left':
        return log.info({}, 'a master is healthy again: fail-open ended');
      case 'rule-changed':
        return log.info({}, describeAction(event.action));
      case 'rule-repaired':
        metrics.repaired(event.repair);
        return log.warn({ repair: event.repair }, `repaired: ${describeAction(event.action)}`);
      case 'reconciled':
        metrics.reconciled(event.failOpen, event.destinations, clock.wallNow());
        return recovered('reconcile', 'reconcile works again');
      case 'reconcile-failed':
        metrics.reconcileFailed();
        return limited('reconcile', message(event.error), (suppressed) =>
          log.error({ err: message(event.error), ...repeatsSince(suppressed) }, 'reconcile failed'),
        );
      case 'reconcile-loop-failed':
        return log.error({ err: message(event.error) }, 'reconcile loop failed');
      case 'vip-setup-ok':
        metrics.vipSetup(true);
        return recovered('vip', 'VIP set-up works again');
      case 'vip-setup-failed':
        metrics.vipSetup(false);
        return limited('vip', message(event.error), (suppressed) =>
          log.error(
            { err: message(event.error), ...repeatsSince(suppressed) },
            'VIP set-up failed; the IPVS rules are kept right regardless, retrying every interval',
          ),
        );
      case 'vip-repaired':
        metrics.repaired(event.repair);
        return log.warn({ kind: event.repair }, 'repaired VIP set-up');
      case 'vip-report-failed':
        return log.error({ err: message(event.error) }, 'VIP set-up report failed');
      default:
        return onDiscovery(event);
    }
  };
}
