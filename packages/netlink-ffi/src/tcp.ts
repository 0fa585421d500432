// TCP keepalive and user-timeout on a connected socket's fd: Node exposes only the keepalive idle
// time, and failure detection needs the interval, count and user timeout too.
import * as libc from './ffi/libc.js';
import { NetlinkError } from './errors.js';

// <netinet/tcp.h> and <sys/socket.h>, Linux.
const IPPROTO_TCP = 6;
const SO_KEEPALIVE = 9;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

export interface TcpLiveness {
  /** Seconds of idleness before the first keepalive probe. */
  keepaliveIdleSeconds: number;
  /** Seconds between keepalive probes. */
  keepaliveIntervalSeconds: number;
  /** Unanswered probes before the kernel drops the connection. */
  keepaliveCount: number;
  /** Milliseconds sent data may stay unacknowledged before the kernel drops the connection. */
  userTimeoutMs: number;
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  if (libc.setsockopt(fd, level, name, v, 4) < 0) {
    throw new NetlinkError({ errno: libc.errno(), operation: `setsockopt(${what})` });
  }
}

/** Makes the kernel notice a dead or black-holed peer in seconds, with no traffic of ours. */
export function setTcpLiveness(fd: number, o: TcpLiveness): void {
  setInt(fd, libc.SOL_SOCKET, SO_KEEPALIVE, 1, 'SO_KEEPALIVE');
  setInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, o.keepaliveIdleSeconds, 'TCP_KEEPIDLE');
  setInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, o.keepaliveIntervalSeconds, 'TCP_KEEPINTVL');
  setInt(fd, IPPROTO_TCP, TCP_KEEPCNT, o.keepaliveCount, 'TCP_KEEPCNT');
  setInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, o.userTimeoutMs, 'TCP_USER_TIMEOUT');
}
