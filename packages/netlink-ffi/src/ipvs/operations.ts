// Every IPVS change as a command, the name errors give it, and its attributes: built here once,
// whether the client sends it alone or in a batch.
import type { AttributeEncoder } from '../attributes.js';
import {
  describeService,
  encodeDestination,
  encodeDestinationKey,
  encodeService,
  encodeServiceKey,
} from './codec.js';
import { IpvsCommand } from './constants.js';
import type { Destination, DestinationKey, Service, ServiceKey } from './types.js';

/** One change to the IPVS table, as IpvsClient.batch takes it. */
export type IpvsOperation =
  | { op: 'create-service' | 'update-service'; service: Service }
  | { op: 'remove-service'; service: ServiceKey }
  | {
      op: 'create-destination' | 'update-destination';
      service: ServiceKey;
      destination: Destination;
    }
  | { op: 'remove-destination'; service: ServiceKey; destination: DestinationKey };

/** An IPVS command ready to frame: its number, its name in errors, its attributes. */
export interface IpvsCall {
  command: number;
  /**
   * "NEW_DEST tcp 10.103.97.2:6443 -> 192.168.0.2:6443"; a function where the text is only
   * built when an error needs it (a listing sends a GET_DEST per service).
   */
  name: string | (() => string);
  build?: ((attrs: AttributeEncoder) => void) | undefined;
  dump?: boolean;
}

const destinationName = (key: ServiceKey, dest: DestinationKey): string =>
  `${describeService(key)} -> ${dest.address}:${dest.port}`;

/** The text of a call's name. */
export function callName(call: IpvsCall): string {
  return typeof call.name === 'string' ? call.name : call.name();
}

/** The command that performs one change. */
export function callFor(op: IpvsOperation): IpvsCall {
  switch (op.op) {
    case 'create-service':
    case 'update-service': {
      const create = op.op === 'create-service';
      return {
        command: create ? IpvsCommand.NEW_SERVICE : IpvsCommand.SET_SERVICE,
        name: `${create ? 'NEW_SERVICE' : 'SET_SERVICE'} ${describeService(op.service)}`,
        build: (a) => encodeService(a, op.service),
      };
    }
    case 'remove-service':
      return {
        command: IpvsCommand.DEL_SERVICE,
        name: `DEL_SERVICE ${describeService(op.service)}`,
        build: (a) => encodeServiceKey(a, op.service),
      };
    case 'create-destination':
    case 'update-destination': {
      const create = op.op === 'create-destination';
      return {
        command: create ? IpvsCommand.NEW_DEST : IpvsCommand.SET_DEST,
        name: `${create ? 'NEW_DEST' : 'SET_DEST'} ${destinationName(op.service, op.destination)}`,
        build: (a) => {
          encodeServiceKey(a, op.service);
          encodeDestination(a, op.destination, op.service.family);
        },
      };
    }
    case 'remove-destination':
      return {
        command: IpvsCommand.DEL_DEST,
        name: `DEL_DEST ${destinationName(op.service, op.destination)}`,
        build: (a) => {
          encodeServiceKey(a, op.service);
          encodeDestinationKey(a, op.destination, op.service.family);
        },
      };
  }
}
