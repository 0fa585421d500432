// The IPVS replies a listing reads by the thousand (GET_SERVICE and GET_DEST dumps), decoded
// where they lie, one pass per nest: a switch notes where the last attribute of each type is
// (the last copy wins, as with nla_parse), then each value is read from the bytes with the size
// checks and error texts of Attributes. No object, array or Buffer per nest or attribute: a
// listing runs once, before the JIT has warmed up, so every allocation per attribute is paid in
// full, thousands of times (figures in bench/README.md, ipvs list).
import { type AddressFamily, addressAt, familyFromNumber, hostPrefixLength } from '../address.js';
import {
  attributeType,
  missingAttribute,
  nextAttribute,
  payloadLength,
  payloadOf,
  stringOf,
  unsignedOf,
} from '../attribute-walk.js';
import { NLA_HDRLEN } from '../attributes.js';
import { be16, be32, le16 } from '../bytes.js';
import { NetlinkDecodeError } from '../errors.js';
import { GENL_HDRLEN } from '../genl/header.js';
import { namesByNumber } from '../names.js';
import {
  FWD_MASK,
  ForwardMethodCode,
  IPPROTO,
  IpvsAttr,
  IpvsDestAttr,
  IpvsServiceAttr,
  IpvsStatsAttr,
  ServiceFlag,
  TunnelTypeCode,
} from './constants.js';
import {
  type DestinationExtended,
  type ForwardMethod,
  type IpvsStats,
  type ServiceExtended,
  type TransportProtocol,
  type TunnelKind,
  ZERO_STATS,
} from './types.js';

const protocolByNumber = namesByNumber<TransportProtocol>(IPPROTO);
const forwardByNumber = namesByNumber<ForwardMethod>(ForwardMethodCode);
const tunnelByNumber = namesByNumber<TunnelKind>(TunnelTypeCode);

/** The offset of an attribute that is not there. */
const ABSENT = -1;

// The value of the attribute whose header is at `at`, after checking its size.
const readU8 = (buf: Buffer, at: number, what: string): number => buf[payloadOf(buf, at, 1, what)]!;
const readU16 = (buf: Buffer, at: number, what: string): number =>
  le16(buf, payloadOf(buf, at, 2, what));
const readBe16 = (buf: Buffer, at: number, what: string): number =>
  be16(buf, payloadOf(buf, at, 2, what));
const readU32 = (buf: Buffer, at: number, what: string): number => unsignedOf(buf, at, 4, what);
const readBe32 = (buf: Buffer, at: number, what: string): number =>
  be32(buf, payloadOf(buf, at, 4, what));

/** The end of the nest whose header is at `at`. */
const nestEnd = (buf: Buffer, at: number): number => at + le16(buf, at);

/**
 * Counters from the STATS64 nest at `at` (all u64) or, when `wide` is false, the STATS nest
 * (bytes u64, the rest u32); all zero when `at` is ABSENT.
 */
function decodeStats(buf: Buffer, at: number, wide: boolean): IpvsStats {
  const stats: IpvsStats = { ...ZERO_STATS };
  if (at === ABSENT) return stats;
  const what = wide ? 'stats64' : 'stats';
  const size = wide ? 8 : 4;
  const end = nestEnd(buf, at);
  for (let a = at + NLA_HDRLEN; a < end;) {
    const next = nextAttribute(buf, a, end, what);
    switch (attributeType(buf, a)) {
      case IpvsStatsAttr.CONNS:
        stats.conns = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.INPKTS:
        stats.inPackets = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.OUTPKTS:
        stats.outPackets = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.INBYTES:
        stats.inBytes = unsignedOf(buf, a, 8, what);
        break;
      case IpvsStatsAttr.OUTBYTES:
        stats.outBytes = unsignedOf(buf, a, 8, what);
        break;
      case IpvsStatsAttr.CPS:
        stats.cps = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.INPPS:
        stats.inPps = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.OUTPPS:
        stats.outPps = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.INBPS:
        stats.inBps = unsignedOf(buf, a, size, what);
        break;
      case IpvsStatsAttr.OUTBPS:
        stats.outBps = unsignedOf(buf, a, size, what);
        break;
    }
    a = next;
  }
  return stats;
}

