import type { AddressFamily } from '../address.js';
import type { Forward, IPPROTO, TunnelType } from './constants.js';

export type Protocol = keyof typeof IPPROTO;
export type ForwardMethod = keyof typeof Forward;
export type TunnelKind = keyof typeof TunnelType;

/** A virtual service selected by protocol, address and port. */
export interface AddressServiceKey {
  family: AddressFamily;
  protocol: Protocol;
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

export type ServiceKey = AddressServiceKey | FwmarkServiceKey;

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

export type Service = ServiceKey & ServiceSettings;

/** Counters and rates, from STATS64 when the kernel has it, else the 32-bit STATS. */
export interface Stats {
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

export type ServiceExtended = Service & { stats: Stats };

/** Counters of a service or destination nothing has gone through yet. */
export const ZERO_STATS: Readonly<Stats> = Object.freeze({
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

export interface DestinationKey {
  address: string;
  port: number;
  /** Defaults to the service's family; differs only for IPv4-in-IPv6 tunnels and the like. */
  family?: AddressFamily | undefined;
}

export interface TunnelSettings {
  type: TunnelKind;
  port: number;
  flags: number;
}

export interface Destination extends DestinationKey {
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  tunnel?: TunnelSettings | undefined;
}

export interface DestinationExtended extends Destination {
  family: AddressFamily;
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats: Stats;
}

export interface IpvsInfo {
  /** "1.2.1" */
  version: string;
  versionCode: number;
  connTableSize: number;
}

/** Connection timeouts in seconds; 0 in a set request leaves a value unchanged. */
export interface IpvsConfig {
  tcp: number;
  tcpFin: number;
  udp: number;
}
