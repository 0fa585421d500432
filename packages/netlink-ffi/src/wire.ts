// @kha/netlink-ffi/wire: how the clients talk. Message and attribute framing, the socket, the
// generic netlink controller, and the IPVS and rtnetlink codecs with their kernel constants.
// Pure functions of bytes except NetlinkSocket.
export * from './attributes.js';
export * from './message.js';
export { NETLINK_GENERIC, NETLINK_ROUTE, NetlinkSocket, type NetlinkTransport } from './socket.js';
export {
  BATCH_CHUNK,
  DATAGRAMS_PER_TURN,
  DUMP_ATTEMPTS,
  type NetlinkRequest,
} from './connection.js';
export { errnoName, errnoValue } from './errors.js';
export { AF_INET, AF_INET6, familyFromNumber, familyNumber } from './address.js';
export * from './genl/header.js';
export * from './genl/family.js';
export * from './ipvs/constants.js';
export * from './ipvs/codec.js';
export * from './ipvs/decode.js';
export { type IpvsCall, callFor } from './ipvs/operations.js';
export * from './rtnl/constants.js';
export * from './rtnl/codec.js';
