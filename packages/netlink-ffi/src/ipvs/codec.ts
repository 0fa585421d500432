// Pure encoding and decoding of IPVS generic netlink messages: plain values in, bytes out. The
// replies of a listing's dumps are decoded in decode.ts.
import { AttributeEncoder, Attributes } from '../attributes.js';
import {
  type AddressFamily,
  addressFamily,
  familyNumber,
  hostPrefixLength,
  writeAddressOf,
} from '../address.js';
import { GENL_HDRLEN, decodeGenl, writeGenlHeader } from '../genl/header.js';
import {
  IpvsAttr,
  IpvsDestAttr,
  ForwardMethodCode,
  IPPROTO,
  IPVS_GENL_VERSION,
  IpvsInfoAttr,
  ServiceFlag,
  IpvsServiceAttr,
  TunnelTypeCode,
} from './constants.js';
import type {
  Destination,
  DestinationKey,
  IpvsConfig,
  IpvsInfo,
  ServiceKey,
  Service,
} from './types.js';

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
  enc.filled(type, 16, (buf, at) => writeAddressOf(address, family, buf, at));
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
