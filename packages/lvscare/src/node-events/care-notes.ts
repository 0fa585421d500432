// Which of the daemon's events become Events on the Node, and what they say there: the changes an
// operator looking at a node wants to see (a master out or back, fail-open, rules put back), in
// the words of `kubectl describe node`. Everything else stays in the log and the metrics.
import type { CareEvent } from '../events/care-events.js';
import { describeAction } from '../reconcile/plan.js';
import type { NodeEventNote } from './correlator.js';

export function noteOf(event: CareEvent, vip: string): NodeEventNote | undefined {
  switch (event.type) {
    case 'master-out':
      return {
        type: 'Warning',
        reason: 'APIServerOut',
        message: `lvscare took API server ${event.master} out of ${vip}${event.transition.reason ? `: ${event.transition.reason}` : ''}`,
      };
    case 'master-back':
      return {
        type: 'Normal',
        reason: 'APIServerBack',
        message: `lvscare put API server ${event.master} back into ${vip}`,
      };
    case 'fail-open-entered':
      return {
        type: 'Warning',
        reason: 'FailOpen',
        message: `no API server behind ${vip} is healthy: lvscare keeps every one at full weight (${event.masters.join(', ')})`,
      };
    case 'fail-open-left':
      return {
        type: 'Normal',
        reason: 'FailOpenEnded',
        message: `an API server behind ${vip} is healthy again`,
      };
    case 'rule-repaired':
      return {
        type: 'Warning',
        reason: 'RulesRepaired',
        message: `something else changed the IPVS rules of ${vip} (${event.repair}); lvscare put them back: ${describeAction(event.action)}`,
      };
    case 'vip-repaired':
      return {
        type: 'Warning',
        reason: 'RulesRepaired',
        message: `something else changed what brings this node's traffic to ${vip}; lvscare put it back: ${event.repair}`,
      };
    default:
      return undefined;
  }
}
