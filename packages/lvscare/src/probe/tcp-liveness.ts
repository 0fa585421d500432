// TCP keepalive and user timeout on a connected socket's descriptor: Node exposes only the
// keepalive idle time, and failure detection needs the interval, count and user timeout too.
// setsockopt comes from @kha/netlink-ffi/ffi, the project's one binding of libc.
import { setIntSocketOption } from '@kha/netlink-ffi/ffi';

// <sys/socket.h> and <netinet/tcp.h>, Linux.
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

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
