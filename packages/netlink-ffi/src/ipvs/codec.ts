// Pure encoding and decoding of IPVS generic netlink messages: plain values in, bytes out.
import { AttributeEncoder, Attributes } from '../attributes.js';
import { AttributeSlots } from '../attribute-slots.js';
import {
  type AddressFamily,
  addressAt,
  addressFamily,
  familyFromNumber,
  familyNumber,
  hostPrefixLength,
  writeAddress,
} from '../address.js';
import { NetlinkDecodeError } from '../errors.js';
import { namesByNumber } from '../names.js';
import { GENL_HDRLEN, decodeGenl, writeGenlHeader } from '../genl/header.js';
import {
  IpvsAttr,
  IpvsDestAttr,
  FWD_MASK,
  ForwardMethodCode,
  IPPROTO,
  IPVS_GENL_VERSION,
  IpvsInfoAttr,
  ServiceFlag,
  IpvsStatsAttr,
  IpvsServiceAttr,
  TunnelTypeCode,
} from './constants.js';
import type {
  Destination,
  DestinationExtended,
  DestinationKey,
  ForwardMethod,
  IpvsConfig,
  IpvsInfo,
  TransportProtocol,
  ServiceExtended,
  ServiceKey,
  Service,
  IpvsStats,
  TunnelKind,
} from './types.js';

const protocolByNumber = namesByNumber<TransportProtocol>(IPPROTO);
const forwardByNumber = namesByNumber<ForwardMethod>(ForwardMethodCode);
const tunnelByNumber = namesByNumber<TunnelKind>(TunnelTypeCode);

/** The genl payload (header + attributes) of one IPVS command. */
export function ipvsPayload(command: number, build?: (attrs: AttributeEncoder) => void): Buffer {
  const enc = new AttributeEncoder(GENL_HDRLEN);
  build?.(enc);
  const payload = enc.encode();
  writeGenlHeader(payload, { command, version: IPVS_GENL_VERSION });
  return payload;
}

/** Attributes of an IPVS reply, after its genl header. */
export function ipvsReplyAttributes(payload: Buffer): Attributes {
  return Attributes.parse(decodeGenl(payload).attributes, 'IPVS reply');
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new RangeError(`${what} port out of range: ${port}`);
  return port;
}

/** An address attribute: 16 bytes, IPv4 in the first four (union nf_inet_addr). */
function addressField(
  enc: AttributeEncoder,
  type: number,
  address: string,
  family: AddressFamily,
): void {
  if (addressFamily(address) !== family) {
    throw new RangeError(
      `address ${JSON.stringify(address)} is not ${family === 'inet' ? 'IPv4' : 'IPv6'}`,
    );
  }
  enc.filled(type, 16, (buf, at) => writeAddress(address, buf, at));
}

/** True for a service named by firewall mark rather than by protocol, address and port. */
export function isFwmarkService(key: ServiceKey): key is ServiceKey & { fwmark: number } {
  return key.fwmark !== undefined && key.fwmark > 0;
}

function encodeServiceKeyAttrs(enc: AttributeEncoder, key: ServiceKey): void {
  enc.u16(IpvsServiceAttr.AF, familyNumber(key.family));
  if (isFwmarkService(key)) {
    enc.u32(IpvsServiceAttr.FWMARK, key.fwmark);
    return;
  }
  enc.u16(IpvsServiceAttr.PROTOCOL, IPPROTO[key.protocol]);
  addressField(enc, IpvsServiceAttr.ADDR, key.address, key.family);
  enc.be16(IpvsServiceAttr.PORT, checkPort(key.port, 'service'));
}

/** The SERVICE nest naming a service (DEL_SERVICE, GET_SERVICE, GET_DEST, ZERO, *_DEST). */
export function encodeServiceKey(enc: AttributeEncoder, key: ServiceKey): void {
  enc.nested(IpvsAttr.SERVICE, (s) => encodeServiceKeyAttrs(s, key));
}

function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function maskToPrefix(mask: number): number {
  let n = 0;
  while (n < 32 && mask & (0x80000000 >>> n)) n++;
  return n;
}

/** The full SERVICE nest of NEW_SERVICE / SET_SERVICE. */
export function encodeService(enc: AttributeEncoder, svc: Service): void {
  const maxPrefix = hostPrefixLength(svc.family);
  if (!Number.isInteger(svc.netmask) || svc.netmask < 0 || svc.netmask > maxPrefix) {
    throw new RangeError(`netmask /${svc.netmask} out of range for ${svc.family}`);
  }
  enc.nested(IpvsAttr.SERVICE, (s) => {
    encodeServiceKeyAttrs(s, svc);
    s.string(IpvsServiceAttr.SCHED_NAME, svc.scheduler);
    if (svc.peName) s.string(IpvsServiceAttr.PE_NAME, svc.peName);
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE((svc.flags & ~ServiceFlag.HASHED) >>> 0, 0);
    flags.writeUInt32LE(0xffffffff, 4);
    s.bytes(IpvsServiceAttr.FLAGS, flags);
    s.u32(IpvsServiceAttr.TIMEOUT, svc.timeout);
    // IPv4 wants the mask's bytes in network order; IPv6 the prefix length (ip_vs_ctl.c).
    if (svc.family === 'inet') s.be32(IpvsServiceAttr.NETMASK, prefixToMask(svc.netmask));
    else s.u32(IpvsServiceAttr.NETMASK, svc.netmask);
  });
}

