// The part of the stand-in API server that serves the registration (registry.ts): the
// `kubernetes` EndpointSlice and Endpoints in `default`, get by name, list and watch
// (resourceVersion, bookmarks, 410 for a compacted version, timeoutSeconds, label and
// metadata.name field selectors), authenticated and authorized as a kubeadm cluster does it
// (api-authz.ts): a kubelet may GET endpoints/kubernetes and nothing else of it unless the test
// applied kha's RBAC grant. And the Events components post (kube-events.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ResourceRequest,
  UNAUTHORIZED_STATUS,
  allowed,
  authenticate,
  failureStatus,
  forbiddenStatus,
  nameFromFieldSelector,
} from './api-authz.js';
import { eventsRequest, serveEvent } from './kube-events.js';
import { type RegistryKind, type RegistryState, followRegistry } from './registry.js';

interface Route {
  kind: RegistryKind;
  apiGroup: string;
  resource: string;
  apiVersion: string;
}

const ROUTES: Record<string, Route> = {
  '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices': {
    kind: 'EndpointSlice',
    apiGroup: 'discovery.k8s.io',
    resource: 'endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
  },
  '/api/v1/namespaces/default/endpoints': {
    kind: 'Endpoints',
    apiGroup: '',
    resource: 'endpoints',
    apiVersion: 'v1',
  },
};

export interface KubeApiOptions {
  registryFile: string;
  /** Period of BOOKMARK events on watches that allow them. */
  bookmarkMs?: number;
}

export interface KubeApiStats {
  gets: Record<RegistryKind, number>;
  lists: Record<RegistryKind, number>;
  watches: Record<RegistryKind, number>;
  /** 401: credentials that did not verify. */
  unauthorized: number;
  /** 403: authenticated, not allowed. */
  forbidden: number;
  gone: number;
  unavailable: number;
  /** Every request to the registration, by the user it authenticated as. */
  byUser: Record<string, number>;
  /** Events written through this server (kube-events.ts); refused: answered 4xx or 5xx there. */
  events: { created: number; patched: number; refused: number };
}

