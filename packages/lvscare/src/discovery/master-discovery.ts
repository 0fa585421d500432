// Follows the API servers' registration: list, then watch from the list's resourceVersion with
// bookmarks, re-list on 410 Gone, fall back from EndpointSlices to Endpoints when the former may not
// be read (403) or do not exist (404). Reports every complete view as an answer and every failure as
// an error; what to make of them is the caller's (membership.ts), never this loop's.
import type { Endpoint } from '../config/endpoint.js';
import { type ObjectMeta, mastersOfEndpoints, mastersOfSlice, metaOf } from './api-objects.js';
import {
  DiscoveryError,
  type DiscoveryErrorReason,
  type WatchEvent,
  asDiscoveryError,
  getJson,
  watch,
} from './kube-api.js';
import type { KubeCredentials } from './kubeconfig.js';

export interface RegistrationSource {
  kind: 'EndpointSlice' | 'Endpoints';
  /** The collection path with the selector that narrows it to the `kubernetes` Service. */
  path: string;
  mastersOf: (o: unknown) => Endpoint[];
}

export const ENDPOINT_SLICES: RegistrationSource = {
  kind: 'EndpointSlice',
  path: `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=kubernetes')}`,
  mastersOf: mastersOfSlice,
};

export const LEGACY_ENDPOINTS: RegistrationSource = {
  kind: 'Endpoints',
  path: `/api/v1/namespaces/default/endpoints?fieldSelector=${encodeURIComponent('metadata.name=kubernetes')}`,
  mastersOf: mastersOfEndpoints,
};

export interface DiscoveryTimings {
  /** Longest wait for a list answer, or between two watch events (bookmarks included). */
  requestTimeoutMs: number;
  /** Asked of the server per watch; it ends the watch then and we watch again from where we were. */
  watchSeconds: number;
  /** First retry delay after a failure; doubles up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_DISCOVERY_TIMINGS: DiscoveryTimings = {
  requestTimeoutMs: 10_000,
  watchSeconds: 60,
  minBackoffMs: 1000,
  maxBackoffMs: 30_000,
};

export interface DiscoveryListener {
  /** A complete view: every ready API server the source lists, unfiltered. */
  answer(masters: Endpoint[], source: RegistrationSource['kind']): void;
  /** The list or the watch is in step with the server (list done, watch opened, event, bookmark). */
  synced(): void;
  /** Something failed; the loop retries on its own. */
  error(reason: DiscoveryErrorReason, message: string): void;
  /** Informational: fallback to Endpoints, re-list after 410. */
  note(message: string, fields?: Record<string, unknown>): void;
}

export class MasterDiscovery {
  private source = ENDPOINT_SLICES;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly credentials: () => Promise<KubeCredentials>,
    private readonly listener: DiscoveryListener,
    private readonly timings: DiscoveryTimings = DEFAULT_DISCOVERY_TIMINGS,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeRetry?.();
    await this.loop;
  }

  get sourceKind(): RegistrationSource['kind'] {
    return this.source.kind;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let backoff = this.timings.minBackoffMs;
    while (!this.stopped) {
      try {
        await this.listAndWatch();
      } catch (err) {
        if (this.stopped) return;
        const e = asDiscoveryError(err);
        if (e.reason === 'gone') {
          this.listener.note('watch expired (410 Gone): listing again', {
            source: this.source.kind,
          });
          continue;
        }
        if (
          (e.reason === 'forbidden' || e.reason === 'not-found') &&
          this.source === ENDPOINT_SLICES
        ) {
          this.listener.note('EndpointSlices not readable: following the Endpoints instead', {
            reason: e.reason,
            detail: e.message,
          });
          this.source = LEGACY_ENDPOINTS;
          continue;
        }
        this.listener.error(e.reason, e.message);
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, this.timings.maxBackoffMs);
        continue;
      }
      backoff = this.timings.minBackoffMs;
    }
  }

  private pause(ms: number): Promise<void> {
    // Jitter, so that thousands of workers do not come back at one instant after an outage.
    const wait = ms * (0.5 + Math.random() / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = done;
    });
  }

  /** One list and as many watches as the server grants; returns only by throwing or stopping. */
  private async listAndWatch(): Promise<void> {
    const source = this.source;
    const call = async (path: string) => ({
      creds: await this.credentials().catch((err: Error) => {
        throw new DiscoveryError('credentials', err.message);
      }),
      path,
      idleMs: this.timings.requestTimeoutMs,
      signal: this.abort.signal,
    });
    const list = (await getJson(await call(source.path))) as {
      items?: unknown;
      metadata?: { resourceVersion?: unknown };
    };
    const rv = list?.metadata?.resourceVersion;
    if (!Array.isArray(list?.items) || typeof rv !== 'string')
      throw new DiscoveryError(
        'bad-answer',
        `the ${source.kind} list has no items or resourceVersion`,
      );
    const objects = new Map<string, unknown>();
    for (const item of list.items) {
      const meta = metaOf(item);
      if (meta) objects.set(meta.name, item);
    }
    let resourceVersion = rv;
    const report = (): void =>
      this.listener.answer([...objects.values()].flatMap(source.mastersOf), source.kind);
    this.listener.synced();
    report();
    while (!this.stopped) {
      const sep = source.path.includes('?') ? '&' : '?';
      const path = `${source.path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${this.timings.watchSeconds}`;
      // The server may stay silent up to a bookmark's period; give the watch its own span.
      const c = await call(path);
      c.idleMs = Math.max(c.idleMs, (this.timings.watchSeconds + 5) * 1000);
      let opened = false;
      await watch(c, (event: WatchEvent) => {
        if (!opened) opened = true;
        resourceVersion = this.apply(event, objects);
        this.listener.synced();
        if (event.type !== 'BOOKMARK') report();
      });
      if (!opened) this.listener.synced(); // an empty watch ended by the server is still in step
    }
  }

  /** Applies one watch event to the known objects and returns the resourceVersion to resume from. */
  private apply(event: WatchEvent, objects: Map<string, unknown>): string {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: unknown; message?: unknown };
      const message = typeof status?.message === 'string' ? status.message : 'watch error';
      throw new DiscoveryError(status?.code === 410 ? 'gone' : 'status', message);
    }
    if (event.type === 'BOOKMARK') {
      // A bookmark carries only metadata.resourceVersion: where to resume from, nothing changed.
      const rv = (event.object as { metadata?: { resourceVersion?: unknown } })?.metadata
        ?.resourceVersion;
      if (typeof rv !== 'string')
        throw new DiscoveryError('bad-answer', 'a bookmark has no resourceVersion');
      return rv;
    }
    const meta: ObjectMeta | undefined = metaOf(event.object);
    if (!meta) throw new DiscoveryError('bad-answer', `a ${event.type} event has no metadata`);
    if (event.type === 'ADDED' || event.type === 'MODIFIED') objects.set(meta.name, event.object);
    else if (event.type === 'DELETED') objects.delete(meta.name);
    else throw new DiscoveryError('bad-answer', `unknown watch event type ${event.type}`);
    return meta.resourceVersion;
  }
}
