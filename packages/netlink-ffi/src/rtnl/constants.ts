// rtnetlink constants from include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h and if.h.

/** rtnetlink message types (RTM_*). */
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
} as const;

/** struct ifinfomsg is 16 bytes; struct ifaddrmsg 8; struct rtmsg 12. */
export const IFINFOMSG_LEN = 16;
/** Size of struct ifaddrmsg. */
export const IFADDRMSG_LEN = 8;
/** Size of struct rtmsg. */
export const RTMSG_LEN = 12;

/** Link attributes (IFLA_*). */
export const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  OPERSTATE: 16,
  LINKINFO: 18,
} as const;

/** Attributes inside IFLA_LINKINFO (IFLA_INFO_*). */
export const IFLA_INFO = {
  KIND: 1,
  DATA: 2,
} as const;

/** Link flag: administratively up (include/uapi/linux/if.h). */
export const IFF_UP = 0x1;

/** Address attributes (IFA_*). */
export const IFA = {
  ADDRESS: 1,
  LOCAL: 2,
  LABEL: 3,
  FLAGS: 8,
} as const;

/** Route attributes (RTA_*). */
export const RTA = {
  DST: 1,
  SRC: 2,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  TABLE: 15,
} as const;

/** The main routing table, where `ip route add` puts routes. */
export const RT_TABLE_MAIN = 254;
/** The local table: the kernel's routes to this host's own addresses. */
export const RT_TABLE_LOCAL = 255;

/** rtm_flags of a lookup reply that is a computed route for one address, not a table entry. */
export const RTM_F_CLONED = 0x200;
/** rtm_flags of a lookup request: answer with the table entry that matched (`ip route get fibmatch`). */
export const RTM_F_FIB_MATCH = 0x2000;

/** Route origins (RTPROT_*). */
export const RTPROT = {
  kernel: 2,
  boot: 3,
  static: 4,
} as const;

/** Scopes (RT_SCOPE_*). */
export const RT_SCOPE = {
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
} as const;

/** Route types (RTN_*). */
export const RTN = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
} as const;
