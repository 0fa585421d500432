import type { AddressFamily } from '../address.js';
import { canonicalAddress } from '../address.js';
import { type ConnectionOptions, NetlinkConnection, type NetlinkRequest } from '../connection.js';
import { NetlinkError, errnoValue } from '../errors.js';
import type { NetlinkMessage } from '../message.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../message.js';
import { NETLINK_ROUTE } from '../socket.js';
import {
  type RouteSpec,
  completeRoute,
  decodeInterfaceAddress,
  decodeLink,
  decodeRoute,
  encodeAddressDump,
  encodeAddressRequest,
  encodeLinkRequest,
  encodeRouteDump,
  encodeRouteLookup,
  encodeRouteRequest,
  isComputedRoute,
} from './codec.js';
import { IFF_UP, RTM } from './constants.js';
import type { InterfaceAddress, NetworkLink, Route, RouteScope } from './types.js';

/** Adds the operator-facing sentence to a missing capability. */
function withRtnlHint<E>(err: E): E | NetlinkError {
  return err instanceof NetlinkError && err.is('EPERM')
    ? err.withHint(`${err.operation}: needs CAP_NET_ADMIN (run as root)`)
    : err;
}

/** The rtnetlink subset a VIP needs: dummy links, addresses and routes, and reading them back. */
export class RouteClient {
  private constructor(private readonly conn: NetlinkConnection) {}

  /** Opens an rtnetlink socket in the caller's network namespace. */
  static open(options: ConnectionOptions = {}): RouteClient {
    return RouteClient.connect(NetlinkConnection.open(NETLINK_ROUTE, options));
  }

  /**
   * A client over a connection of your own (an rtnetlink one; in tests, a scripted one from
   * `@kha/netlink-ffi/testing`). The client owns it from here on: close() closes it.
   */
  static connect(conn: NetlinkConnection): RouteClient {
    return new RouteClient(conn);
  }

  /** Closes the socket once the request in flight, if any, has finished. */
  close(): Promise<void> {
    return this.conn.close();
  }

  private async request(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    try {
      return await this.conn.request(req);
    } catch (err) {
      throw withRtnlHint(err);
    }
  }

  /** Every link of this network namespace. */
  async links(): Promise<NetworkLink[]> {
    const replies = await this.request({
      type: RTM.GETLINK,
      payload: encodeLinkRequest({}),
      dump: true,
      operation: 'RTM_GETLINK (dump)',
    });
    return replies.filter((m) => m.type === RTM.NEWLINK).map((m) => decodeLink(m.payload));
  }

  /** The link with this name, or undefined when there is none. */
  async link(name: string): Promise<NetworkLink | undefined> {
    try {
      const [reply] = await this.request({
        type: RTM.GETLINK,
        payload: encodeLinkRequest({ name }),
        operation: `RTM_GETLINK ${name}`,
      });
      return reply ? decodeLink(reply.payload) : undefined;
    } catch (err) {
      if (err instanceof NetlinkError && err.is('ENODEV')) return undefined;
      throw err;
    }
  }

  /** Creates a dummy link (EEXIST when the name is taken). */
  async createDummyLink(name: string): Promise<void> {
    await this.request({
      type: RTM.NEWLINK,
      flags: NLM_F_CREATE | NLM_F_EXCL,
      payload: encodeLinkRequest({ name, kind: 'dummy' }),
      operation: `RTM_NEWLINK dummy ${name}`,
    });
  }

  /** Sets a link administratively up (or down). */
  async setLinkUp(index: number, up = true): Promise<void> {
    await this.request({
      type: RTM.NEWLINK,
      payload: encodeLinkRequest({ index, flags: up ? IFF_UP : 0, change: IFF_UP }),
      operation: `RTM_NEWLINK set link ${index} ${up ? 'up' : 'down'}`,
    });
  }

  /** Deletes a link by name (ENODEV when there is none). */
  async deleteLink(name: string): Promise<void> {
    await this.request({
      type: RTM.DELLINK,
      payload: encodeLinkRequest({ name }),
      operation: `RTM_DELLINK ${name}`,
    });
  }

  /** Every IPv4/IPv6 address of every link, or of one family. */
  async addresses(family?: AddressFamily): Promise<InterfaceAddress[]> {
    const replies = await this.request({
      type: RTM.GETADDR,
      payload: encodeAddressDump(family),
      dump: true,
      operation: 'RTM_GETADDR (dump)',
    });
    return replies
      .filter((m) => m.type === RTM.NEWADDR)
      .map((m) => decodeInterfaceAddress(m.payload))
      .filter((a): a is InterfaceAddress => a !== undefined);
  }

