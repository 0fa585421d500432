// Reading our virtual server from the kernel and applying a plan to it.
import {
  type AddressServiceKey,
  type Destination,
  type IpvsClient,
  NetlinkError,
  type Service,
} from '@kha/netlink-ffi';
import type { Endpoint } from '../config/endpoint.js';
import type { Action, KernelView, WantedService } from './plan.js';

export function serviceKey(vip: Endpoint): AddressServiceKey {
  return { family: vip.family, protocol: 'tcp', address: vip.address, port: vip.port };
}

export function serviceFor(wanted: WantedService): Service {
  return {
    ...serviceKey(wanted.vip),
    scheduler: wanted.scheduler,
    flags: 0,
    timeout: 0,
    netmask: wanted.vip.family === 'inet' ? 32 : 128,
  };
}

export function destinationFor(d: Endpoint, weight: number): Destination {
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

export async function readKernel(ipvs: IpvsClient, vip: Endpoint): Promise<KernelView> {
  const key = serviceKey(vip);
  try {
    const service = await ipvs.service(key);
    return { service, destinations: await ipvs.destinations(key) };
  } catch (err) {
    if (err instanceof NetlinkError && err.is('ESRCH'))
      return { service: undefined, destinations: [] };
    throw err;
  }
}

/** Applies one action. An action overtaken by another writer (EEXIST / ENOENT) is left to the next round. */
export async function applyAction(
  ipvs: IpvsClient,
  wanted: WantedService,
  action: Action,
): Promise<void> {
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
