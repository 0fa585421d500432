import {
  type ConnectionOptions,
  type MessageDecoder,
  NetlinkConnection,
  type NetlinkRequest,
} from '../connection.js';
import { NetlinkError, errnoValue } from '../errors.js';
import { type GenlFamily, resolveFamily } from '../genl/family.js';
import { NLMSG_HDRLEN, type NetlinkMessage } from '../message.js';
import { NETLINK_GENERIC } from '../socket.js';
import {
  decodeConfigReply,
  decodeInfoReply,
  describeService,
  encodeConfig,
  encodeServiceKey,
  ipvsPayload,
} from './codec.js';
import { IPVS_GENL_NAME, IpvsCommand } from './constants.js';
import { decodeDestinationAt, decodeServiceAt, decodeServiceReply } from './decode.js';
import { type IpvsCall, type IpvsOperation, callFor, callName } from './operations.js';
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

/** A GET_SERVICE dump's reply, read in place. */
const serviceMessage: MessageDecoder<ServiceExtended> = (buf, start, end) =>
  decodeServiceAt(buf, start + NLMSG_HDRLEN, end);

/** The message of the error thrown when the kernel has no IPVS family (module not loaded). */
export const IPVS_UNAVAILABLE =
  'IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)';
/** The message of the error thrown when the process lacks CAP_NET_ADMIN. */
export const IPVS_NEEDS_CAP =
  'IPVS needs CAP_NET_ADMIN: run as root or grant the NET_ADMIN capability';

