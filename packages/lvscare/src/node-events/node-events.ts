// Posts lvscare's view to the API as Events on its Node, so `kubectl describe node` and
// `kubectl get events` show what each worker saw. Never in failover's way: record() only
// correlates and queues; one sender posts in the background, a bounded queue drops (and counts)
// what an unreachable API cannot take, and a failed post is retried a few times, then dropped.
import type { ApiCall, ApiWrite } from '../discovery/kube-api.js';
import { DiscoveryError, getJson } from '../discovery/kube-api.js';
import type { KubeCredentials } from '../discovery/kubeconfig.js';
import { type Clock, sleep } from '../time/clock.js';
import { EventCorrelator, type NodeEventNote } from './correlator.js';
import { EVENTS_PATH, type EventTiming, nodeEvent, repeatPatch } from './event-object.js';

/**
 * Events waiting for the API; one more is dropped (kubelet's broadcaster drops when full too).
 * Below the correlator's burst, so that an API down through a burst still bounds the memory.
 */
export const MAX_QUEUED = 16;
/** Tries per Event before it is dropped, and the waits between them. */
const TRIES = 3;
const RETRY_MS = [1_000, 4_000];
const REQUEST_TIMEOUT_MS = 5_000;

export type NodeEventOutcome = 'created' | 'patched' | 'throttled' | 'queue-full' | 'failed';

export interface NodeEventsOptions {
  nodeName: string;
  /** The kubelet's credentials, read for every post (they rotate). */
  credentials: () => Promise<KubeCredentials>;
  /** Its wall time stamps the Events; its timers space the tries. */
  clock: Clock;
  /** Each Event's fate, for the metric and the log; `why` with a failure. */
  outcome: (outcome: NodeEventOutcome, note: NodeEventNote, why?: string) => void;
}

interface Queued {
  note: NodeEventNote;
  send: { action: 'create' | 'patch'; timing: EventTiming };
}

export class NodeEvents {
  private readonly correlator: EventCorrelator;
  private readonly queue: Queued[] = [];
  private readonly abort = new AbortController();
  private sending: Promise<void> | undefined;

  constructor(private readonly o: NodeEventsOptions) {
    this.correlator = new EventCorrelator(o.nodeName);
  }

  /** Queues an Event for the Node; returns at once. */
  record(note: NodeEventNote): void {
    if (this.abort.signal.aborted) return;
    const now = this.o.clock.wallNow();
    const c = this.correlator.correlate(note, now);
    if (c.action === 'drop') return this.o.outcome('throttled', note);
    if (this.queue.length >= MAX_QUEUED) return this.o.outcome('queue-full', note);
    const timing = { name: c.name, count: c.count, firstMs: c.firstMs, lastMs: now };
    this.queue.push({ note: c.note, send: { action: c.action, timing } });
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  /** Stops sending; what is queued is dropped. Resolves once no request is in flight. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.length = 0;
    await this.sending;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.deliver(next);
      if (this.abort.signal.aborted) return;
    }
  }

  private async deliver(q: Queued): Promise<void> {
    let why = '';
    for (let attempt = 0; attempt < TRIES; attempt++) {
      if (attempt > 0) {
        await sleep(this.o.clock, RETRY_MS[attempt - 1]!, this.abort.signal);
        if (this.abort.signal.aborted) return;
      }
      try {
        await this.post(q);
        return this.o.outcome(q.send.action === 'create' ? 'created' : 'patched', q.note);
      } catch (err) {
        const e = err instanceof DiscoveryError ? err : new DiscoveryError('status', String(err));
        why = e.message;
        if (q.send.action === 'patch' && e.reason === 'not-found') {
          // The API no longer has it (events expire after an hour): send it as a new one.
          this.correlator.forget(q.send.timing.name);
          q.send = {
            action: 'create',
            timing: { ...q.send.timing, count: 1, firstMs: q.send.timing.lastMs },
          };
          attempt--;
          continue;
        }
        // Only an API out of reach or overloaded may take it later; one that refused it as it is
        // (forbidden, invalid, already there) would refuse it again.
        const transient =
          e.reason === 'timeout' ||
          e.reason === 'unreachable' ||
          /^HTTP (429|5\d\d)/.test(e.message);
        if (!transient) break;
      }
    }
    this.o.outcome('failed', q.note, why);
  }

  private async post(q: Queued): Promise<void> {
    const creds = await this.o.credentials();
    const { action, timing } = q.send;
    const call: ApiCall = {
      creds,
      path: action === 'create' ? EVENTS_PATH : `${EVENTS_PATH}/${encodeURIComponent(timing.name)}`,
      idleMs: REQUEST_TIMEOUT_MS,
      signal: this.abort.signal,
    };
    const write: ApiWrite =
      action === 'create'
        ? {
            method: 'POST',
            body: nodeEvent(this.o.nodeName, q.note, timing),
            contentType: 'application/json',
          }
        : {
            method: 'PATCH',
            body: repeatPatch(q.note, timing),
            contentType: 'application/strategic-merge-patch+json',
          };
    await getJson(call, write);
  }
}