function decodeFamilyNumber(n: number, what: string): AddressFamily {
  const family = familyFromNumber(n);
  if (!family) throw new NetlinkDecodeError(`${what}: unknown address family ${n}`);
  return family;
}

/** The required address attribute at `at` (of `type`), as text. */
function decodeAddress(
  buf: Buffer,
  at: number,
  type: number,
  family: AddressFamily,
  what: string,
): string {
  if (at === ABSENT) throw missingAttribute(what, type);
  const length = payloadLength(buf, at);
  const need = family === 'inet' ? 4 : 16;
  if (length < need)
    throw new NetlinkDecodeError(`${what}: address has ${length} bytes, expected ${need}`);
  return addressAt(buf, at + NLA_HDRLEN, family);
}

function maskToPrefix(mask: number): number {
  let n = 0;
  while (n < 32 && mask & (0x80000000 >>> n)) n++;
  return n;
}

/** The service in the SERVICE nest buf[from, to). */
function decodeService(buf: Buffer, from: number, to: number): ServiceExtended {
  const what = 'service';
  let af = ABSENT;
  let protocolAt = ABSENT;
  let addressAttr = ABSENT;
  let portAt = ABSENT;
  let fwmarkAt = ABSENT;
  let schedulerAt = ABSENT;
  let flagsAt = ABSENT;
  let timeoutAt = ABSENT;
  let netmaskAt = ABSENT;
  let statsAt = ABSENT;
  let peNameAt = ABSENT;
  let stats64At = ABSENT;
  for (let at = from; at < to;) {
    const next = nextAttribute(buf, at, to, what);
    switch (attributeType(buf, at)) {
      case IpvsServiceAttr.AF:
        af = at;
        break;
      case IpvsServiceAttr.PROTOCOL:
        protocolAt = at;
        break;
      case IpvsServiceAttr.ADDR:
        addressAttr = at;
        break;
      case IpvsServiceAttr.PORT:
        portAt = at;
        break;
      case IpvsServiceAttr.FWMARK:
        fwmarkAt = at;
        break;
      case IpvsServiceAttr.SCHED_NAME:
        schedulerAt = at;
        break;
      case IpvsServiceAttr.FLAGS:
        flagsAt = at;
        break;
      case IpvsServiceAttr.TIMEOUT:
        timeoutAt = at;
        break;
      case IpvsServiceAttr.NETMASK:
        netmaskAt = at;
        break;
      case IpvsServiceAttr.STATS:
        statsAt = at;
        break;
      case IpvsServiceAttr.PE_NAME:
        peNameAt = at;
        break;
      case IpvsServiceAttr.STATS64:
        stats64At = at;
        break;
    }
    at = next;
  }
  if (af === ABSENT) throw missingAttribute(what, IpvsServiceAttr.AF);
  const family = decodeFamilyNumber(readU16(buf, af, what), what);
  if (flagsAt !== ABSENT && payloadLength(buf, flagsAt) < 4)
    throw new NetlinkDecodeError('service: flags too short');
  // struct ip_vs_flags: the flags, then a mask; HASHED is the kernel's own.
  const flags = flagsAt === ABSENT ? 0 : readU32(buf, flagsAt, what) & ~ServiceFlag.HASHED;
  // IPv4 sends the mask's bytes in network order; IPv6 the prefix length (ip_vs_ctl.c).
  const netmask =
    netmaskAt === ABSENT
      ? hostPrefixLength(family)
      : family === 'inet'
        ? maskToPrefix(readBe32(buf, netmaskAt, what))
        : readU32(buf, netmaskAt, what);
  const settings = {
    scheduler: schedulerAt === ABSENT ? '' : stringOf(buf, schedulerAt),
    flags,
    timeout: timeoutAt === ABSENT ? 0 : readU32(buf, timeoutAt, what),
    netmask,
    peName: peNameAt === ABSENT ? undefined : stringOf(buf, peNameAt) || undefined,
    stats:
      stats64At === ABSENT ? decodeStats(buf, statsAt, false) : decodeStats(buf, stats64At, true),
  };
  const fwmark = fwmarkAt === ABSENT ? 0 : readU32(buf, fwmarkAt, what);
  if (fwmark > 0) return { family, fwmark, ...settings };
  if (protocolAt === ABSENT) throw missingAttribute(what, IpvsServiceAttr.PROTOCOL);
  const protoNumber = readU16(buf, protocolAt, what);
  const protocol = protocolByNumber.get(protoNumber);
  if (!protocol) throw new NetlinkDecodeError(`service: unknown protocol ${protoNumber}`);
  const address = decodeAddress(buf, addressAttr, IpvsServiceAttr.ADDR, family, what);
  if (portAt === ABSENT) throw missingAttribute(what, IpvsServiceAttr.PORT);
  return { family, protocol, address, port: readBe16(buf, portAt, what), ...settings };
}

