// The API servers' own registration, read from the two shapes Kubernetes publishes it in: the
// `kubernetes` Service's EndpointSlices (discovery.k8s.io/v1) and its legacy Endpoints (v1). Pure.
// Anything malformed is skipped rather than guessed at.
import { addressFamily, canonicalAddress } from '@kha/netlink-ffi';
import type { Endpoint } from '../config/endpoint.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The API port among a port list: the one named "https" (as kube-apiserver names it), or the only one. */
function apiPort(ports: unknown): number | undefined {
  const list = arr(ports).filter(isObj);
  const pick = list.find((p) => p.name === 'https') ?? (list.length === 1 ? list[0] : undefined);
  const port = pick?.port;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536
    ? port
    : undefined;
}

function endpointAt(ip: unknown, port: number): Endpoint | undefined {
  if (typeof ip !== 'string') return undefined;
  const family = addressFamily(ip);
  return family ? { family, address: canonicalAddress(ip), port } : undefined;
}

/** Ready addresses of one EndpointSlice (a missing `ready` condition means ready, as the API says). */
export function mastersOfSlice(slice: unknown): Endpoint[] {
  if (!isObj(slice)) return [];
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return [];
  const port = apiPort(slice.ports);
  if (port === undefined) return [];
  const out: Endpoint[] = [];
  for (const e of arr(slice.endpoints).filter(isObj)) {
    const conditions = isObj(e.conditions) ? e.conditions : {};
    if (conditions.ready === false) continue;
    for (const ip of arr(e.addresses)) {
      const ep = endpointAt(ip, port);
      if (ep) out.push(ep);
    }
  }
  return out;
}

/** Ready addresses of a v1 Endpoints object (notReadyAddresses left out). */
export function mastersOfEndpoints(endpoints: unknown): Endpoint[] {
  if (!isObj(endpoints)) return [];
  const out: Endpoint[] = [];
  for (const subset of arr(endpoints.subsets).filter(isObj)) {
    const port = apiPort(subset.ports);
    if (port === undefined) continue;
    for (const a of arr(subset.addresses).filter(isObj)) {
      const ep = endpointAt(a.ip, port);
      if (ep) out.push(ep);
    }
  }
  return out;
}

export interface ObjectMeta {
  name: string;
  resourceVersion: string;
}

export function metaOf(apiObject: unknown): ObjectMeta | undefined {
  if (!isObj(apiObject) || !isObj(apiObject.metadata)) return undefined;
  const { name, resourceVersion } = apiObject.metadata;
  return typeof name === 'string' && typeof resourceVersion === 'string'
    ? { name, resourceVersion }
    : undefined;
}
