import type { AddressFamily } from '../address.js';
import { canonicalAddress } from '../address.js';
import { type ConnectionOptions, NetlinkConnection } from '../connection.js';
import { NetlinkError, type NetlinkErrorDetails } from '../errors.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../message.js';
import { NETLINK_ROUTE } from '../socket.js';
import {
  type RouteSpec,
  completeRoute,
  decodeAddress,
  decodeLink,
  decodeRoute,
  encodeAddressDump,
  encodeAddressRequest,
  encodeLinkRequest,
  encodeRouteDump,
  encodeRouteLookup,
  encodeRouteRequest,
} from './codec.js';
import { IFF_UP, RTM } from './constants.js';
import type { InterfaceAddress, Link, Route, Scope } from './types.js';

function rtnlError(details: NetlinkErrorDetails): NetlinkError {
  if (details.errno === NetlinkError.EPERM) {
    return new NetlinkError({
      ...details,
      hint: `${details.operation}: needs CAP_NET_ADMIN (run as root)`,
    });
  }
  return new NetlinkError(details);
}

/** The rtnetlink subset a VIP needs: dummy links, addresses and routes, and reading them back. */
export class RouteClient {
  private constructor(private readonly conn: NetlinkConnection) {}

  static open(options: ConnectionOptions = {}): RouteClient {
    return new RouteClient(NetlinkConnection.open(NETLINK_ROUTE, options, rtnlError));
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  async links(): Promise<Link[]> {
    const replies = await this.conn.request({
      type: RTM.GETLINK,
      payload: encodeLinkRequest({}),
      dump: true,
      operation: 'RTM_GETLINK (dump)',
    });
    return replies.filter((m) => m.type === RTM.NEWLINK).map((m) => decodeLink(m.payload));
  }

  /** The link with this name, or undefined when there is none. */
  async link(name: string): Promise<Link | undefined> {
    try {
      const [reply] = await this.conn.request({
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
    await this.conn.request({
      type: RTM.NEWLINK,
      flags: NLM_F_CREATE | NLM_F_EXCL,
      payload: encodeLinkRequest({ name, kind: 'dummy' }),
      operation: `RTM_NEWLINK dummy ${name}`,
    });
  }

  async setLinkUp(index: number, up = true): Promise<void> {
    await this.conn.request({
      type: RTM.NEWLINK,
      payload: encodeLinkRequest({ index, flags: up ? IFF_UP : 0, change: IFF_UP }),
      operation: `RTM_NEWLINK set link ${index} ${up ? 'up' : 'down'}`,
    });
  }

  async deleteLink(name: string): Promise<void> {
    await this.conn.request({
      type: RTM.DELLINK,
      payload: encodeLinkRequest({ name }),
      operation: `RTM_DELLINK ${name}`,
    });
  }

  async addresses(family?: AddressFamily): Promise<InterfaceAddress[]> {
    const replies = await this.conn.request({
      type: RTM.GETADDR,
      payload: encodeAddressDump(family),
      dump: true,
      operation: 'RTM_GETADDR (dump)',
    });
    return replies
      .filter((m) => m.type === RTM.NEWADDR)
      .map((m) => decodeAddress(m.payload))
      .filter((a): a is InterfaceAddress => a !== undefined);
  }

  /** Adds an address to a link (EEXIST when it is already there). */
  async addAddress(
    index: number,
    address: string,
    prefixLength: number,
    scope: Scope = 'universe',
  ): Promise<void> {
    await this.conn.request({
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

  async deleteAddress(index: number, address: string, prefixLength: number): Promise<void> {
    await this.conn.request({
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
    const replies = await this.conn.request({
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

  /** The route the kernel would use to reach `destination`, with its preferred source. */
  async routeTo(destination: string): Promise<Route> {
    const [reply] = await this.conn.request({
      type: RTM.GETROUTE,
      payload: encodeRouteLookup(destination),
      operation: `RTM_GETROUTE ${destination}`,
    });
    const route = reply ? decodeRoute(reply.payload) : undefined;
    if (!route)
      throw new NetlinkError({
        errno: NetlinkError.ENODATA,
        operation: `RTM_GETROUTE ${destination}: no route in the reply`,
      });
    return route;
  }

  /** Adds a route (EEXIST when an equal one exists); `replace` overwrites it instead. */
  async addRoute(spec: RouteSpec, replace = false): Promise<void> {
    const route = completeRoute(spec);
    await this.conn.request({
      type: RTM.NEWROUTE,
      flags: NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL),
      payload: encodeRouteRequest(route),
      operation: `RTM_NEWROUTE ${route.destination}/${route.prefixLength}`,
    });
  }

  async deleteRoute(spec: RouteSpec): Promise<void> {
    const route = completeRoute(spec);
    await this.conn.request({
      type: RTM.DELROUTE,
      payload: encodeRouteRequest(route),
      operation: `RTM_DELROUTE ${route.destination}/${route.prefixLength}`,
    });
  }
}