/** The destination in the DEST nest buf[from, to); its family defaults to the service's. */
function decodeDestination(
  buf: Buffer,
  from: number,
  to: number,
  serviceFamily: AddressFamily,
): DestinationExtended {
  const what = 'destination';
  let addressAttr = ABSENT;
  let portAt = ABSENT;
  let forwardAt = ABSENT;
  let weightAt = ABSENT;
  let upperAt = ABSENT;
  let lowerAt = ABSENT;
  let activeAt = ABSENT;
  let inactiveAt = ABSENT;
  let persistentAt = ABSENT;
  let statsAt = ABSENT;
  let familyAt = ABSENT;
  let stats64At = ABSENT;
  let tunnelTypeAt = ABSENT;
  let tunnelPortAt = ABSENT;
  let tunnelFlagsAt = ABSENT;
  for (let at = from; at < to;) {
    const next = nextAttribute(buf, at, to, what);
    switch (attributeType(buf, at)) {
      case IpvsDestAttr.ADDR:
        addressAttr = at;
        break;
      case IpvsDestAttr.PORT:
        portAt = at;
        break;
      case IpvsDestAttr.FWD_METHOD:
        forwardAt = at;
        break;
      case IpvsDestAttr.WEIGHT:
        weightAt = at;
        break;
      case IpvsDestAttr.U_THRESH:
        upperAt = at;
        break;
      case IpvsDestAttr.L_THRESH:
        lowerAt = at;
        break;
      case IpvsDestAttr.ACTIVE_CONNS:
        activeAt = at;
        break;
      case IpvsDestAttr.INACT_CONNS:
        inactiveAt = at;
        break;
      case IpvsDestAttr.PERSIST_CONNS:
        persistentAt = at;
        break;
      case IpvsDestAttr.STATS:
        statsAt = at;
        break;
      case IpvsDestAttr.ADDR_FAMILY:
        familyAt = at;
        break;
      case IpvsDestAttr.STATS64:
        stats64At = at;
        break;
      case IpvsDestAttr.TUN_TYPE:
        tunnelTypeAt = at;
        break;
      case IpvsDestAttr.TUN_PORT:
        tunnelPortAt = at;
        break;
      case IpvsDestAttr.TUN_FLAGS:
        tunnelFlagsAt = at;
        break;
    }
    at = next;
  }
  const familyNumber = familyAt === ABSENT ? 0 : readU16(buf, familyAt, what);
  const family = familyNumber === 0 ? serviceFamily : decodeFamilyNumber(familyNumber, what);
  const fwd = (forwardAt === ABSENT ? 0 : readU32(buf, forwardAt, what)) & FWD_MASK;
  const forward = forwardByNumber.get(fwd);
  if (!forward) throw new NetlinkDecodeError(`destination: unknown forwarding method ${fwd}`);
  const tunnelType = tunnelTypeAt === ABSENT ? undefined : readU8(buf, tunnelTypeAt, what);
  const tunnelKind = tunnelType === undefined ? undefined : tunnelByNumber.get(tunnelType);
  if (tunnelType !== undefined && !tunnelKind)
    throw new NetlinkDecodeError(`destination: unknown tunnel type ${tunnelType}`);
  const address = decodeAddress(buf, addressAttr, IpvsDestAttr.ADDR, family, what);
  if (portAt === ABSENT) throw missingAttribute(what, IpvsDestAttr.PORT);
  const u32Or0 = (at: number): number => (at === ABSENT ? 0 : readU32(buf, at, what));
  return {
    family,
    address,
    port: readBe16(buf, portAt, what),
    forward,
    // The kernel keeps weights as int; report them the way it does.
    weight: u32Or0(weightAt),
    upperThreshold: u32Or0(upperAt),
    lowerThreshold: u32Or0(lowerAt),
    tunnel:
      forward === 'tunnel' && tunnelKind
        ? {
            type: tunnelKind,
            port: tunnelPortAt === ABSENT ? 0 : readBe16(buf, tunnelPortAt, what),
            flags: tunnelFlagsAt === ABSENT ? 0 : readU16(buf, tunnelFlagsAt, what),
          }
        : undefined,
    activeConns: u32Or0(activeAt),
    inactiveConns: u32Or0(inactiveAt),
    persistentConns: u32Or0(persistentAt),
    stats:
      stats64At === ABSENT ? decodeStats(buf, statsAt, false) : decodeStats(buf, stats64At, true),
  };
}

