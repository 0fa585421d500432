// Pure encoding and decoding of the rtnetlink messages the VIP needs: links, addresses, routes.
import { AttributeEncoder, Attributes } from '../attributes.js';
import {
  type AddressFamily,
  addressFamily,
  addressToBytes,
  bytesToAddress,
  familyFromNumber,
  familyNumber,
} from '../address.js';
import { NetlinkDecodeError } from '../errors.js';
import { namesByNumber } from '../names.js';
import {
  IFA,
  IFADDRMSG_LEN,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA,
  IFLA_INFO,
  RTA,
  RTMSG_LEN,
  RTM_F_CLONED,
  RTM_F_FIB_MATCH,
  RTN,
  RTPROT,
  RT_SCOPE,
  RT_TABLE_MAIN,
} from './constants.js';
import type { InterfaceAddress, NetworkLink, Route, RouteType, RouteScope } from './types.js';

const scopeByNumber = namesByNumber<RouteScope>(RT_SCOPE);
const typeByNumber = namesByNumber<RouteType>(RTN);

const scopeName = (n: number): RouteScope | number => scopeByNumber.get(n) ?? n;
const scopeNumber = (s: RouteScope | number): number => (typeof s === 'number' ? s : RT_SCOPE[s]);

function header(length: number, fill: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(length);
  fill(b);
  return b;
}

function checkedFamily(address: string): AddressFamily {
  const family = addressFamily(address);
  if (!family) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  return family;
}

// --- links ---------------------------------------------------------------------------------

/** The fields of a link request; what is left out is not sent. */
export interface LinkRequest {
  /** Interface index (0: look up by name). */
  index?: number;
  name?: string;
  /** IFLA_INFO_KIND of a link to create, e.g. "dummy". */
  kind?: string;
  /** IFF_* bits to set ... */
  flags?: number;
  /** ... among these (ifi_change). */
  change?: number;
}

/** struct ifinfomsg + attributes, for NEWLINK / DELLINK / SETLINK / GETLINK. */
export function encodeLinkRequest(req: LinkRequest): Buffer {
  const hdr = header(IFINFOMSG_LEN, (b) => {
    b.writeUInt8(0, 0); // AF_UNSPEC
    b.writeInt32LE(req.index ?? 0, 4);
    b.writeUInt32LE(req.flags ?? 0, 8);
    b.writeUInt32LE(req.change ?? 0, 12);
  });
  const attrs = new AttributeEncoder();
  if (req.name !== undefined) attrs.string(IFLA.IFNAME, req.name);
  if (req.kind !== undefined)
    attrs.nested(IFLA.LINKINFO, (li) => li.string(IFLA_INFO.KIND, req.kind as string));
  return Buffer.concat([hdr, attrs.encode()]);
}

/** One RTM_NEWLINK message. */
export function decodeLink(payload: Buffer): NetworkLink {
  if (payload.length < IFINFOMSG_LEN)
    throw new NetlinkDecodeError(`link: ${payload.length} bytes, too short`);
  const attrs = Attributes.parse(payload.subarray(IFINFOMSG_LEN), 'link');
  const flags = payload.readUInt32LE(8);
  return {
    index: payload.readInt32LE(4),
    name: attrs.optString(IFLA.IFNAME) ?? '',
    flags,
    up: (flags & IFF_UP) !== 0,
    mtu: attrs.optU32(IFLA.MTU) ?? 0,
    kind: attrs.optNested(IFLA.LINKINFO, 'linkinfo')?.optString(IFLA_INFO.KIND),
  };
}

// --- addresses -----------------------------------------------------------------------------

/** struct ifaddrmsg + IFA_LOCAL/IFA_ADDRESS (+ label), for NEWADDR / DELADDR. */
export function encodeAddressRequest(
  addr: Omit<InterfaceAddress, 'family'> & { family?: AddressFamily },
): Buffer {
  const family = addr.family ?? checkedFamily(addr.address);
  const bytes = addressToBytes(addr.address);
  const hdr = header(IFADDRMSG_LEN, (b) => {
    b.writeUInt8(familyNumber(family), 0);
    b.writeUInt8(addr.prefixLength, 1);
    b.writeUInt8(0, 2);
    b.writeUInt8(scopeNumber(addr.scope), 3);
    b.writeUInt32LE(addr.index, 4);
  });
  const attrs = new AttributeEncoder().bytes(IFA.LOCAL, bytes).bytes(IFA.ADDRESS, bytes);
  if (addr.label !== undefined) attrs.string(IFA.LABEL, addr.label);
  return Buffer.concat([hdr, attrs.encode()]);
}

/** GETADDR dump request for one family (AF_UNSPEC when omitted). */
export function encodeAddressDump(family?: AddressFamily): Buffer {
  return header(IFADDRMSG_LEN, (b) => b.writeUInt8(family ? familyNumber(family) : 0, 0));
}

/** One RTM_NEWADDR message; undefined for a family other than IPv4/IPv6. */
export function decodeInterfaceAddress(payload: Buffer): InterfaceAddress | undefined {
  if (payload.length < IFADDRMSG_LEN)
    throw new NetlinkDecodeError(`address: ${payload.length} bytes, too short`);
  const family = familyFromNumber(payload.readUInt8(0));
  if (!family) return undefined; // not an IP address (e.g. a bridge's)
  const attrs = Attributes.parse(payload.subarray(IFADDRMSG_LEN), 'address');
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const raw = attrs.optBytes(IFA.LOCAL) ?? attrs.bytes(IFA.ADDRESS);
  if (raw.length < (family === 'inet' ? 4 : 16))
    throw new NetlinkDecodeError('address: short address attribute');
  return {
    family,
    prefixLength: payload.readUInt8(1),
    scope: scopeName(payload.readUInt8(3)),
    index: payload.readUInt32LE(4),
    address: bytesToAddress(raw, family),
    label: attrs.optString(IFA.LABEL),
  };
}