/** Adds the operator-facing sentence to the one failure that is about the node, not the request. */
function withIpvsHint<E>(err: E): E | NetlinkError {
  return err instanceof NetlinkError && err.is('EPERM') ? err.withHint(IPVS_NEEDS_CAP) : err;
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
  static open(options: ConnectionOptions = {}): Promise<IpvsClient> {
    return IpvsClient.connect(NetlinkConnection.open(NETLINK_GENERIC, options));
  }

  /**
   * A client over a connection of your own (a generic netlink one; in tests, a scripted one from
   * `@kha/netlink-ffi/testing`). The client owns it from here on: close() closes it, and so does
   * a failure to resolve the IPVS family.
   */
  static async connect(conn: NetlinkConnection): Promise<IpvsClient> {
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
      if (err instanceof NetlinkError && err.is('ENOENT')) throw err.withHint(IPVS_UNAVAILABLE);
      throw withIpvsHint(err);
    }
  }

  /** The generic netlink family id the kernel gave IPVS. */
  get familyId(): number {
    return this.family.id;
  }

  /** Closes the socket once the request in flight, if any, has finished. */
  close(): Promise<void> {
    return this.conn.close();
  }

  private requestFor(call: IpvsCall): NetlinkRequest {
    return {
      type: this.family.id,
      payload: ipvsPayload(call.command, call.build),
      dump: call.dump ?? false,
      operation:
        typeof call.name === 'string' ? `IPVS ${call.name}` : () => `IPVS ${callName(call)}`,
    };
  }

  /** Its reply messages. */
  private call(call: IpvsCall): Promise<NetlinkMessage[]> {
    return this.retrying(() => this.conn.request(this.requestFor(call)));
  }

  /** Its replies, each read in place by `decode`. */
  private callDecoded<T>(call: IpvsCall, decode: MessageDecoder<T>): Promise<T[]> {
    return this.retrying(() => this.conn.requestDecoded(this.requestFor(call), decode));
  }

  /** Runs `send`, and once more if ENOENT came from a family id that moved. */
  private async retrying<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof NetlinkError) || !err.is('ENOENT')) throw withIpvsHint(err);
      // ENOENT also means "no such destination" or "no such scheduler": retry only if the id moved.
      const fresh = await IpvsClient.resolve(this.conn);
      if (fresh.id === this.family.id) throw err;
      this.family = fresh;
      try {
        return await send();
      } catch (again) {
        throw withIpvsHint(again);
      }
    }
  }

  /** The one reply a do-request must have; `errno` names its absence. */
  private async single(call: IpvsCall, errno: 'ENODATA' | 'ESRCH'): Promise<NetlinkMessage> {
    const [reply] = await this.call(call);
    if (!reply)
      throw new NetlinkError({
        errno: errnoValue(errno),
        operation: `IPVS ${callName(call)}: no reply`,
      });
    return reply;
  }

  /** The kernel's IPVS version and connection table size. */
  async info(): Promise<IpvsInfo> {
    const reply = await this.single({ command: IpvsCommand.GET_INFO, name: 'GET_INFO' }, 'ENODATA');
    return decodeInfoReply(reply.payload);
  }

  /** Connection timeouts. */
  async config(): Promise<IpvsConfig> {
    const reply = await this.single(
      { command: IpvsCommand.GET_CONFIG, name: 'GET_CONFIG' },
      'ENODATA',
    );
    return decodeConfigReply(reply.payload);
  }

  /** Sets connection timeouts; fields left out (or 0) keep their current value. */
  async setConfig(config: Partial<IpvsConfig>): Promise<void> {
    await this.call({
      command: IpvsCommand.SET_CONFIG,
      name: 'SET_CONFIG',
      build: (a) => encodeConfig(a, config),
    });
  }

  /** Every virtual service, with stats. Dumps are not atomic snapshots: the kernel resumes by index. */
  services(): Promise<ServiceExtended[]> {
    return this.callDecoded(
      { command: IpvsCommand.GET_SERVICE, name: 'GET_SERVICE (dump)', dump: true },
      serviceMessage,
    );
  }

  /** One service; throws ESRCH when the kernel has no such service. */
  async service(key: ServiceKey): Promise<ServiceExtended> {
    const reply = await this.single(
      {
        command: IpvsCommand.GET_SERVICE,
        name: `GET_SERVICE ${describeService(key)}`,
        build: (a) => encodeServiceKey(a, key),
      },
      'ESRCH',
    );
    return decodeServiceReply(reply.payload);
  }

  /** Creates a service (EEXIST when it exists). */
  async createService(service: Service): Promise<void> {
    await this.call(callFor({ op: 'create-service', service }));
  }

  /** Changes a service's settings (ESRCH when it does not exist). */
  async updateService(service: Service): Promise<void> {
    await this.call(callFor({ op: 'update-service', service }));
  }

  /** Removes a service and its destinations (ESRCH when it does not exist). */
  async removeService(service: ServiceKey): Promise<void> {
    await this.call(callFor({ op: 'remove-service', service }));
  }

  /** Destinations of a service; an empty list for a missing service (use service() to test existence). */
  destinations(key: ServiceKey): Promise<DestinationExtended[]> {
    const family = key.family;
    return this.callDecoded(
      {
        command: IpvsCommand.GET_DEST,
        name: () => `GET_DEST ${describeService(key)}`,
        build: (a) => encodeServiceKey(a, key),
        dump: true,
      },
      (buf, start, end) => decodeDestinationAt(buf, start + NLMSG_HDRLEN, end, family),
    );
  }

  /** Adds a destination to a service (EEXIST when it is there already). */
  async createDestination(service: ServiceKey, destination: Destination): Promise<void> {
    await this.call(callFor({ op: 'create-destination', service, destination }));
  }

  /** Changes a destination's weight, method or thresholds (ENOENT when it is not there). */
  async updateDestination(service: ServiceKey, destination: Destination): Promise<void> {
    await this.call(callFor({ op: 'update-destination', service, destination }));
  }

  /** Removes a destination (ENOENT when it is not there). */
  async removeDestination(service: ServiceKey, destination: DestinationKey): Promise<void> {
    await this.call(callFor({ op: 'remove-destination', service, destination }));
  }

  /**
   * Applies many changes with few system calls (see NetlinkConnection.requestBatch). Resolves
   * with one entry per operation, undefined when it succeeded, else its error; later operations
   * run even when an earlier one failed. No family re-resolution here: a batch is all-or-report.
   */
  async batch(ops: IpvsOperation[]): Promise<Array<NetlinkError | undefined>> {
    const results = await this.conn.requestBatch(ops.map((op) => this.requestFor(callFor(op))));
    return results.map((err) => err && withIpvsHint(err));
  }

  /** Removes every virtual service of this network namespace. */
  async flush(): Promise<void> {
    await this.call({ command: IpvsCommand.FLUSH, name: 'FLUSH' });
  }

  /** Zeroes the counters of one service, or of all when no key is given. */
  async zero(key?: ServiceKey): Promise<void> {
    await this.call({
      command: IpvsCommand.ZERO,
      name: key ? `ZERO ${describeService(key)}` : 'ZERO',
      build: key ? (a) => encodeServiceKey(a, key) : undefined,
    });
  }
}
