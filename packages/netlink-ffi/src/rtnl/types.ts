import type { AddressFamily } from '../address.js';
import type { RTN, RT_SCOPE } from './constants.js';

/** How far an address or route reaches (RT_SCOPE_*): universe, site, link, host, nowhere. */
export type RouteScope = keyof typeof RT_SCOPE;
/** What a route does with packets (RTN_*): unicast, local, blackhole, ... */
export type RouteType = keyof typeof RTN;

/** A network interface as rtnetlink reports it (`ip link`). */
export interface NetworkLink {
  /** Interface index (ifindex). */
  index: number;
  /** Interface name, e.g. "eth0". */
  name: string;
  /** IFF_* bits. */
  flags: number;
  /** IFF_UP is set: administratively up. */
  up: boolean;
  mtu: number;
  /** Link kind from IFLA_LINKINFO ("dummy", "veth", ...); absent for physical links. */
  kind?: string | undefined;
}

/** An address on a network interface (`ip address`), from RTM_NEWADDR. */
export interface InterfaceAddress {
  family: AddressFamily;
  /** Index of the link holding the address. */
  index: number;
  address: string;
  prefixLength: number;
  /** A name, or the number when it has none. */
  scope: RouteScope | number;
  /** Address label ("eth0:1"), when it has one. */
  label?: string | undefined;
}

/** A route (`ip route`), from RTM_NEWROUTE. */
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
  /** Routing table id: 254 main, 255 local. */
  table: number;
  /** Route origin: 2 kernel, 3 boot, 4 static, ... (RTPROT_*). */
  protocol: number;
  scope: RouteScope | number;
  /** A name, or the number when it has none. */
  type: RouteType | number;
  /** Metric: of two routes to the same prefix, the lower wins. */
  priority?: number | undefined;
}
