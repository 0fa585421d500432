// Follows the API servers' registration with what the node's credentials are allowed, on one of
// two paths:
// - watch: list, then watch, the `kubernetes` EndpointSlice by name (fieldSelector), from the
//   list's resourceVersion with bookmarks, renewed each period, re-listed after 410 Gone. Needs
//   the RBAC grant kha ships (manifests/kha-discovery-rbac.yaml): a kubelet's own rights allow no
//   list or watch of the registration.
// - poll: GET `endpoints/kubernetes` once a period with jitter. The Node authorizer lets every
//   kubelet do this (Kubernetes' plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go,
//   NodeRules(): "get" on "endpoints"), so it works on any kubeadm cluster with nothing applied.
// It starts on the watch path; a 403 or 404 there is an answer, not an error: the poll path takes
// over at once, and the watch is tried again now and then (the grant may be applied later). Every
// request is paid from one budget (request-budget.ts). Reports every complete view as an answer
// and every failure as an error; what to make of them is the caller's (discovered-masters.ts).
import {
  REGISTRATION_NAME,
  type Registration,
  mastersOfEndpoints,
  mastersOfSlice,
  metaOf,
} from './api-objects.js';
import {
  type ApiCall,
  DiscoveryError,
  type DiscoveryErrorReason,
  type WatchEvent,
  asDiscoveryError,
  getJson,
  watch,
} from './kube-api.js';
import type { KubeCredentials } from './kubeconfig.js';
import { MAX_CHANGES_PER_WATCH } from './limits.js';
import { RequestBudget } from './request-budget.js';
import { type Clock, sleep, systemClock } from '../time/clock.js';

export type DiscoveryPath = 'watch' | 'poll';

const byName = `fieldSelector=${encodeURIComponent(`metadata.name=${REGISTRATION_NAME}`)}`;
/** The watch path's collection, narrowed to the one object RBAC resourceNames can grant. */
const SLICE_COLLECTION = `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?${byName}`;
/** The poll path's object: what a kubelet may GET with no grant at all. */
const ENDPOINTS_OBJECT = `/api/v1/namespaces/default/endpoints/${REGISTRATION_NAME}`;

export interface DiscoveryTimings {
  /** Longest wait for an answer, or between two watch events (bookmarks included). */
  requestTimeoutMs: number;
  /**
   * One request per period in steady state: the poll's spacing (plus up to a quarter of jitter),
   * the watch's timeoutSeconds, and the rate the request budget refills at.
   */
  periodMs: number;
  /** Requests the budget holds beyond the steady one: a re-list, a path switch. */
  burst: number;
  /** First retry delay after a failure; doubles up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /**
   * On the poll path, how long before the watch is tried again (plus up to a quarter): ten
   * periods, so that a grant applied later is used within minutes at a tenth of a request a period.
   */
  retryWatchMs: number;
  /** Answers reach the listener at most this often; the latest wins. */
  answerGapMs: number;
}

export const DEFAULT_DISCOVERY_TIMINGS: DiscoveryTimings = {
  requestTimeoutMs: 10_000,
  periodMs: 60_000,
  burst: 3,
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
  retryWatchMs: 600_000,
  answerGapMs: 1000,
};

export interface DiscoveryListener {
  /** A complete view of the registration on `path`, reduced to its addresses. */
  answer(registration: Registration, path: DiscoveryPath): void;
  /** In step with the server on `path` (a list or a poll answered, a watch event or bookmark). */
  synced(path: DiscoveryPath): void;
  /** Something failed; the loop retries on its own. */
  error(reason: DiscoveryErrorReason, message: string): void;
  /** Informational: the path changed and why; a re-list after 410. */
  note(message: string, fields?: Record<string, unknown>): void;
}

