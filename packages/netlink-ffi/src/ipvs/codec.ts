// Pure encoding and decoding of IPVS generic netlink messages: plain values in, bytes out.
import { AttributeEncoder, Attributes } from '../attributes.js';
import {
  type AddressFamily,
  addressFamily,
  addressToBytes,
  bytesToAddress,
  familyFromNumber,
  familyNumber,
  hostPrefixLength,
} from '../address.js';
import { NetlinkDecodeError } from '../errors.js';
import { namesByNumber } from '../names.js';
import { decodeGenl, encodeGenl } from '../genl/header.js';
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
  const enc = new AttributeEncoder();
  build?.(enc);
  return encodeGenl({ command, version: IPVS_GENL_VERSION }, enc.encode());
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

/** 16 bytes, IPv4 in the first four (union nf_inet_addr). */
function addressField(address: string, family: AddressFamily): Buffer {
  if (addressFamily(address) !== family) {
    throw new RangeError(
      `address ${JSON.stringify(address)} is not ${family === 'inet' ? 'IPv4' : 'IPv6'}`,
    );
  }
  const out = Buffer.alloc(16);
  addressToBytes(address).copy(out);
  return out;
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
  enc.bytes(IpvsServiceAttr.ADDR, addressField(key.address, key.family));
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

const num = (v: bigint | number | undefined): number => (v === undefined ? 0 : Number(v));

/** STATS64 when present (all u64), else STATS (bytes u64, the rest u32). */
export function decodeStats(parent: Attributes, stats64Type: number, statsType: number): IpvsStats {
  const s64 = parent.optNested(stats64Type, 'stats64');
  if (s64) {
    return {
      conns: num(s64.optU64Number(IpvsStatsAttr.CONNS)),
      inPackets: num(s64.optU64Number(IpvsStatsAttr.INPKTS)),
      outPackets: num(s64.optU64Number(IpvsStatsAttr.OUTPKTS)),
      inBytes: num(s64.optU64Number(IpvsStatsAttr.INBYTES)),
      outBytes: num(s64.optU64Number(IpvsStatsAttr.OUTBYTES)),
      cps: num(s64.optU64Number(IpvsStatsAttr.CPS)),
      inPps: num(s64.optU64Number(IpvsStatsAttr.INPPS)),
      outPps: num(s64.optU64Number(IpvsStatsAttr.OUTPPS)),
      inBps: num(s64.optU64Number(IpvsStatsAttr.INBPS)),
      outBps: num(s64.optU64Number(IpvsStatsAttr.OUTBPS)),
    };
  }
  const s = parent.optNested(statsType, 'stats');
  return {
    conns: num(s?.optU32(IpvsStatsAttr.CONNS)),
    inPackets: num(s?.optU32(IpvsStatsAttr.INPKTS)),
    outPackets: num(s?.optU32(IpvsStatsAttr.OUTPKTS)),
    inBytes: num(s?.optU64Number(IpvsStatsAttr.INBYTES)),
    outBytes: num(s?.optU64Number(IpvsStatsAttr.OUTBYTES)),
    cps: num(s?.optU32(IpvsStatsAttr.CPS)),
    inPps: num(s?.optU32(IpvsStatsAttr.INPPS)),
    outPps: num(s?.optU32(IpvsStatsAttr.OUTPPS)),
    inBps: num(s?.optU32(IpvsStatsAttr.INBPS)),
    outBps: num(s?.optU32(IpvsStatsAttr.OUTBPS)),
  };
}

function decodeFamilyNumber(n: number, what: string): AddressFamily {
  const family = familyFromNumber(n);
  if (!family) throw new NetlinkDecodeError(`${what}: unknown address family ${n}`);
  return family;
}

function decodeAddressAttr(
  attrs: Attributes,
  type: number,
  family: AddressFamily,
  what: string,
): string {
  const bytes = attrs.bytes(type);
  const need = family === 'inet' ? 4 : 16;
  if (bytes.length < need)
    throw new NetlinkDecodeError(`${what}: address has ${bytes.length} bytes, expected ${need}`);
  return bytesToAddress(bytes, family);
}

/** One service from the SERVICE nest of a GET_SERVICE reply. */
export function decodeService(svcAttrs: Attributes): ServiceExtended {
  const family = decodeFamilyNumber(svcAttrs.u16(IpvsServiceAttr.AF), 'service');
  const flagsRaw = svcAttrs.optBytes(IpvsServiceAttr.FLAGS);
  if (flagsRaw !== undefined && flagsRaw.length < 4)
    throw new NetlinkDecodeError('service: flags too short');
  const flags = flagsRaw === undefined ? 0 : flagsRaw.readUInt32LE(0) & ~ServiceFlag.HASHED;
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
  d.bytes(IpvsDestAttr.ADDR, addressField(dest.address, family));
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

/** One destination from the DEST nest of a GET_DEST reply. */
export function decodeDestination(
  destAttrs: Attributes,
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

/** The service in one GET_SERVICE reply (its genl payload). */
export function decodeServiceReply(payload: Buffer): ServiceExtended {
  return decodeService(ipvsReplyAttributes(payload).nested(IpvsAttr.SERVICE, 'service'));
}

/** The destination in one GET_DEST reply; its family defaults to the service's. */
export function decodeDestinationReply(
  payload: Buffer,
  serviceFamily: AddressFamily,
): DestinationExtended {
  return decodeDestination(
    ipvsReplyAttributes(payload).nested(IpvsAttr.DEST, 'destination'),
    serviceFamily,
  );
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