// --- routes --------------------------------------------------------------------------------

/** A route to add or delete: destination and prefix length, the rest defaulted by completeRoute. */
export type RouteSpec = Pick<Route, 'destination' | 'prefixLength'> & Partial<Route>;

/** Fills the defaults `ip route add` would use: main table, static protocol, unicast. */
export function completeRoute(spec: RouteSpec): Route {
  const family = spec.family ?? checkedFamily(spec.destination);
  return {
    family,
    destination: spec.destination,
    prefixLength: spec.prefixLength,
    gateway: spec.gateway,
    outputIndex: spec.outputIndex,
    preferredSource: spec.preferredSource,
    table: spec.table ?? RT_TABLE_MAIN,
    protocol: spec.protocol ?? RTPROT.static,
    scope: spec.scope ?? (spec.gateway ? 'universe' : 'link'),
    type: spec.type ?? 'unicast',
    priority: spec.priority,
  };
}

/** struct rtmsg + attributes, for NEWROUTE / DELROUTE. */
export function encodeRouteRequest(route: Route): Buffer {
  const hdr = header(RTMSG_LEN, (b) => {
    b.writeUInt8(familyNumber(route.family), 0);
    b.writeUInt8(route.prefixLength, 1);
    b.writeUInt8(route.table < 256 ? route.table : 252 /* RT_TABLE_COMPAT */, 4);
    b.writeUInt8(route.protocol, 5);
    b.writeUInt8(scopeNumber(route.scope), 6);
    b.writeUInt8(typeof route.type === 'number' ? route.type : RTN[route.type], 7);
  });
  const attrs = new AttributeEncoder();
  attrs.bytes(RTA.DST, addressToBytes(route.destination));
  if (route.table >= 256) attrs.u32(RTA.TABLE, route.table);
  if (route.gateway !== undefined) attrs.bytes(RTA.GATEWAY, addressToBytes(route.gateway));
  if (route.outputIndex !== undefined) attrs.u32(RTA.OIF, route.outputIndex);
  if (route.preferredSource !== undefined)
    attrs.bytes(RTA.PREFSRC, addressToBytes(route.preferredSource));
  if (route.priority !== undefined) attrs.u32(RTA.PRIORITY, route.priority);
  return Buffer.concat([hdr, attrs.encode()]);
}

/** GETROUTE dump request for one family (AF_UNSPEC when omitted). */
export function encodeRouteDump(family?: AddressFamily): Buffer {
  return header(RTMSG_LEN, (b) => b.writeUInt8(family ? familyNumber(family) : 0, 0));
}

/** One RTM_NEWROUTE message; undefined for a family other than IPv4/IPv6. */
export function decodeRoute(payload: Buffer): Route | undefined {
  if (payload.length < RTMSG_LEN)
    throw new NetlinkDecodeError(`route: ${payload.length} bytes, too short`);
  const family = familyFromNumber(payload.readUInt8(0));
  if (!family) return undefined;
  const attrs = Attributes.parse(payload.subarray(RTMSG_LEN), 'route');
  const addr = (type: number): string | undefined => {
    const raw = attrs.optBytes(type);
    if (raw === undefined) return undefined;
    if (raw.length < (family === 'inet' ? 4 : 16))
      throw new NetlinkDecodeError(`route: short address in attribute ${type}`);
    return bytesToAddress(raw, family);
  };
  const typeNumber = payload.readUInt8(7);
  return {
    family,
    destination: addr(RTA.DST) ?? (family === 'inet' ? '0.0.0.0' : '::'),
    prefixLength: payload.readUInt8(1),
    gateway: addr(RTA.GATEWAY),
    outputIndex: attrs.optU32(RTA.OIF),
    preferredSource: addr(RTA.PREFSRC),
    table: attrs.optU32(RTA.TABLE) ?? payload.readUInt8(4),
    protocol: payload.readUInt8(5),
    scope: scopeName(payload.readUInt8(6)),
    type: typeByNumber.get(typeNumber) ?? typeNumber,
    priority: attrs.optU32(RTA.PRIORITY),
  };
}

/**
 * RTM_GETROUTE for one destination. By default the answer is the route the kernel would use to
 * reach it, computed for that address (`ip route get`); with `tableEntry` it is the routing-table
 * entry that matched, with its own prefix and table (`ip route get fibmatch`, Linux >= 4.13).
 */
export function encodeRouteLookup(destination: string, tableEntry = false): Buffer {
  const family = checkedFamily(destination);
  const bytes = addressToBytes(destination);
  const hdr = header(RTMSG_LEN, (b) => {
    b.writeUInt8(familyNumber(family), 0);
    b.writeUInt8(bytes.length * 8, 1);
    b.writeUInt32LE(tableEntry ? RTM_F_FIB_MATCH : 0, 8);
  });
  return Buffer.concat([hdr, new AttributeEncoder().bytes(RTA.DST, bytes).encode()]);
}

/** True for a lookup answer computed for one address (RTM_F_CLONED) rather than a table entry. */
export function isComputedRoute(payload: Buffer): boolean {
  if (payload.length < RTMSG_LEN)
    throw new NetlinkDecodeError(`route: ${payload.length} bytes, too short`);
  return (payload.readUInt32LE(8) & RTM_F_CLONED) !== 0;
}
