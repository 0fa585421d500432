import type { AttributeEncoder } from '../attributes.js';
import { type ConnectionOptions, NetlinkConnection } from '../connection.js';
import { NetlinkError, type NetlinkErrorDetails } from '../errors.js';
import { type GenlFamily, resolveFamily } from '../genl/family.js';
import type { NetlinkMessage } from '../message.js';
import { NETLINK_GENERIC } from '../socket.js';
import {
  decodeConfigReply,
  decodeDestinationReply,
  decodeInfoReply,
  decodeServiceReply,
  describeService,
  encodeConfig,
  encodeDestination,
  encodeDestinationKey,
  encodeService,
  encodeServiceKey,
  ipvsPayload,
} from './codec.js';
import { Cmd, IPVS_GENL_NAME } from './constants.js';
import type {
  Destination,
  DestinationExtended,
  DestinationKey,
  IpvsConfig,
  IpvsInfo,
  Service,
  ServiceExtended,
  ServiceKey,
} from './types.js';

/** One change in a batch. */
export type IpvsOperation =
  | { op: 'create-service' | 'update-service'; service: Service }
  | { op: 'remove-service'; service: ServiceKey }
  | {
      op: 'create-destination' | 'update-destination';
      service: ServiceKey;
      destination: Destination;
    }
  | { op: 'remove-destination'; service: ServiceKey; destination: DestinationKey };

export const IPVS_UNAVAILABLE =
  'IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)';
export const IPVS_NEEDS_CAP =
  'IPVS needs CAP_NET_ADMIN: run as root or grant the NET_ADMIN capability';

/** Adds the operator-facing sentence for the two failures that are about the node, not the request. */
function ipvsError(details: NetlinkErrorDetails): NetlinkError {
  if (details.errno === NetlinkError.EPERM)
    return new NetlinkError({ ...details, hint: IPVS_NEEDS_CAP });
  return new NetlinkError(details);
}

/**
 * The IPVS client: one kept generic netlink socket, the family id resolved once and re-resolved
 * when the kernel says ENOENT (the module may have been reloaded under a new id).
 */
export class IpvsClient {
  private constructor(
    private readonly conn: NetlinkConnection,
    private family: GenlFamily,
  ) {}

  /** Opens a socket in the caller's network namespace and resolves the IPVS family. */
  static async open(options: ConnectionOptions = {}): Promise<IpvsClient> {
    const conn = NetlinkConnection.open(NETLINK_GENERIC, options, ipvsError);
    try {
      return new IpvsClient(conn, await IpvsClient.resolve(conn));
    } catch (err) {
      await conn.close();
      throw err;
    }
  }

  private static async resolve(conn: NetlinkConnection): Promise<GenlFamily> {
    try {
      return await resolveFamily(conn, IPVS_GENL_NAME);
    } catch (err) {
      if (err instanceof NetlinkError && err.is('ENOENT')) {
        throw new NetlinkError({
          errno: err.errno,
          operation: err.operation,
          hint: IPVS_UNAVAILABLE,
        });
      }
      throw err;
    }
  }

