// The API servers' own registration, read from the two shapes Kubernetes publishes it in: the
// `kubernetes` Service's EndpointSlice (discovery.k8s.io/v1) and its legacy Endpoints (v1), both
// named `kubernetes` in `default` (the API servers' endpoint reconciler writes the slice under the
// Endpoints' name). Pure. Anything malformed is skipped rather than guessed at, and only the
// addresses are kept: at most MAX_MASTERS + 1 distinct ones are looked for, whatever the size.
import { addressFamily, canonicalAddress } from '@kha/netlink-ffi';
import { type Endpoint, endpointKey } from '../config/endpoint.js';
import { MAX_MASTERS } from './limits.js';

/** The name of the registration objects, and of the Service they belong to. */
export const REGISTRATION_NAME = 'kubernetes';

/** What one registration object says, reduced to what discovery keeps. */
export interface Registration {
  /** Distinct ready addresses, in the object's order (at most MAX_MASTERS). */
  masters: Endpoint[];
  /** More than MAX_MASTERS distinct ready addresses: a bad answer, `masters` is cut short. */
  overflow: boolean;
}

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
  if (typeof ip !== 'string' || ip.length > 64) return undefined;
  const family = addressFamily(ip);
  return family ? { family, address: canonicalAddress(ip), port } : undefined;
}

/** Collects distinct endpoints in linear time and stops looking once there are too many. */
class Collector {
  private readonly seen = new Set<string>();
  readonly masters: Endpoint[] = [];
  overflow = false;

  /** False once the answer is known to be bad: the caller stops walking it. */
  add(e: Endpoint | undefined): boolean {
    if (!e) return true;
    const key = endpointKey(e);
    if (this.seen.has(key)) return true;
    if (this.masters.length === MAX_MASTERS) {
      this.overflow = true;
      return false;
    }
    this.seen.add(key);
    this.masters.push(e);
    return true;
  }

  get registration(): Registration {
    return { masters: this.masters, overflow: this.overflow };
  }
}

/** Ready addresses of one EndpointSlice (a missing `ready` condition means ready, as the API says). */
export function mastersOfSlice(slice: unknown): Registration {
  const found = new Collector();
  if (!isObj(slice)) return found.registration;
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return found.registration;
  const port = apiPort(slice.ports);
  if (port === undefined) return found.registration;
  for (const e of arr(slice.endpoints)) {
    if (!isObj(e)) continue;
    const conditions = isObj(e.conditions) ? e.conditions : {};
    if (conditions.ready === false) continue;
    for (const ip of arr(e.addresses))
      if (!found.add(endpointAt(ip, port))) return found.registration;
  }
  return found.registration;
}

/** Ready addresses of a v1 Endpoints object (notReadyAddresses left out). */
export function mastersOfEndpoints(endpoints: unknown): Registration {
  const found = new Collector();
  if (!isObj(endpoints)) return found.registration;
  for (const subset of arr(endpoints.subsets)) {
    if (!isObj(subset)) continue;
    const port = apiPort(subset.ports);
    if (port === undefined) continue;
    for (const a of arr(subset.addresses))
      if (isObj(a) && !found.add(endpointAt(a.ip, port))) return found.registration;
  }
  return found.registration;
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