// The decoders below read each nest with one reusable AttributeSlots (no objects per nest, no
// Buffer per attribute), straight from the bytes they are given: a listing of 1000 services
// decodes some 4000 nests from the socket's receive buffer. They are synchronous and each
// slot table serves one nest level, so they never overlap.
const replySlots = new AttributeSlots(IpvsAttr.TIMEOUT_UDP);
const serviceSlots = new AttributeSlots(IpvsServiceAttr.STATS64);
const destSlots = new AttributeSlots(IpvsDestAttr.TUN_FLAGS);
const statsSlots = new AttributeSlots(IpvsStatsAttr.PAD);

/** STATS64 when present (all u64), else STATS (bytes u64, the rest u32). */
function decodeStats(parent: AttributeSlots, stats64Type: number, statsType: number): IpvsStats {
  const s = statsSlots;
  if (parent.nestInto(s, stats64Type, 'stats64')) {
    return {
      conns: s.optU64Number(IpvsStatsAttr.CONNS) ?? 0,
      inPackets: s.optU64Number(IpvsStatsAttr.INPKTS) ?? 0,
      outPackets: s.optU64Number(IpvsStatsAttr.OUTPKTS) ?? 0,
      inBytes: s.optU64Number(IpvsStatsAttr.INBYTES) ?? 0,
      outBytes: s.optU64Number(IpvsStatsAttr.OUTBYTES) ?? 0,
      cps: s.optU64Number(IpvsStatsAttr.CPS) ?? 0,
      inPps: s.optU64Number(IpvsStatsAttr.INPPS) ?? 0,
      outPps: s.optU64Number(IpvsStatsAttr.OUTPPS) ?? 0,
      inBps: s.optU64Number(IpvsStatsAttr.INBPS) ?? 0,
      outBps: s.optU64Number(IpvsStatsAttr.OUTBPS) ?? 0,
    };
  }
  // No STATS either: an empty nest reads as zeros.
  if (!parent.nestInto(s, statsType, 'stats')) s.index(s.buffer, 0, 0, 'stats');
  return {
    conns: s.optU32(IpvsStatsAttr.CONNS) ?? 0,
    inPackets: s.optU32(IpvsStatsAttr.INPKTS) ?? 0,
    outPackets: s.optU32(IpvsStatsAttr.OUTPKTS) ?? 0,
    inBytes: s.optU64Number(IpvsStatsAttr.INBYTES) ?? 0,
    outBytes: s.optU64Number(IpvsStatsAttr.OUTBYTES) ?? 0,
    cps: s.optU32(IpvsStatsAttr.CPS) ?? 0,
    inPps: s.optU32(IpvsStatsAttr.INPPS) ?? 0,
    outPps: s.optU32(IpvsStatsAttr.OUTPPS) ?? 0,
    inBps: s.optU32(IpvsStatsAttr.INBPS) ?? 0,
    outBps: s.optU32(IpvsStatsAttr.OUTBPS) ?? 0,
  };
}

function decodeFamilyNumber(n: number, what: string): AddressFamily {
  const family = familyFromNumber(n);
  if (!family) throw new NetlinkDecodeError(`${what}: unknown address family ${n}`);
  return family;
}

/** A required address attribute, as text. */
function decodeAddressAttr(
  attrs: AttributeSlots,
  type: number,
  family: AddressFamily,
  what: string,
): string {
  const length = attrs.length(type);
  if (length < 0) throw attrs.missing(type);
  const need = family === 'inet' ? 4 : 16;
  if (length < need)
    throw new NetlinkDecodeError(`${what}: address has ${length} bytes, expected ${need}`);
  return addressAt(attrs.buffer, attrs.offset(type), family);
}