export class MasterDiscovery {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private path: DiscoveryPath = 'watch';
  private readonly budget: RequestBudget;
  private lastAnswerAt = -Infinity;
  private pendingAnswer: Registration | undefined;
  /** Cancels the held answer's timer; undefined when no answer is held. */
  private answerTimer: (() => void) | undefined;

  constructor(
    private readonly credentials: () => Promise<KubeCredentials>,
    private readonly listener: DiscoveryListener,
    private readonly timings: DiscoveryTimings = DEFAULT_DISCOVERY_TIMINGS,
    private readonly clock: Clock = systemClock,
  ) {
    this.budget = new RequestBudget(timings.periodMs, timings.burst, clock);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.answerTimer?.();
    await this.loop;
  }

  /** The path discovery is on now. */
  get currentPath(): DiscoveryPath {
    return this.path;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let backoff = this.timings.minBackoffMs;
    while (!this.stopped) {
      try {
        if (this.path === 'watch') await this.listAndWatch();
        else await this.pollUntilWatchAllowed();
        backoff = this.timings.minBackoffMs;
        continue;
      } catch (err) {
        if (this.stopped) return;
        const e = asDiscoveryError(err);
        if (e.reason === 'gone') {
          this.listener.note('watch expired (410 Gone): listing again');
          continue;
        }
        if (this.path === 'watch' && (e.reason === 'forbidden' || e.reason === 'not-found')) {
          this.takePath('poll', e.message);
          continue;
        }
        this.listener.error(e.reason, e.message);
        // Jitter, so that thousands of workers do not come back at one instant after an outage.
        await sleep(this.clock, backoff * (0.5 + Math.random() / 2), this.abort.signal);
        backoff = Math.min(backoff * 2, this.timings.maxBackoffMs);
      }
    }
  }

  private takePath(path: DiscoveryPath, why: string): void {
    if (this.path === path) return;
    this.path = path;
    this.listener.note(
      path === 'poll'
        ? `list/watch of the kubernetes EndpointSlice not allowed: polling endpoints/kubernetes every ${Math.round(this.timings.periodMs / 1000)}s`
        : 'the kubernetes EndpointSlice may be watched again: watching it',
      { path, why },
    );
  }

  private async request<T>(
    path: string,
    idleMs: number,
    send: (c: ApiCall) => Promise<T>,
  ): Promise<T> {
    await this.budget.take(this.abort.signal);
    if (this.stopped) throw new DiscoveryError('status', 'stopped');
    const creds = await this.credentials().catch((err: Error) => {
      throw new DiscoveryError('credentials', err.message);
    });
    return send({ creds, path, idleMs, signal: this.abort.signal });
  }

  /** Polls until the watch path is allowed again; returns then, throws on a failure. */
  private async pollUntilWatchAllowed(): Promise<void> {
    let retryAt = this.clock.now() + jittered(this.timings.retryWatchMs);
    for (;;) {
      const object = await this.request(ENDPOINTS_OBJECT, this.timings.requestTimeoutMs, getJson);
      if (metaOf(object)?.name !== REGISTRATION_NAME)
        throw new DiscoveryError('bad-answer', `${ENDPOINTS_OBJECT} answered another object`);
      this.listener.synced('poll');
      this.report(mastersOfEndpoints(object));
      await sleep(this.clock, jittered(this.timings.periodMs), this.abort.signal);
      if (this.stopped) return;
      if (this.clock.now() < retryAt) continue;
      if (await this.listAllowed()) return this.takePath('watch', 'the list was allowed');
      retryAt = this.clock.now() + jittered(this.timings.retryWatchMs);
    }
  }

  /** Whether the watch path's list is allowed now; a refusal is expected here and says nothing. */
  private async listAllowed(): Promise<boolean> {
    try {
      await this.request(SLICE_COLLECTION, this.timings.requestTimeoutMs, getJson);
      return true;
    } catch (err) {
      const e = asDiscoveryError(err);
      if (e.reason === 'forbidden' || e.reason === 'not-found') return false;
      throw e;
    }
  }

