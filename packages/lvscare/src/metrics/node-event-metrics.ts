// What became of the Events lvscare posts on its Node: each outcome counted, every label present
// from the start so that a rate over them is defined before the first Event.
import { Counter, type Registry } from 'prom-client';

const OUTCOMES = ['created', 'patched', 'throttled', 'queue-full', 'failed'] as const;

export class NodeEventMetrics {
  private readonly events: Counter;

  constructor(registry: Registry) {
    this.events = new Counter({
      name: 'lvscare_node_events_total',
      help: "Kubernetes Events on this node's Node by outcome: created, patched (a repeat counted), throttled (kubelet's burst limit), queue-full (the API unreachable too long), failed (three tries).",
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of OUTCOMES) this.events.inc({ outcome }, 0);
  }

  counted(outcome: (typeof OUTCOMES)[number]): void {
    this.events.inc({ outcome });
  }
}