/** The service in the SERVICE nest indexed in `svcAttrs`. */
function decodeService(svcAttrs: AttributeSlots): ServiceExtended {
  const family = decodeFamilyNumber(svcAttrs.u16(IpvsServiceAttr.AF), 'service');
  const flagsLength = svcAttrs.length(IpvsServiceAttr.FLAGS);
  if (flagsLength >= 0 && flagsLength < 4) throw new NetlinkDecodeError('service: flags too short');
  const flags =
    flagsLength < 0 ? 0 : (svcAttrs.optU32(IpvsServiceAttr.FLAGS) ?? 0) & ~ServiceFlag.HASHED;
  const rawMask = svcAttrs.optU32(IpvsServiceAttr.NETMASK);
  const netmask =
    rawMask === undefined
      ? hostPrefixLength(family)
      : family === 'inet'
        ? maskToPrefix(svcAttrs.be32(IpvsServiceAttr.NETMASK))
        : rawMask;
  const settings = {
    scheduler: svcAttrs.optString(IpvsServiceAttr.SCHED_NAME) ?? '',
    flags,
    timeout: svcAttrs.optU32(IpvsServiceAttr.TIMEOUT) ?? 0,
    netmask,
    peName: svcAttrs.optString(IpvsServiceAttr.PE_NAME) || undefined,
    stats: decodeStats(svcAttrs, IpvsServiceAttr.STATS64, IpvsServiceAttr.STATS),
  };
  const fwmark = svcAttrs.optU32(IpvsServiceAttr.FWMARK);
  if (fwmark !== undefined && fwmark > 0) return { family, fwmark, ...settings };
  const protoNumber = svcAttrs.u16(IpvsServiceAttr.PROTOCOL);
  const protocol = protocolByNumber.get(protoNumber);
  if (!protocol) throw new NetlinkDecodeError(`service: unknown protocol ${protoNumber}`);
  return {
    family,
    protocol,
    address: decodeAddressAttr(svcAttrs, IpvsServiceAttr.ADDR, family, 'service'),
    port: svcAttrs.be16(IpvsServiceAttr.PORT),
    ...settings,
  };
}

function destFamily(dest: DestinationKey, serviceFamily: AddressFamily): AddressFamily {
  return dest.family ?? addressFamily(dest.address) ?? serviceFamily;
}

/** The identity of a destination, first in every DEST nest. */
function encodeDestinationKeyAttrs(
  d: AttributeEncoder,
  dest: DestinationKey,
  serviceFamily: AddressFamily,
): void {
  const family = destFamily(dest, serviceFamily);
  d.u16(IpvsDestAttr.ADDR_FAMILY, familyNumber(family));
  addressField(d, IpvsDestAttr.ADDR, dest.address, family);
  d.be16(IpvsDestAttr.PORT, checkPort(dest.port, 'destination'));
}

/** The DEST nest naming a destination (DEL_DEST). */
export function encodeDestinationKey(
  enc: AttributeEncoder,
  dest: DestinationKey,
  serviceFamily: AddressFamily,
): void {
  enc.nested(IpvsAttr.DEST, (d) => encodeDestinationKeyAttrs(d, dest, serviceFamily));
}

/** The full DEST nest of NEW_DEST / SET_DEST. Weights and thresholds go out as the kernel's u32. */
export function encodeDestination(
  enc: AttributeEncoder,
  dest: Destination,
  serviceFamily: AddressFamily,
): void {
  enc.nested(IpvsAttr.DEST, (d) => {
    encodeDestinationKeyAttrs(d, dest, serviceFamily);
    d.u32(IpvsDestAttr.FWD_METHOD, ForwardMethodCode[dest.forward]);
    d.u32(IpvsDestAttr.WEIGHT, dest.weight);
    d.u32(IpvsDestAttr.U_THRESH, dest.upperThreshold);
    d.u32(IpvsDestAttr.L_THRESH, dest.lowerThreshold);
    if (dest.tunnel) {
      d.u8(IpvsDestAttr.TUN_TYPE, TunnelTypeCode[dest.tunnel.type]);
      d.be16(IpvsDestAttr.TUN_PORT, checkPort(dest.tunnel.port, 'tunnel'));
      d.u16(IpvsDestAttr.TUN_FLAGS, dest.tunnel.flags);
    }
  });
}