export function emptyApiStats(): KubeApiStats {
  return {
    gets: { EndpointSlice: 0, Endpoints: 0 },
    lists: { EndpointSlice: 0, Endpoints: 0 },
    watches: { EndpointSlice: 0, Endpoints: 0 },
    unauthorized: 0,
    forbidden: 0,
    gone: 0,
    unavailable: 0,
    byUser: {},
    events: { created: 0, patched: 0, refused: 0 },
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  send(res, code, failureStatus(code, reason, message));
}

/**
 * A watch event's line, serialized once per object and type: a real API server's watch cache
 * also serializes an object once for every watcher, and the flood (registry.ts) re-sends the same
 * objects every few hundred milliseconds.
 */
const serialized = new WeakMap<object, Map<string, string>>();
function eventLine(type: string, object: object): string {
  let byType = serialized.get(object);
  if (!byType) serialized.set(object, (byType = new Map<string, string>()));
  let line = byType.get(type);
  if (line === undefined) byType.set(type, (line = `${JSON.stringify({ type, object })}\n`));
  return line;
}

function nameOf(object: Record<string, unknown>): string | undefined {
  return (object.metadata as { name?: string } | undefined)?.name;
}

function selects(url: URL, object: Record<string, unknown>): boolean {
  const meta = object.metadata as { name?: string; labels?: Record<string, string> };
  const label = url.searchParams.get('labelSelector');
  if (label) {
    const [k, v] = label.split('=');
    if (meta.labels?.[k!] !== v) return false;
  }
  const field = url.searchParams.get('fieldSelector');
  if (field) {
    const name = nameFromFieldSelector(field);
    if (name === undefined || meta.name !== name) return false;
  }
  return true;
}

/** Every object of a kind the registry holds now: the registration, and stray slices. */
function objectsOf(s: RegistryState, kind: RegistryKind): Array<Record<string, unknown>> {
  const own = s.objects[kind] ? [s.objects[kind]] : [];
  return kind === 'EndpointSlice' ? [...own, ...Object.values(s.strays ?? {})] : own;
}

/** Parses the path into a resource request, or undefined for paths the stand-in does not serve. */
function resourceRequest(
  req: IncomingMessage,
  url: URL,
): { route: Route; r: ResourceRequest } | undefined {
  const exact = ROUTES[url.pathname];
  const slash = url.pathname.lastIndexOf('/');
  const parent = ROUTES[url.pathname.slice(0, slash)];
  const route = exact ?? parent;
  if (!route || req.method !== 'GET') return undefined;
  const watching =
    url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
  const name = exact
    ? nameFromFieldSelector(url.searchParams.get('fieldSelector'))
    : decodeURIComponent(url.pathname.slice(slash + 1));
  const verb = !exact ? 'get' : watching ? 'watch' : 'list';
  return {
    route,
    r: { verb, apiGroup: route.apiGroup, resource: route.resource, namespace: 'default', name },
  };
}

/** Returns a request handler for /api and /apis, or undefined for paths it does not own. */
export function kubeApi(o: KubeApiOptions): {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  stats: KubeApiStats;
  close(): void;
} {
  let state: RegistryState | undefined;
  const watchers = new Set<(s: RegistryState) => void>();
  const stop = followRegistry(o.registryFile, (s) => {
    state = s;
    for (const w of watchers) w(s);
  });
  const stats = emptyApiStats();
  const open = new Set<ServerResponse>();
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    if (!url.pathname.startsWith('/api')) return false;
    const auth = authenticate(req);
    if ('unauthorized' in auth) {
      stats.unauthorized++;
      send(res, 401, UNAUTHORIZED_STATUS);
      return true;
    }
    const { identity } = auth;
    // Events are not the registration: counted apart, so discovery's request figures stay its own.
    const write = eventsRequest(req, url);
    if (write && state) {
      if (!allowed(identity, write, { discoveryGrant: state.discoveryGrant === true })) {
        stats.events.refused++;
        send(res, 403, forbiddenStatus(identity, write));
      } else if (state.outage) {
        stats.events.refused++;
        status(res, 503, 'ServiceUnavailable', 'etcdserver: request timed out');
      } else void serveEvent(req, res, write, o.registryFile, stats.events, identity);
      return true;
    }
    stats.byUser[identity.user] = (stats.byUser[identity.user] ?? 0) + 1;
    const parsed = resourceRequest(req, url);
    if (!parsed || !state) {
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return true;
    }
    const { route, r } = parsed;
    // Authorization comes before storage: a refused request is refused during an outage too.
    if (!allowed(identity, r, { discoveryGrant: state.discoveryGrant === true })) {
      stats.forbidden++;
      send(res, 403, forbiddenStatus(identity, r));
      return true;
    }
    if (state.outage) {
      stats.unavailable++;
      status(res, 503, 'ServiceUnavailable', 'etcdserver: request timed out');
      return true;
    }
    const kind = route.kind;
    if (r.verb === 'get') {
      stats.gets[kind]++;
      const object = objectsOf(state, kind).find((x) => nameOf(x) === r.name);
      if (!object)
        status(
          res,
          404,
          'NotFound',
          `${r.resource}${r.apiGroup ? `.${r.apiGroup}` : ''} "${r.name}" not found`,
        );
      else send(res, 200, object);
      return true;
    }
    const items = (s: RegistryState) => objectsOf(s, kind).filter((x) => selects(url, x));
    if (r.verb === 'list') {
      stats.lists[kind]++;
      send(res, 200, {
        kind: `${kind}List`,
        apiVersion: route.apiVersion,
        metadata: { resourceVersion: String(state.rv) },
        items: items(state),
      });
      return true;
    }
    stats.watches[kind]++;
    let from = Number(url.searchParams.get('resourceVersion') ?? state.rv);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const event = (type: string, object: object): void => {
      res.write(eventLine(type, object));
    };
    const expired = (): void => {
      stats.gone++;
      event('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${from} (${state?.compacted})`,
        reason: 'Expired',
        code: 410,
      });
    };
    if (from < state.compacted) {
      expired();
      res.end();
      return true;
    }
    const flush = (s: RegistryState): void => {
      if (s.outage) {
        end();
        return;
      }
      if (from < s.compacted) {
        expired();
        end();
        return;
      }
      for (const e of s.events) {
        if (e.rv <= from || e.kind !== kind || !selects(url, e.object)) continue;
        event(e.type, e.object);
      }
      from = Math.max(from, s.rv);
    };
    const bookmarks =
      url.searchParams.get('allowWatchBookmarks') === 'true'
        ? setInterval(() => {
            event('BOOKMARK', {
              kind,
              apiVersion: route.apiVersion,
              metadata: { resourceVersion: String(from) },
            });
          }, o.bookmarkMs ?? 1000)
        : undefined;
    // A broken or hostile writer re-sending everything (registry.ts flood): what the server sends
    // then still obeys the watch's selectors, as a real API server's would.
    let resend: NodeJS.Timeout | undefined;
    const resendEvery = (s: RegistryState): void => {
      clearInterval(resend);
      resend = s.resendEveryMs
        ? setInterval(() => {
            if (!state) return;
            for (const x of items(state)) event('MODIFIED', x);
          }, s.resendEveryMs)
        : undefined;
    };
    const timeout = setTimeout(
      () => end(),
      Number(url.searchParams.get('timeoutSeconds') ?? 1800) * 1000,
    );
    const watcher = (s: RegistryState): void => {
      flush(s);
      resendEvery(s);
    };
    function end(): void {
      clearInterval(bookmarks);
      clearInterval(resend);
      clearTimeout(timeout);
      watchers.delete(watcher);
      open.delete(res);
      res.end();
    }
    watchers.add(watcher);
    open.add(res);
    res.on('close', end);
    flush(state);
    resendEvery(state);
    return true;
  };
  return {
    handle,
    stats,
    close() {
      stop();
      for (const r of open) r.destroy();
    },
  };
}