/**
 * The header offset of the top-level nest `type` of the IPVS reply whose genl payload is
 * buf[start, end), after checking the framing of every top-level attribute.
 */
function replyNest(buf: Buffer, start: number, end: number, type: number): number {
  if (end - start < GENL_HDRLEN)
    throw new NetlinkDecodeError(`generic netlink: ${end - start} bytes, too short for a header`);
  let nest = ABSENT;
  for (let at = start + GENL_HDRLEN; at < end;) {
    const next = nextAttribute(buf, at, end, 'IPVS reply');
    if (attributeType(buf, at) === type) nest = at;
    at = next;
  }
  if (nest === ABSENT) throw missingAttribute('IPVS reply', type);
  return nest;
}

/**
 * The service in the GET_SERVICE reply whose genl payload is buf[start, end), read in place:
 * the result keeps no reference into `buf`.
 */
export function decodeServiceAt(buf: Buffer, start: number, end: number): ServiceExtended {
  const nest = replyNest(buf, start, end, IpvsAttr.SERVICE);
  return decodeService(buf, nest + NLA_HDRLEN, nestEnd(buf, nest));
}

/**
 * The destination in the GET_DEST reply whose genl payload is buf[start, end), read in place;
 * its family defaults to the service's.
 */
export function decodeDestinationAt(
  buf: Buffer,
  start: number,
  end: number,
  serviceFamily: AddressFamily,
): DestinationExtended {
  const nest = replyNest(buf, start, end, IpvsAttr.DEST);
  return decodeDestination(buf, nest + NLA_HDRLEN, nestEnd(buf, nest), serviceFamily);
}

/** The service in one GET_SERVICE reply (its genl payload). */
export function decodeServiceReply(payload: Buffer): ServiceExtended {
  return decodeServiceAt(payload, 0, payload.length);
}

/** The destination in one GET_DEST reply; its family defaults to the service's. */
export function decodeDestinationReply(
  payload: Buffer,
  serviceFamily: AddressFamily,
): DestinationExtended {
  return decodeDestinationAt(payload, 0, payload.length, serviceFamily);
}
