// The kernel's side of a reconcile: opening the clients, reading our virtual server, applying a
// plan to it.
import {
  type AddressServiceKey,
  type Destination,
  IpvsClient,
  RouteClient,
  type Service,
  hostPrefixLength,
  isNetlinkError,
} from '@kha/netlink-ffi';
import type { Endpoint } from '../config/endpoint.js';
import type { Action, KernelView, WantedService } from './plan.js';

/** The IPVS and rtnetlink clients, open together. */
export interface KernelClients {
  ipvs: IpvsClient;
  rt: RouteClient;
}

/** How the clients are opened: real sockets by default, scripted connections in tests. */
export interface KernelOpeners {
  ipvs(): Promise<IpvsClient>;
  rt(): RouteClient;
}

const socketOpeners: KernelOpeners = {
  ipvs: () => IpvsClient.open(),
  rt: () => RouteClient.open(),
};

/** Opens both clients. When the second cannot open, the first is closed before the error goes on. */
export async function openKernel(open: KernelOpeners = socketOpeners): Promise<KernelClients> {
  const ipvs = await open.ipvs();
  try {
    return { ipvs, rt: open.rt() };
  } catch (err) {
    await ipvs.close();
    throw err;
  }
}

/** Closes both clients. */
export async function closeKernel({ ipvs, rt }: KernelClients): Promise<void> {
  await Promise.allSettled([ipvs.close(), rt.close()]);
}

/** Runs `fn` with both clients open, and closes both however it ends. */
export async function withKernel<T>(
  fn: (ipvs: IpvsClient, rt: RouteClient) => Promise<T>,
  open: KernelOpeners = socketOpeners,
): Promise<T> {
  const kernel = await openKernel(open);
  try {
    return await fn(kernel.ipvs, kernel.rt);
  } finally {
    await closeKernel(kernel);
  }
}

/** The IPVS key of our virtual server. */
export function serviceKey(vip: Endpoint): AddressServiceKey {
  return { family: vip.family, protocol: 'tcp', address: vip.address, port: vip.port };
}

/** Our virtual server as IPVS takes it. */
function serviceFor(wanted: WantedService): Service {
  return {
    ...serviceKey(wanted.vip),
    scheduler: wanted.scheduler,
    flags: 0,
    timeout: 0,
    netmask: hostPrefixLength(wanted.vip.family),
  };
}

/** One master as an IPVS destination of the given weight. */
function destinationFor(d: Endpoint, weight: number): Destination {
  return {
    family: d.family,
    address: d.address,
    port: d.port,
    forward: 'masq',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

/** Our virtual server and its destinations as the kernel holds them (none when it is missing). */
async function readKernel(ipvs: IpvsClient, vip: Endpoint): Promise<KernelView> {
  const key = serviceKey(vip);
  try {
    const service = await ipvs.service(key);
    return { service, destinations: await ipvs.destinations(key) };
  } catch (err) {
    if (isNetlinkError(err, 'ESRCH')) return { service: undefined, destinations: [] };
    throw err;
  }
}

/** Applies one action. An action overtaken by another writer (EEXIST / ENOENT) is left to the next round. */
async function applyAction(ipvs: IpvsClient, wanted: WantedService, action: Action): Promise<void> {
  const key = serviceKey(wanted.vip);
  switch (action.kind) {
    case 'create-service':
      return ipvs.createService(serviceFor(wanted));
    case 'update-service':
      return ipvs.updateService(serviceFor(wanted));
    case 'create-destination':
      return ipvs.createDestination(key, destinationFor(action.destination, action.weight));
    case 'update-destination':
      return ipvs.updateDestination(key, destinationFor(action.destination, action.weight));
    case 'delete-destination':
      return ipvs.removeDestination(key, action.destination);
  }
}

/** What the daemon needs of the kernel's IPVS table: the seam its unit tests fill in. */
export interface IpvsKernel {
  read(vip: Endpoint): Promise<KernelView>;
  apply(wanted: WantedService, action: Action): Promise<void>;
}

export function ipvsKernel(ipvs: IpvsClient): IpvsKernel {
  return {
    read: (vip) => readKernel(ipvs, vip),
    apply: (wanted, action) => applyAction(ipvs, wanted, action),
  };
}
