// The stand-in API server's etcd: the `kubernetes` Service's EndpointSlice and Endpoints with a
// resourceVersion history, kept in one JSON file so that every stand-in API server (one per master
// namespace in the kernel tier) serves the same view, as real API servers sharing etcd do.
// The cluster's RBAC lives there too (kha's discovery grant, applied or not), as it does in etcd.
// The test writes it (publishMasters, compact, grantDiscovery, ...); the servers only read it.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

export type RegistryKind = 'EndpointSlice' | 'Endpoints';

export interface RegistryEvent {
  rv: number;
  kind: RegistryKind;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Record<string, unknown>;
}

export interface RegistryState {
  rv: number;
  /** Watches from a resourceVersion below this get 410 Gone, as after an etcd compaction. */
  compacted: number;
  /** kha's RBAC grant applied (manifests/kha-discovery-rbac.yaml); kubeadm's defaults without. */
  discoveryGrant?: boolean;
  /** Every request answered 503 and open watches ended, as when the API servers lose etcd. */
  outage?: boolean;
  objects: Record<RegistryKind, Record<string, unknown> | undefined>;
  /**
   * Other EndpointSlices in `default` labelled kubernetes.io/service-name=kubernetes, as anyone
   * allowed to write EndpointSlices there can create: by name.
   */
  strays?: Record<string, Record<string, unknown>>;
  /** A broken or hostile writer: every open watch gets every object again this often. */
  resendEveryMs?: number;
  events: RegistryEvent[];
}

export interface RegisteredMaster {
  ip: string;
  port: number;
  ready?: boolean;
}

const empty = (): RegistryState => ({
  rv: 1,
  compacted: 0,
  objects: { EndpointSlice: undefined, Endpoints: undefined },
  events: [],
});

export function readRegistry(file: string): RegistryState {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RegistryState) : empty();
}

function writeRegistry(file: string, s: RegistryState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(s));
  renameSync(`${file}.tmp`, file);
}

export function slice(
  masters: RegisteredMaster[],
  rv: number,
  family: 'IPv4' | 'IPv6',
  name = 'kubernetes',
) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: 'default',
      resourceVersion: String(rv),
      labels: { 'kubernetes.io/service-name': 'kubernetes' },
    },
    addressType: family,
    endpoints: masters.map((m) => ({ addresses: [m.ip], conditions: { ready: m.ready ?? true } })),
    ports: [{ name: 'https', port: masters[0]?.port ?? 6443, protocol: 'TCP' }],
  };
}

function endpoints(masters: RegisteredMaster[], rv: number) {
  const ready = masters.filter((m) => m.ready ?? true);
  const notReady = masters.filter((m) => !(m.ready ?? true));
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', resourceVersion: String(rv) },
    subsets: masters.length
      ? [
          {
            addresses: ready.map((m) => ({ ip: m.ip })),
            ...(notReady.length ? { notReadyAddresses: notReady.map((m) => ({ ip: m.ip })) } : {}),
            ports: [{ name: 'https', port: masters[0]!.port, protocol: 'TCP' }],
          },
        ]
      : [],
  };
}

/** The API servers registered now: as the apiserver's endpoint reconciler would write them. */
export function publishMasters(
  file: string,
  masters: RegisteredMaster[],
  family: 'IPv4' | 'IPv6' = 'IPv4',
): number {
  const s = readRegistry(file);
  for (const [kind, object] of [
    ['EndpointSlice', slice(masters, s.rv + 1, family)],
    ['Endpoints', endpoints(masters, s.rv + 2)],
  ] as const) {
    s.rv++;
    const type = s.objects[kind] ? 'MODIFIED' : 'ADDED';
    s.objects[kind] = object;
    s.events.push({ rv: s.rv, kind, type, object });
  }
  writeRegistry(file, s);
  return s.rv;
}

/** Deletes the registration objects (a view with no API server at all). */
export function deleteRegistration(file: string): void {
  const s = readRegistry(file);
  for (const kind of ['EndpointSlice', 'Endpoints'] as const) {
    const object = s.objects[kind];
    if (!object) continue;
    s.rv++;
    const gone = {
      ...object,
      metadata: { ...(object.metadata as object), resourceVersion: String(s.rv) },
    };
    s.objects[kind] = undefined;
    s.events.push({ rv: s.rv, kind, type: 'DELETED', object: gone });
  }
  writeRegistry(file, s);
}

/**
 * Forgets the history: every open watch and any watch from an earlier resourceVersion get 410
 * Gone; a new list gives a version to watch from again.
 */
export function compact(file: string): void {
  const s = readRegistry(file);
  s.rv++;
  s.compacted = s.rv;
  s.events = [];
  writeRegistry(file, s);
}

/** Applies (or deletes) kha's discovery RBAC grant. */
export function grantDiscovery(file: string, on: boolean): void {
  const s = readRegistry(file);
  s.discoveryGrant = on;
  writeRegistry(file, s);
}

/** Distinct addresses from 10.100.0.0 on, none of them a test master's. */
export function floodAddress(n: number): string {
  return `10.${100 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * A flood: `slices` more EndpointSlices labelled for the kubernetes Service with `perSlice`
 * addresses each, and every open watch sent every object again each `everyMs`. Undone by
 * `stopFlood`.
 */
export function flood(file: string, slices: number, perSlice: number, everyMs: number): void {
  const s = readRegistry(file);
  s.strays = {};
  for (let i = 0; i < slices; i++) {
    const masters = Array.from({ length: perSlice }, (_, j) => ({
      ip: floodAddress(i * perSlice + j),
      port: 6443,
    }));
    s.rv++;
    s.strays[`kubernetes-flood-${i}`] = slice(masters, s.rv, 'IPv4', `kubernetes-flood-${i}`);
  }
  s.resendEveryMs = everyMs;
  writeRegistry(file, s);
}

export function stopFlood(file: string): void {
  const s = readRegistry(file);
  delete s.strays;
  delete s.resendEveryMs;
  writeRegistry(file, s);
}

export function setOutage(file: string, on: boolean): void {
  const s = readRegistry(file);
  s.outage = on;
  writeRegistry(file, s);
}

/** Calls `onChange` with the new state whenever the file changes (polled: it may be on 9p). */
export function followRegistry(
  file: string,
  onChange: (s: RegistryState) => void,
  everyMs = 50,
): () => void {
  let last = '';
  const tick = (): void => {
    let stamp = 'absent';
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      // not written yet
    }
    if (stamp === last) return;
    last = stamp;
    try {
      onChange(readRegistry(file));
    } catch {
      last = ''; // caught mid-write: read again next tick
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => clearInterval(timer);
}
