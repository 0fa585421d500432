import type { AddressFamily } from '../address.js';
import type { ForwardMethodCode, IPPROTO, TunnelTypeCode } from './constants.js';

/** The transport protocol of an address-based service. */
export type TransportProtocol = keyof typeof IPPROTO;
/** How IPVS forwards to a destination: masq (NAT), local, tunnel, route (direct routing). */
export type ForwardMethod = keyof typeof ForwardMethodCode;
/** The encapsulation of a tunnel destination. */
export type TunnelKind = keyof typeof TunnelTypeCode;

/** A virtual service selected by protocol, address and port. */
export interface AddressServiceKey {
  family: AddressFamily;
  protocol: TransportProtocol;
  address: string;
  port: number;
  fwmark?: undefined;
}

/** A virtual service selected by firewall mark. */
export interface FwmarkServiceKey {
  family: AddressFamily;
  fwmark: number;
  protocol?: undefined;
  address?: undefined;
  port?: undefined;
}

/** What names a virtual service in every request. */
export type ServiceKey = AddressServiceKey | FwmarkServiceKey;

/** Everything about a virtual service besides its identity. */
export interface ServiceSettings {
  /** Scheduler name: rr, wrr, lc, wlc, sh, mh, ... (module ip_vs_<name>). */
  scheduler: string;
  /** IP_VS_SVC_F_* bits without the kernel-internal HASHED bit. */
  flags: number;
  /** Persistence timeout in seconds (used when flags has PERSISTENT). */
  timeout: number;
  /** Persistence granularity as a prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  netmask: number;
  /** Persistence engine, e.g. "sip"; absent for none. */
  peName?: string | undefined;
}

/** A virtual service as created or updated. */
export type Service = ServiceKey & ServiceSettings;

/** Counters and rates, from STATS64 when the kernel has it, else the 32-bit STATS. */
export interface IpvsStats {
  conns: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** A virtual service as the kernel reports it, with its counters. */
export type ServiceExtended = Service & { stats: IpvsStats };

/** Counters of a service or destination nothing has gone through yet. */
export const ZERO_STATS: Readonly<IpvsStats> = Object.freeze({
  conns: 0,
  inPackets: 0,
  outPackets: 0,
  inBytes: 0,
  outBytes: 0,
  cps: 0,
  inPps: 0,
  outPps: 0,
  inBps: 0,
  outBps: 0,
});

/** What names a destination (real server) within its service. */
export interface DestinationKey {
  address: string;
  port: number;
  /** Defaults to the service's family; differs only for IPv4-in-IPv6 tunnels and the like. */
  family?: AddressFamily | undefined;
}

/** Encapsulation of a tunnel-forwarded destination. */
export interface TunnelSettings {
  type: TunnelKind;
  /** Destination port of GUE encapsulation. */
  port: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_* bits (checksums). */
  flags: number;
}

/** A destination as created or updated. */
export interface Destination extends DestinationKey {
  forward: ForwardMethod;
  /** Share of new connections; 0 takes the destination out without cutting its connections. */
  weight: number;
  /** Connection count above which no new ones are sent (0: no limit). */
  upperThreshold: number;
  /** Connection count below which a throttled destination takes new ones again. */
  lowerThreshold: number;
  tunnel?: TunnelSettings | undefined;
}

/** A destination as the kernel reports it, with connection counts and counters. */
export interface DestinationExtended extends Destination {
  family: AddressFamily;
  /** Connections in ESTABLISHED. */
  activeConns: number;
  /** Connections in other states. */
  inactiveConns: number;
  /** Persistence templates. */
  persistentConns: number;
  stats: IpvsStats;
}

/** The kernel's IPVS version and connection table size (GET_INFO). */
export interface IpvsInfo {
  /** "1.2.1" */
  version: string;
  /** The same as one number, 0x010201. */
  versionCode: number;
  /** Buckets of the connection hash table. */
  connTableSize: number;
}

/** Connection timeouts in seconds; 0 in a set request leaves a value unchanged. */
export interface IpvsConfig {
  /** Established TCP connections. */
  tcp: number;
  /** TCP connections after FIN. */
  tcpFin: number;
  /** UDP flows. */
  udp: number;
}