  /** One list and as many watches as the server grants; returns only by throwing or stopping. */
  private async listAndWatch(): Promise<void> {
    const list = (await this.request(SLICE_COLLECTION, this.timings.requestTimeoutMs, getJson)) as {
      items?: unknown;
      metadata?: { resourceVersion?: unknown };
    };
    const rv = list?.metadata?.resourceVersion;
    if (!Array.isArray(list?.items) || typeof rv !== 'string')
      throw new DiscoveryError(
        'bad-answer',
        'the EndpointSlice list has no items or resourceVersion',
      );
    // Only the addresses of the one object asked for are kept, never the objects themselves.
    let known: Registration = { masters: [], overflow: false };
    for (const item of list.items)
      if (metaOf(item)?.name === REGISTRATION_NAME) known = mastersOfSlice(item);
    let resourceVersion = rv;
    this.listener.synced('watch');
    this.report(known);
    while (!this.stopped) {
      const path = `${SLICE_COLLECTION}&watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${Math.round(this.timings.periodMs / 1000)}`;
      // The server may stay silent up to a bookmark's period: give the watch its whole span.
      const idleMs = Math.max(this.timings.requestTimeoutMs, this.timings.periodMs + 5000);
      let opened = false;
      let changes = 0;
      await this.request(path, idleMs, (c) =>
        watch(c, (event: WatchEvent) => {
          opened = true;
          if (event.type !== 'BOOKMARK' && ++changes > MAX_CHANGES_PER_WATCH)
            throw new DiscoveryError(
              'bad-answer',
              `more than ${MAX_CHANGES_PER_WATCH} changes in one watch: a flood, not a registration`,
            );
          const next = applyEvent(event);
          resourceVersion = next.resourceVersion;
          this.listener.synced('watch');
          if (next.registration) {
            known = next.registration;
            this.report(known);
          }
        }),
      );
      if (!opened) this.listener.synced('watch'); // an empty watch ended by the server is in step
    }
  }

  /** Answers at most once per answerGapMs; one arriving sooner is held, and the latest goes. */
  private report(registration: Registration): void {
    const wait = this.lastAnswerAt + this.timings.answerGapMs - this.clock.now();
    if (wait <= 0 && !this.answerTimer) {
      this.lastAnswerAt = this.clock.now();
      this.listener.answer(registration, this.path);
      return;
    }
    this.pendingAnswer = registration;
    this.answerTimer ??= this.clock.after(Math.max(wait, 0), () => {
      this.answerTimer = undefined;
      const pending = this.pendingAnswer;
      this.pendingAnswer = undefined;
      if (pending && !this.stopped) {
        this.lastAnswerAt = this.clock.now();
        this.listener.answer(pending, this.path);
      }
    });
  }
}

/** A period with up to a quarter more, so that workers started together drift apart. */
const jittered = (ms: number): number => ms * (1 + Math.random() / 4);

/**
 * What one watch event means: where to resume from, and the registration when it changed. Events
 * for another object than the one asked for (a server ignoring the field selector) are skipped.
 */
function applyEvent(event: WatchEvent): {
  resourceVersion: string;
  registration?: Registration;
} {
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
    return { resourceVersion: rv };
  }
  const meta = metaOf(event.object);
  if (!meta) throw new DiscoveryError('bad-answer', `a ${event.type} event has no metadata`);
  if (meta.name !== REGISTRATION_NAME) return { resourceVersion: meta.resourceVersion };
  if (event.type === 'ADDED' || event.type === 'MODIFIED')
    return { resourceVersion: meta.resourceVersion, registration: mastersOfSlice(event.object) };
  if (event.type === 'DELETED')
    return {
      resourceVersion: meta.resourceVersion,
      registration: { masters: [], overflow: false },
    };
  throw new DiscoveryError('bad-answer', `unknown watch event type ${event.type}`);
}
