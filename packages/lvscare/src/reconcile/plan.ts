// The minimal set of kernel changes that turns what the kernel holds into what we want, each
// labelled as a repair when it corrects something that changed behind our back. Pure.
import {
  type AddressFamily,
  type DestinationExtended,
  type ServiceExtended,
  hostPrefixLength,
} from '@kha/netlink-ffi';
import { type Endpoint, endpointKey, formatEndpoint } from '../config/endpoint.js';

export type RepairKind =
  | 'service-missing'
  | 'service-settings'
  | 'destination-missing'
  | 'destination-weight'
  | 'destination-settings'
  | 'destination-foreign';

export interface WantedService {
  vip: Endpoint;
  scheduler: string;
}

export type Action =
  | { kind: 'create-service'; repair?: RepairKind }
  | { kind: 'update-service'; repair?: RepairKind }
  | { kind: 'create-destination'; destination: Endpoint; weight: number; repair?: RepairKind }
  | { kind: 'update-destination'; destination: Endpoint; weight: number; repair?: RepairKind }
  | { kind: 'delete-destination'; destination: Endpoint; repair?: RepairKind };

/** What the daemon last set, to tell drift (someone else's change) from its own decisions. */
export interface Applied {
  weights: Map<string, number>;
}

export interface KernelView {
  service: ServiceExtended | undefined;
  destinations: DestinationExtended[];
}

/** The kernel's settings for our service that we own: anything else is drift. */
function serviceMatches(actual: ServiceExtended, wanted: WantedService): boolean {
  const fullMask = hostPrefixLength(actual.family);
  return (
    actual.scheduler === wanted.scheduler &&
    actual.flags === 0 &&
    actual.timeout === 0 &&
    actual.netmask === fullMask &&
    !actual.peName
  );
}

function destinationSettingsMatch(d: DestinationExtended): boolean {
  return d.forward === 'masq' && d.upperThreshold === 0 && d.lowerThreshold === 0;
}

const endpointOf = (d: { address: string; port: number }, family: AddressFamily): Endpoint => ({
  family,
  address: d.address,
  port: d.port,
});

/**
 * Orders changes so that the VIP never loses its last usable destination mid-way: the service
 * first, then destinations gaining weight, then those losing it, then removals.
 */
export function planReconcile(
  wanted: WantedService,
  masters: Endpoint[],
  weights: Map<string, number>,
  kernel: KernelView,
  applied: Applied | undefined,
): Action[] {
  const actions: Action[] = [];
  const known = applied !== undefined;
  if (!kernel.service) {
    actions.push(
      known ? { kind: 'create-service', repair: 'service-missing' } : { kind: 'create-service' },
    );
  } else if (!serviceMatches(kernel.service, wanted)) {
    actions.push({ kind: 'update-service', repair: 'service-settings' });
  }
  const inKernel = new Map(kernel.destinations.map((d) => [endpointKey(d), d]));
  const raise: Action[] = [];
  const lower: Action[] = [];
  const remove: Action[] = [];
  for (const m of masters) {
    const key = endpointKey(m);
    const want = weights.get(key);
    const have = inKernel.get(key);
    const lastSet = applied?.weights.get(key);
    if (want === undefined) {
      if (have) remove.push({ kind: 'delete-destination', destination: m });
      continue;
    }
    if (!have) {
      // A re-created service brings its destinations back as part of that one repair.
      const repair: RepairKind | undefined =
        lastSet !== undefined && kernel.service ? 'destination-missing' : undefined;
      raise.push({
        kind: 'create-destination',
        destination: m,
        weight: want,
        ...(repair && { repair }),
      });
      continue;
    }
    const settingsDrift = !destinationSettingsMatch(have);
    if (have.weight === want && !settingsDrift) continue;
    let repair: RepairKind | undefined;
    if (settingsDrift) repair = 'destination-settings';
    else if (lastSet !== undefined && have.weight !== lastSet) repair = 'destination-weight';
    const action: Action = {
      kind: 'update-destination',
      destination: m,
      weight: want,
      ...(repair && { repair }),
    };
    (want >= have.weight ? raise : lower).push(action);
  }
  const configured = new Set(masters.map(endpointKey));
  for (const d of kernel.destinations) {
    if (!configured.has(endpointKey(d))) {
      remove.push({
        kind: 'delete-destination',
        destination: endpointOf(d, d.family),
        repair: 'destination-foreign',
      });
    }
  }
  return [...actions, ...raise, ...lower, ...remove];
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'create-service':
      return 'create virtual server';
    case 'update-service':
      return 'restore virtual server settings';
    case 'create-destination':
      return `add ${formatEndpoint(action.destination)} weight ${action.weight}`;
    case 'update-destination':
      return `set ${formatEndpoint(action.destination)} weight ${action.weight}`;
    case 'delete-destination':
      return `remove ${formatEndpoint(action.destination)}`;
  }
}

/** What the kernel will hold after the plan, from our side: the weights we set. */
export function appliedAfter(weights: Map<string, number>): Applied {
  return { weights: new Map(weights) };
}
