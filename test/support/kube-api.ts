// The part of the stand-in API server that serves the registration (registry.ts): EndpointSlices
// and Endpoints, list and watch (resourceVersion, bookmarks, 410 for a compacted version,
// timeoutSeconds), only to clients whose certificate the cluster CA signed, as kube-apiserver
// does with anonymous access off.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type RegistryKind, type RegistryState, followRegistry } from './registry.js';

const COLLECTIONS: Record<string, RegistryKind> = {
  '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices': 'EndpointSlice',
  '/api/v1/namespaces/default/endpoints': 'Endpoints',
};

export interface KubeApiOptions {
  registryFile: string;
  /** Period of BOOKMARK events on watches that allow them. */
  bookmarkMs?: number;
}

export interface KubeApiStats {
  lists: Record<RegistryKind, number>;
  watches: Record<RegistryKind, number>;
  refused: number;
  gone: number;
  unavailable: number;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }),
  );
}

function selects(kind: RegistryKind, url: URL, object: Record<string, unknown>): boolean {
  const meta = object.metadata as { name?: string; labels?: Record<string, string> };
  const label = url.searchParams.get('labelSelector');
  if (label) {
    const [k, v] = label.split('=');
    if (meta.labels?.[k!] !== v) return false;
  }
  const field = url.searchParams.get('fieldSelector');
  if (field) {
    const [k, v] = field.split('=');
    if (k === 'metadata.name' && meta.name !== v) return false;
  }
  return kind !== undefined;
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
  const stats: KubeApiStats = {
    lists: { EndpointSlice: 0, Endpoints: 0 },
    watches: { EndpointSlice: 0, Endpoints: 0 },
    refused: 0,
    gone: 0,
    unavailable: 0,
  };
  const open = new Set<ServerResponse>();
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    if (!url.pathname.startsWith('/api')) return false;
    if (!(req.socket as TLSSocket).authorized) {
      stats.refused++;
      status(res, 401, 'Unauthorized', 'Unauthorized');
      return true;
    }
    const kind = COLLECTIONS[url.pathname];
    if (!kind || !state) {
      status(res, 404, 'NotFound', `the server could not find the requested resource`);
      return true;
    }
    if (state.outage) {
      stats.unavailable++;
      status(res, 503, 'ServiceUnavailable', 'etcdserver: request timed out');
      return true;
    }
    if (state.forbidden.includes(kind)) {
      status(
        res,
        403,
        'Forbidden',
        `${kind.toLowerCase()}s is forbidden: User cannot list resource`,
      );
      return true;
    }
    const items = (s: RegistryState) =>
      [s.objects[kind]].filter((x): x is Record<string, unknown> => !!x && selects(kind, url, x));
    if (url.searchParams.get('watch') !== '1' && url.searchParams.get('watch') !== 'true') {
      stats.lists[kind]++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: `${kind}List`,
          apiVersion: kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1',
          metadata: { resourceVersion: String(state.rv) },
          items: items(state),
        }),
      );
      return true;
    }
    stats.watches[kind]++;
    let from = Number(url.searchParams.get('resourceVersion') ?? state.rv);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const send = (type: string, object: unknown): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    if (from < state.compacted) {
      stats.gone++;
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: `too old resource version: ${from} (${state.compacted})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return true;
    }
    const flush = (s: RegistryState): void => {
      if (s.outage) {
        end();
        return;
      }
      if (from < s.compacted) {
        stats.gone++;
        send('ERROR', {
          kind: 'Status',
          code: 410,
          reason: 'Expired',
          message: 'too old resource version',
        });
        end();
        return;
      }
      for (const e of s.events) {
        if (e.rv <= from || e.kind !== kind || !selects(kind, url, e.object)) continue;
        send(e.type, e.object);
      }
      from = Math.max(from, s.rv);
    };
    const bookmarks =
      url.searchParams.get('allowWatchBookmarks') === 'true'
        ? setInterval(() => {
            send('BOOKMARK', {
              kind,
              apiVersion: kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1',
              metadata: { resourceVersion: String(from) },
            });
          }, o.bookmarkMs ?? 1000)
        : undefined;
    const timeout = setTimeout(
      () => end(),
      Number(url.searchParams.get('timeoutSeconds') ?? 1800) * 1000,
    );
    const watcher = (s: RegistryState): void => flush(s);
    function end(): void {
      clearInterval(bookmarks);
      clearTimeout(timeout);
      watchers.delete(watcher);
      open.delete(res);
      res.end();
    }
    watchers.add(watcher);
    open.add(res);
    res.on('close', end);
    flush(state);
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