  /** Adds an address to a link (EEXIST when it is already there). */
  async addAddress(
    index: number,
    address: string,
    prefixLength: number,
    scope: RouteScope = 'universe',
  ): Promise<void> {
    await this.request({
      type: RTM.NEWADDR,
      flags: NLM_F_CREATE | NLM_F_EXCL,
      payload: encodeAddressRequest({
        index,
        address: canonicalAddress(address),
        prefixLength,
        scope,
      }),
      operation: `RTM_NEWADDR ${address}/${prefixLength} on link ${index}`,
    });
  }

  /** Removes an address from a link (EADDRNOTAVAIL when it is not there). */
  async deleteAddress(index: number, address: string, prefixLength: number): Promise<void> {
    await this.request({
      type: RTM.DELADDR,
      payload: encodeAddressRequest({
        index,
        address: canonicalAddress(address),
        prefixLength,
        scope: 'universe',
      }),
      operation: `RTM_DELADDR ${address}/${prefixLength} on link ${index}`,
    });
  }

  /** Routes of every table (filter by `table` to see the main one). */
  async routes(family?: AddressFamily): Promise<Route[]> {
    const replies = await this.request({
      type: RTM.GETROUTE,
      payload: encodeRouteDump(family),
      dump: true,
      operation: 'RTM_GETROUTE (dump)',
    });
    return replies
      .filter((m) => m.type === RTM.NEWROUTE)
      .map((m) => decodeRoute(m.payload))
      .filter((r): r is Route => r !== undefined);
  }

  /**
   * The route the kernel would use to reach `destination`, computed for that one address with
   * its gateway, output link and preferred source (`ip route get`). One request, whatever the
   * size of the routing table. Throws ENETUNREACH when nothing covers it.
   */
  async routeTo(destination: string): Promise<Route> {
    const operation = `RTM_GETROUTE ${destination}`;
    const [reply] = await this.request({
      type: RTM.GETROUTE,
      payload: encodeRouteLookup(destination),
      operation,
    });
    const route = reply ? decodeRoute(reply.payload) : undefined;
    if (!route) throw noRouteInReply(operation);
    return route;
  }

  /**
   * The routing-table entry the kernel matches for `destination`, with its own prefix, table
   * and settings (`ip route get fibmatch`): for a host route that exists, that route itself.
   * Undefined when no route covers the address. One request, whatever the size of the table.
   */
  async matchingRoute(destination: string): Promise<Route | undefined> {
    const operation = `RTM_GETROUTE fibmatch ${destination}`;
    let replies: NetlinkMessage[];
    try {
      replies = await this.request({
        type: RTM.GETROUTE,
        payload: encodeRouteLookup(destination, true),
        operation,
      });
    } catch (err) {
      if (err instanceof NetlinkError && err.is('ENETUNREACH', 'EHOSTUNREACH')) return undefined;
      throw err;
    }
    const [reply] = replies;
    const route = reply ? decodeRoute(reply.payload) : undefined;
    if (!reply || !route) throw noRouteInReply(operation);
    // A kernel without fibmatch answers with the computed route, which is no table entry.
    if (isComputedRoute(reply.payload))
      throw new NetlinkError({
        errno: errnoValue('EOPNOTSUPP'),
        operation: `${operation}: this kernel does not answer with table entries (Linux >= 4.13)`,
      });
    return route;
  }

  /** Adds a route (EEXIST when an equal one exists); `replace` overwrites it instead. */
  async addRoute(spec: RouteSpec, replace = false): Promise<void> {
    const route = completeRoute(spec);
    await this.request({
      type: RTM.NEWROUTE,
      flags: NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL),
      payload: encodeRouteRequest(route),
      operation: `RTM_NEWROUTE ${route.destination}/${route.prefixLength}`,
    });
  }

  /** Deletes a route (ESRCH when there is no such route). */
  async deleteRoute(spec: RouteSpec): Promise<void> {
    const route = completeRoute(spec);
    await this.request({
      type: RTM.DELROUTE,
      payload: encodeRouteRequest(route),
      operation: `RTM_DELROUTE ${route.destination}/${route.prefixLength}`,
    });
  }
}

function noRouteInReply(operation: string): NetlinkError {
  return new NetlinkError({
    errno: errnoValue('ENODATA'),
    operation: `${operation}: no route in the reply`,
  });
}
