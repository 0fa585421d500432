// What kubelet's event recorder does before it talks to the API (client-go tools/record,
// events_cache.go, EventCorrelator), so that lvscare's Events on its Node behave like every other
// component's there:
// - the same event again (source, object, type, reason and message alike) is one Event whose
//   count goes up: a PATCH, not a new object;
// - more than AGGREGATE_MAX_EVENTS events of one reason with different messages within
//   AGGREGATE_WINDOW_MS become one "(combined from similar events): ..." Event;
// - a token bucket per source and object (SPAM_BURST, one more every SPAM_REFILL_MS) drops the
//   rest: a master flapping all day cannot fill the API's events.
// Pure: the caller gives the time. Every map is bounded (MAX_KEYS, oldest forgotten first).

export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 300_000;
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_WINDOW_MS = 600_000;
const MAX_KEYS = 256;

type NodeEventType = 'Normal' | 'Warning';

/** One thing lvscare saw, as its Node's Event will say it. */
export interface NodeEventNote {
  type: NodeEventType;
  /** UpperCamelCase, as every Kubernetes reason. */
  reason: string;
  message: string;
}

/** What to send: a new Event, or a count on one already sent. */
export type Correlated =
  | { action: 'create'; name: string; note: NodeEventNote; count: 1; firstMs: number }
  | { action: 'patch'; name: string; note: NodeEventNote; count: number; firstMs: number }
  | { action: 'drop' };

export const COMBINED_PREFIX = '(combined from similar events): ';

/** A Map that forgets its oldest entry past MAX_KEYS. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value as K);
}

interface Sent {
  name: string;
  count: number;
  firstMs: number;
}

export class EventCorrelator {
  private tokens = SPAM_BURST;
  private refilledAt: number | undefined;
  private readonly similar = new Map<string, { messages: Set<string>; lastMs: number }>();
  private readonly sent = new Map<string, Sent>();

  /** `objectName` is the Node's name: kubelet names each new Event `<object>.<time in hex ns>`. */
  constructor(private readonly objectName: string) {}

  correlate(note: NodeEventNote, nowMs: number): Correlated {
    const { note: aggregated, key } = this.aggregate(note, nowMs);
    // client-go filters after aggregation: the spam bucket counts what would be sent.
    if (!this.takeToken(nowMs)) return { action: 'drop' };
    const before = this.sent.get(key);
    if (before) {
      const next = { ...before, count: before.count + 1 };
      remember(this.sent, key, next);
      return {
        action: 'patch',
        name: before.name,
        note: aggregated,
        count: next.count,
        firstMs: before.firstMs,
      };
    }
    const name = `${this.objectName}.${(BigInt(Math.round(nowMs)) * 1_000_000n).toString(16)}`;
    remember(this.sent, key, { name, count: 1, firstMs: nowMs });
    return { action: 'create', name, note: aggregated, count: 1, firstMs: nowMs };
  }

  /** An Event the API no longer has (a PATCH answered 404): the next one is created anew. */
  forget(name: string): void {
    for (const [key, sent] of this.sent) if (sent.name === name) this.sent.delete(key);
  }

  /** The note to send and the key it is counted under: its own, or its reason's once combined
   * (the combined Event's count then goes up whatever the message, which shows the latest). */
  private aggregate(note: NodeEventNote, nowMs: number): { note: NodeEventNote; key: string } {
    const group = `${note.type}\u0000${note.reason}`;
    let record = this.similar.get(group);
    if (!record || nowMs - record.lastMs > AGGREGATE_WINDOW_MS)
      record = { messages: new Set(), lastMs: nowMs };
    record.messages.add(note.message);
    record.lastMs = nowMs;
    if (record.messages.size >= AGGREGATE_MAX_EVENTS) {
      // keep the set at the threshold, as client-go does, so it stays aggregated
      record.messages.delete(record.messages.values().next().value as string);
      remember(this.similar, group, record);
      return { note: { ...note, message: `${COMBINED_PREFIX}${note.message}` }, key: group };
    }
    remember(this.similar, group, record);
    return { note, key: `${group}\u0000${note.message}` };
  }

  private takeToken(nowMs: number): boolean {
    if (this.refilledAt !== undefined) {
      const earned = Math.floor((nowMs - this.refilledAt) / SPAM_REFILL_MS);
      if (earned > 0) {
        this.tokens = Math.min(SPAM_BURST, this.tokens + earned);
        this.refilledAt += earned * SPAM_REFILL_MS;
      }
    } else this.refilledAt = nowMs;
    if (this.tokens === 0) return false;
    if (this.tokens === SPAM_BURST) this.refilledAt = nowMs;
    this.tokens--;
    return true;
  }
}
