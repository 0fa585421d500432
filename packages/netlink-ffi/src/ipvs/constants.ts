// Kernel constants from include/uapi/linux/ip_vs.h (IPVS generic netlink family "IPVS", version 1).

/** The generic netlink family name IPVS registers. */
export const IPVS_GENL_NAME = 'IPVS';
/** The family's version, sent in every genl header. */
export const IPVS_GENL_VERSION = 1;

/** Commands (IPVS_CMD_*). */
export const IpvsCommand = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** Top-level attributes of a command (IPVS_CMD_ATTR_*). */
export const IpvsAttr = {
  SERVICE: 1,
  DEST: 2,
  DAEMON: 3,
  TIMEOUT_TCP: 4,
  TIMEOUT_TCP_FIN: 5,
  TIMEOUT_UDP: 6,
} as const;

/** Top-level attributes of a GET_INFO reply (IPVS_INFO_ATTR_*). */
export const IpvsInfoAttr = {
  VERSION: 1,
  CONN_TAB_SIZE: 2,
} as const;

/** Attributes inside the SERVICE nest (IPVS_SVC_ATTR_*). */
export const IpvsServiceAttr = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

/** Attributes inside the DEST nest (IPVS_DEST_ATTR_*). */
export const IpvsDestAttr = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** Attributes inside STATS / STATS64 nests (IPVS_STATS_ATTR_*). */
export const IpvsStatsAttr = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
  PAD: 11,
} as const;

/** Service flags (IP_VS_SVC_F_*). HASHED is kernel-internal and shows up in dumps. */
export const ServiceFlag = {
  PERSISTENT: 0x0001,
  HASHED: 0x0002,
  ONEPACKET: 0x0004,
  SCHED1: 0x0008,
  SCHED2: 0x0010,
  SCHED3: 0x0020,
} as const;

/** Forwarding methods (IP_VS_CONN_F_*), the low three bits of FWD_METHOD. */
/** The bits of FWD_METHOD that hold the method. */
export const FWD_MASK = 0x7;
/** Forwarding method names and their numbers. */
export const ForwardMethodCode = {
  masq: 0,
  local: 1,
  tunnel: 2,
  route: 3,
} as const;

/** Tunnel types of tunnel-forwarded destinations (IP_VS_CONN_F_TUNNEL_TYPE_*). */
export const TunnelTypeCode = {
  ipip: 0,
  gue: 1,
  gre: 2,
} as const;

/** Transport protocols a service can balance, and their IP protocol numbers. */
export const IPPROTO = {
  tcp: 6,
  udp: 17,
  sctp: 132,
} as const;

/** Longest scheduler name the kernel accepts (IP_VS_SCHEDNAME_MAXLEN - 1). */
export const SCHED_NAME_MAX = 15;
/** Longest persistence-engine name the kernel accepts (IP_VS_PENAME_MAXLEN - 1). */
export const PE_NAME_MAX = 31;

/** Schedulers Linux ships as ip_vs_<name> modules (twos since 6.7). */
export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
] as const;
