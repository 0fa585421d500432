// rtnetlink constants from include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h and if.h.

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
export const IFADDRMSG_LEN = 8;
export const RTMSG_LEN = 12;

export const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  OPERSTATE: 16,
  LINKINFO: 18,
} as const;

export const IFLA_INFO = {
  KIND: 1,
  DATA: 2,
} as const;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_LOWER_UP = 0x10000;

export const IFA = {
  ADDRESS: 1,
  LOCAL: 2,
  LABEL: 3,
  FLAGS: 8,
} as const;

export const RTA = {
  DST: 1,
  SRC: 2,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  TABLE: 15,
} as const;

export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

export const RTPROT = {
  kernel: 2,
  boot: 3,
  static: 4,
} as const;

export const RT_SCOPE = {
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
} as const;

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
