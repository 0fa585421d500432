// The core/v1 Event lvscare posts about its Node, shaped as kubelet's own (client-go
// tools/record): in namespace `default` with the Node as a cluster-scoped involvedObject (the
// API's legacy validation, pkg/apis/core/validation/events.go, allows a cluster-scoped object's
// Events only in "" or "default" when eventTime is unset), the Node's name as its uid as kubelet
// gives it, source and reportingComponent `lvscare` on this host.
import type { NodeEventNote } from './correlator.js';

const EVENT_NAMESPACE = 'default';
export const EVENTS_PATH = `/api/v1/namespaces/${EVENT_NAMESPACE}/events`;
const COMPONENT = 'lvscare';
/** The API's limit on a new Event's note (events.k8s.io, NoteLengthLimit); kept for core too. */
export const MAX_MESSAGE_CHARS = 1024;

/** metav1.Time: RFC 3339 in whole seconds. */
const apiTime = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const bounded = (message: string) =>
  message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;

export interface EventTiming {
  name: string;
  count: number;
  firstMs: number;
  lastMs: number;
}

/** The core/v1 Event fields lvscare sets. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: { apiVersion: 'v1'; kind: 'Node'; name: string; uid: string };
  type: NodeEventNote['type'];
  reason: string;
  message: string;
  source: { component: string; host: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

export function nodeEvent(nodeName: string, note: NodeEventNote, t: EventTiming): CoreEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: t.name, namespace: EVENT_NAMESPACE },
    involvedObject: { apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeName },
    type: note.type,
    reason: note.reason,
    message: bounded(note.message),
    source: { component: COMPONENT, host: nodeName },
    reportingComponent: COMPONENT,
    reportingInstance: nodeName,
    firstTimestamp: apiTime(t.firstMs),
    lastTimestamp: apiTime(t.lastMs),
    count: t.count,
  };
}

/** The strategic merge patch kubelet sends for a repeat: the count, the time, the message. */
export function repeatPatch(note: NodeEventNote, t: EventTiming): unknown {
  return { count: t.count, lastTimestamp: apiTime(t.lastMs), message: bounded(note.message) };
}