/** The destination in the DEST nest indexed in `destAttrs`. */
function decodeDestination(
  destAttrs: AttributeSlots,
  serviceFamily: AddressFamily,
): DestinationExtended {
  const famNumber = destAttrs.optU16(IpvsDestAttr.ADDR_FAMILY) ?? 0;
  const family = famNumber === 0 ? serviceFamily : decodeFamilyNumber(famNumber, 'destination');
  const fwd = (destAttrs.optU32(IpvsDestAttr.FWD_METHOD) ?? 0) & FWD_MASK;
  const forward = forwardByNumber.get(fwd);
  if (!forward) throw new NetlinkDecodeError(`destination: unknown forwarding method ${fwd}`);
  const tunType = destAttrs.optU8(IpvsDestAttr.TUN_TYPE);
  const tunnelKind = tunType === undefined ? undefined : tunnelByNumber.get(tunType);
  if (tunType !== undefined && !tunnelKind)
    throw new NetlinkDecodeError(`destination: unknown tunnel type ${tunType}`);
  return {
    family,
    address: decodeAddressAttr(destAttrs, IpvsDestAttr.ADDR, family, 'destination'),
    port: destAttrs.be16(IpvsDestAttr.PORT),
    forward,
    // The kernel keeps weights as int; report them the way it does.
    weight: destAttrs.optU32(IpvsDestAttr.WEIGHT) ?? 0,
    upperThreshold: destAttrs.optU32(IpvsDestAttr.U_THRESH) ?? 0,
    lowerThreshold: destAttrs.optU32(IpvsDestAttr.L_THRESH) ?? 0,
    tunnel:
      forward === 'tunnel' && tunnelKind
        ? {
            type: tunnelKind,
            port: destAttrs.optBe16(IpvsDestAttr.TUN_PORT) ?? 0,
            flags: destAttrs.optU16(IpvsDestAttr.TUN_FLAGS) ?? 0,
          }
        : undefined,
    activeConns: destAttrs.optU32(IpvsDestAttr.ACTIVE_CONNS) ?? 0,
    inactiveConns: destAttrs.optU32(IpvsDestAttr.INACT_CONNS) ?? 0,
    persistentConns: destAttrs.optU32(IpvsDestAttr.PERSIST_CONNS) ?? 0,
    stats: decodeStats(destAttrs, IpvsDestAttr.STATS64, IpvsDestAttr.STATS),
  };
}

/** Indexes the top-level attributes of the IPVS reply whose genl payload is buf[start, end). */
function replyAt(buf: Buffer, start: number, end: number): AttributeSlots {
  if (end - start < GENL_HDRLEN) {
    throw new NetlinkDecodeError(`generic netlink: ${end - start} bytes, too short for a header`);
  }
  return replySlots.index(buf, start + GENL_HDRLEN, end, 'IPVS reply');
}

/**
 * The service in the GET_SERVICE reply whose genl payload is buf[start, end), read in place:
 * the result keeps no reference into `buf`.
 */
export function decodeServiceAt(buf: Buffer, start: number, end: number): ServiceExtended {
  const reply = replyAt(buf, start, end);
  if (!reply.nestInto(serviceSlots, IpvsAttr.SERVICE, 'service'))
    throw reply.missing(IpvsAttr.SERVICE);
  return decodeService(serviceSlots);
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
  const reply = replyAt(buf, start, end);
  if (!reply.nestInto(destSlots, IpvsAttr.DEST, 'destination')) throw reply.missing(IpvsAttr.DEST);
  return decodeDestination(destSlots, serviceFamily);
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

/** The GET_INFO reply. */
export function decodeInfoReply(payload: Buffer): IpvsInfo {
  const attrs = ipvsReplyAttributes(payload);
  const code = attrs.u32(IpvsInfoAttr.VERSION);
  return {
    versionCode: code,
    version: `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`,
    connTableSize: attrs.u32(IpvsInfoAttr.CONN_TAB_SIZE),
  };
}

/** The GET_CONFIG reply. */
export function decodeConfigReply(payload: Buffer): IpvsConfig {
  const attrs = ipvsReplyAttributes(payload);
  return {
    tcp: attrs.optU32(IpvsAttr.TIMEOUT_TCP) ?? 0,
    tcpFin: attrs.optU32(IpvsAttr.TIMEOUT_TCP_FIN) ?? 0,
    udp: attrs.optU32(IpvsAttr.TIMEOUT_UDP) ?? 0,
  };
}

/** The timeout attributes of SET_CONFIG; fields left out are not sent. */
export function encodeConfig(enc: AttributeEncoder, config: Partial<IpvsConfig>): void {
  if (config.tcp !== undefined) enc.u32(IpvsAttr.TIMEOUT_TCP, config.tcp);
  if (config.tcpFin !== undefined) enc.u32(IpvsAttr.TIMEOUT_TCP_FIN, config.tcpFin);
  if (config.udp !== undefined) enc.u32(IpvsAttr.TIMEOUT_UDP, config.udp);
}

/** The identity fields of a service, for comparing and for error text. */
export function serviceKeyOf(svc: ServiceKey): ServiceKey {
  return isFwmarkService(svc)
    ? { family: svc.family, fwmark: svc.fwmark }
    : {
        family: svc.family,
        protocol: svc.protocol,
        address: svc.address,
        port: svc.port,
      };
}

/** "tcp 10.103.97.2:6443", "tcp [2001:db8::1]:443", "fwmark 7 (inet6)" */
export function describeService(key: ServiceKey): string {
  if (isFwmarkService(key))
    return `fwmark ${key.fwmark}${key.family === 'inet6' ? ' (inet6)' : ''}`;
  const host = key.family === 'inet6' ? `[${key.address}]` : key.address;
  return `${key.protocol} ${host}:${key.port}`;
}
