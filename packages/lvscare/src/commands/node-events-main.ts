// Events on the Node, attached to the daemon's events: with --kubeconfig (and not
// --no-node-events) every change noteOf picks is posted as the kubelet's identity. The node's name
// is the one in the kubelet's client certificate; a kubeconfig with another identity posts none
// and says so once. What the API did not take is counted, and logged at most once a minute.
import type { Registry } from 'prom-client';
import { loadKubeconfig } from '../discovery/kubeconfig.js';
import type { CareEventFanOut } from '../events/care-events.js';
import type { Logger } from '../log/logger.js';
import { RepeatLimiter, repeatsSince } from '../log/repeat-limiter.js';
import { NodeEventMetrics } from '../metrics/node-event-metrics.js';
import { noteOf } from '../node-events/care-notes.js';
import { NodeEvents } from '../node-events/node-events.js';
import { nodeNameOfCertificate } from '../node-events/node-name.js';
import { type Clock } from '../time/clock.js';

const LOG_REPEAT_WINDOW_MS = 60_000;

export async function attachNodeEvents(
  kubeconfig: string,
  vip: string,
  events: CareEventFanOut,
  deps: { log: Logger; registry: Registry; clock: Clock },
): Promise<NodeEvents | undefined> {
  const { log, clock } = deps;
  let nodeName: string | undefined;
  try {
    nodeName = nodeNameOfCertificate((await loadKubeconfig(kubeconfig)).cert);
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'no Events on the Node: its kubeconfig cannot be read now (discovery says more)',
    );
    return undefined;
  }
  if (!nodeName) {
    log.warn(
      { kubeconfig },
      "no Events on the Node: the kubeconfig's client certificate is not a node's (CN=system:node:NAME)",
    );
    return undefined;
  }
  const metrics = new NodeEventMetrics(deps.registry);
  const repeats = new RepeatLimiter(LOG_REPEAT_WINDOW_MS);
  const sink = new NodeEvents({
    nodeName,
    credentials: () => loadKubeconfig(kubeconfig),
    clock,
    outcome(outcome, note, why) {
      metrics.counted(outcome);
      if (outcome !== 'failed' && outcome !== 'queue-full') return;
      const decision = repeats.occur(outcome, clock.now());
      if (decision.log)
        log.warn(
          { reason: note.reason, why, ...repeatsSince(decision.suppressed) },
          outcome === 'failed'
            ? 'an Event on the Node was not taken by the API'
            : 'an Event on the Node dropped: too many waiting for the API',
        );
    },
  });
  events.listen((event) => {
    const note = noteOf(event, vip);
    if (note) sink.record(note);
  });
  return sink;
}
