import type { AddressFamily } from '../address.js';
import type { RTN, RT_SCOPE } from './constants.js';

export type Scope = keyof typeof RT_SCOPE;
export type RouteType = keyof typeof RTN;

export interface Link {
  index: number;
  name: string;
  /** IFF_* bits. */
  flags: number;
  up: boolean;
  mtu: number;
  /** Link kind from IFLA_LINKINFO ("dummy", "veth", ...); absent for physical links. */
  kind?: string | undefined;
}

export interface InterfaceAddress {
  family: AddressFamily;
  /** Index of the link holding the address. */
  index: number;
  address: string;
  prefixLength: number;
  scope: Scope | number;
  label?: string | undefined;
}

export interface Route {
  family: AddressFamily;
  /** Destination prefix; "0.0.0.0"/"::" with length 0 for a default route. */
  destination: string;
  prefixLength: number;
  gateway?: string | undefined;
  /** Output link index. */
  outputIndex?: number | undefined;
  /** Preferred source address for locally generated traffic. */
  preferredSource?: string | undefined;
  table: number;
  /** Route origin: 2 kernel, 3 boot, 4 static, ... (RTPROT_*). */
  protocol: number;
  scope: Scope | number;
  type: RouteType | number;
  priority?: number | undefined;
}
