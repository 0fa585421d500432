// TCP keepalive and user timeout on a connected socket's descriptor: Node exposes only the
// keepalive idle time, and failure detection needs the interval, count and user timeout too.
// setsockopt comes from @kha/netlink-ffi/ffi, the project's one binding of libc.
import { getSocketOption, setIntSocketOption } from '@kha/netlink-ffi/ffi';

// <sys/socket.h> and <netinet/tcp.h>, Linux.
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;
const TCP_INFO = 11;

// struct tcp_info (<linux/tcp.h>): the fields read here, at their fixed offsets.
const TCPI_STATE = 0; // u8
const TCPI_PROBES = 3; // u8: keepalive (or zero-window) probes sent and not yet answered
const TCPI_LAST_ACK_RECV = 56; // u32, ms since the last acknowledgement arrived
const TCP_INFO_READ = 60;

/** How quickly the kernel gives up on a silent peer. */
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

/**
 * Makes the kernel notice a dead or black-holed peer in seconds, with no traffic of ours.
 * Throws SystemCallError (code EBADF, ENOTSOCK, ...) when an option cannot be set.
 */
export function setTcpLiveness(fd: number, liveness: TcpLiveness): void {
  setIntSocketOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, 'SO_KEEPALIVE');
  setIntSocketOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, liveness.keepaliveIdleSeconds, 'TCP_KEEPIDLE');
  setIntSocketOption(
    fd,
    IPPROTO_TCP,
    TCP_KEEPINTVL,
    liveness.keepaliveIntervalSeconds,
    'TCP_KEEPINTVL',
  );
  setIntSocketOption(fd, IPPROTO_TCP, TCP_KEEPCNT, liveness.keepaliveCount, 'TCP_KEEPCNT');
  setIntSocketOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, liveness.userTimeoutMs, 'TCP_USER_TIMEOUT');
}

/** What TCP_INFO says of a connection's keepalive. */
export interface KeepaliveState {
  /** The kernel's TCP state (1: established). */
  state: number;
  /** Keepalive probes sent and not answered yet. */
  probesOut: number;
  /** Milliseconds since the peer last acknowledged anything. */
  sinceLastAckMs: number;
}

/** Reads TCP_INFO. Throws SystemCallError when the descriptor is not a TCP socket any more. */
export function readKeepaliveState(fd: number): KeepaliveState {
  const info = Buffer.alloc(TCP_INFO_READ);
  const filled = getSocketOption(fd, IPPROTO_TCP, TCP_INFO, info, 'TCP_INFO');
  if (filled < TCP_INFO_READ) throw new Error(`TCP_INFO: ${filled} bytes, ${TCP_INFO_READ} needed`);
  return {
    state: info.readUInt8(TCPI_STATE),
    probesOut: info.readUInt8(TCPI_PROBES),
    sinceLastAckMs: info.readUInt32LE(TCPI_LAST_ACK_RECV),
  };
}
