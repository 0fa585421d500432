// @kha/netlink-ffi: the IPVS and rtnetlink clients, the values they take and return, and their
// errors. Codecs, framing and kernel constants live under '@kha/netlink-ffi/wire'; a scripted
// connection for tests under '@kha/netlink-ffi/testing'.
export { IpvsClient, IPVS_NEEDS_CAP, IPVS_UNAVAILABLE } from './ipvs/client.js';
export type { IpvsOperation } from './ipvs/operations.js';
export * from './ipvs/types.js';
export { SCHEDULERS, ServiceFlag } from './ipvs/constants.js';
export { describeService } from './ipvs/codec.js';
export { RouteClient } from './rtnl/client.js';
export type { RouteSpec } from './rtnl/codec.js';
export type * from './rtnl/types.js';
export { type ConnectionOptions, DEFAULT_TIMEOUT_MS, NetlinkConnection } from './connection.js';
export {
  type ErrnoName,
  NetlinkDecodeError,
  NetlinkError,
  type NetlinkErrorDetails,
  isNetlinkError,
} from './errors.js';
export {
  type AddressFamily,
  addressFamily,
  addressToBytes,
  bytesToAddress,
  canonicalAddress,
  hostPrefixLength,
} from './address.js';