  get familyId(): number {
    return this.family.id;
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private send(
    command: number,
    name: string,
    build: ((a: AttributeEncoder) => void) | undefined,
    dump = false,
  ) {
    return this.conn.request({
      type: this.family.id,
      payload: ipvsPayload(command, build),
      dump,
      operation: `IPVS ${name}`,
    });
  }

  private async call(
    command: number,
    name: string,
    build?: (a: AttributeEncoder) => void,
    dump = false,
  ): Promise<NetlinkMessage[]> {
    try {
      return await this.send(command, name, build, dump);
    } catch (err) {
      if (!(err instanceof NetlinkError) || !err.is('ENOENT')) throw err;
      // ENOENT also means "no such destination" or "no such scheduler": retry only if the id moved.
      const fresh = await IpvsClient.resolve(this.conn);
      if (fresh.id === this.family.id) throw err;
      this.family = fresh;
      return this.send(command, name, build, dump);
    }
  }

  async info(): Promise<IpvsInfo> {
    const [reply] = await this.call(Cmd.GET_INFO, 'GET_INFO');
    if (!reply)
      throw new NetlinkError({ errno: NetlinkError.ENODATA, operation: 'IPVS GET_INFO: no reply' });
    return decodeInfoReply(reply.payload);
  }

  async config(): Promise<IpvsConfig> {
    const [reply] = await this.call(Cmd.GET_CONFIG, 'GET_CONFIG');
    if (!reply)
      throw new NetlinkError({
        errno: NetlinkError.ENODATA,
        operation: 'IPVS GET_CONFIG: no reply',
      });
    return decodeConfigReply(reply.payload);
  }

  /** Sets connection timeouts; fields left out (or 0) keep their current value. */
  async setConfig(config: Partial<IpvsConfig>): Promise<void> {
    await this.call(Cmd.SET_CONFIG, 'SET_CONFIG', (a) => encodeConfig(a, config));
  }

  /** Every virtual service, with stats. Dumps are not atomic snapshots: the kernel resumes by index. */
  async services(): Promise<ServiceExtended[]> {
    const replies = await this.call(Cmd.GET_SERVICE, 'GET_SERVICE (dump)', undefined, true);
    return replies.map((r) => decodeServiceReply(r.payload));
  }

  /** One service; throws ESRCH when the kernel has no such service. */
  async service(key: ServiceKey): Promise<ServiceExtended> {
    const [reply] = await this.call(Cmd.GET_SERVICE, `GET_SERVICE ${describeService(key)}`, (a) =>
      encodeServiceKey(a, key),
    );
    if (!reply)
      throw new NetlinkError({
        errno: NetlinkError.ESRCH,
        operation: `IPVS GET_SERVICE ${describeService(key)}`,
      });
    return decodeServiceReply(reply.payload);
  }

  async createService(svc: Service): Promise<void> {
    await this.call(Cmd.NEW_SERVICE, `NEW_SERVICE ${describeService(svc)}`, (a) =>
      encodeService(a, svc),
    );
  }

  async updateService(svc: Service): Promise<void> {
    await this.call(Cmd.SET_SERVICE, `SET_SERVICE ${describeService(svc)}`, (a) =>
      encodeService(a, svc),
    );
  }

  async removeService(key: ServiceKey): Promise<void> {
    await this.call(Cmd.DEL_SERVICE, `DEL_SERVICE ${describeService(key)}`, (a) =>
      encodeServiceKey(a, key),
    );
  }

  /** Destinations of a service; an empty list for a missing service (use service() to test existence). */
  async destinations(key: ServiceKey): Promise<DestinationExtended[]> {
    const replies = await this.call(
      Cmd.GET_DEST,
      `GET_DEST ${describeService(key)}`,
      (a) => encodeServiceKey(a, key),
      true,
    );
    return replies.map((r) => decodeDestinationReply(r.payload, key.family));
  }

  async createDestination(key: ServiceKey, dest: Destination): Promise<void> {
    await this.call(
      Cmd.NEW_DEST,
      `NEW_DEST ${describeService(key)} -> ${dest.address}:${dest.port}`,
      (a) => {
        encodeServiceKey(a, key);
        encodeDestination(a, dest, key.family);
      },
    );
  }

  async updateDestination(key: ServiceKey, dest: Destination): Promise<void> {
    await this.call(
      Cmd.SET_DEST,
      `SET_DEST ${describeService(key)} -> ${dest.address}:${dest.port}`,
      (a) => {
        encodeServiceKey(a, key);
        encodeDestination(a, dest, key.family);
      },
    );
  }

  async removeDestination(key: ServiceKey, dest: DestinationKey): Promise<void> {
    await this.call(
      Cmd.DEL_DEST,
      `DEL_DEST ${describeService(key)} -> ${dest.address}:${dest.port}`,
      (a) => {
        encodeServiceKey(a, key);
        encodeDestinationKey(a, dest, key.family);
      },
    );
  }

  /**
   * Applies many changes with few system calls (see NetlinkConnection.requestBatch). Resolves
   * with one entry per operation, undefined when it succeeded, else its error; later operations
   * run even when an earlier one failed. No family re-resolution here: a batch is all-or-report.
   */
  async batch(ops: IpvsOperation[]): Promise<Array<NetlinkError | undefined>> {
    return this.conn.requestBatch(ops.map((op) => this.batchRequest(op)));
  }

  private batchRequest(op: IpvsOperation) {
    const req = (command: number, name: string, build: (a: AttributeEncoder) => void) => ({
      type: this.family.id,
      payload: ipvsPayload(command, build),
      operation: `IPVS ${name}`,
    });
    switch (op.op) {
      case 'create-service':
        return req(Cmd.NEW_SERVICE, `NEW_SERVICE ${describeService(op.service)}`, (a) =>
          encodeService(a, op.service),
        );
      case 'update-service':
        return req(Cmd.SET_SERVICE, `SET_SERVICE ${describeService(op.service)}`, (a) =>
          encodeService(a, op.service),
        );
      case 'remove-service':
        return req(Cmd.DEL_SERVICE, `DEL_SERVICE ${describeService(op.service)}`, (a) =>
          encodeServiceKey(a, op.service),
        );
      case 'create-destination':
      case 'update-destination': {
        const cmd = op.op === 'create-destination' ? Cmd.NEW_DEST : Cmd.SET_DEST;
        return req(
          cmd,
          `${op.op === 'create-destination' ? 'NEW_DEST' : 'SET_DEST'} ${describeService(op.service)} -> ${op.destination.address}:${op.destination.port}`,
          (a) => {
            encodeServiceKey(a, op.service);
            encodeDestination(a, op.destination, op.service.family);
          },
        );
      }
      case 'remove-destination':
        return req(
          Cmd.DEL_DEST,
          `DEL_DEST ${describeService(op.service)} -> ${op.destination.address}:${op.destination.port}`,
          (a) => {
            encodeServiceKey(a, op.service);
            encodeDestinationKey(a, op.destination, op.service.family);
          },
        );
    }
  }

  /** Removes every virtual service of this network namespace. */
  async flush(): Promise<void> {
    await this.call(Cmd.FLUSH, 'FLUSH');
  }

  /** Zeroes the counters of one service, or of all when no key is given. */
  async zero(key?: ServiceKey): Promise<void> {
    await this.call(
      Cmd.ZERO,
      key ? `ZERO ${describeService(key)}` : 'ZERO',
      key ? (a) => encodeServiceKey(a, key) : undefined,
    );
  }
}
