// The only file that talks to libc. Everything above it passes Buffers and numbers.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const socket = libc.func('int socket(int domain, int type, int protocol)') as (
  domain: number,
  type: number,
  protocol: number,
) => number;

export const bind = libc.func('int bind(int fd, void *addr, uint32_t addrlen)') as (
  fd: number,
  addr: Buffer,
  addrlen: number,
) => number;

export const getsockname = libc.func('int getsockname(int fd, void *addr, void *addrlen)') as (
  fd: number,
  addr: Buffer,
  addrlen: Buffer,
) => number;

export const setsockopt = libc.func(
  'int setsockopt(int fd, int level, int name, void *value, uint32_t len)',
) as (fd: number, level: number, name: number, value: Buffer, len: number) => number;

export const send = libc.func('intptr_t send(int fd, void *buf, size_t len, int flags)') as (
  fd: number,
  buf: Buffer,
  len: number,
  flags: number,
) => number;

export const recv = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as (
  fd: number,
  buf: Buffer,
  len: number,
  flags: number,
) => number;

export const close = libc.func('int close(int fd)') as (fd: number) => number;

const pollFn = libc.func('int poll(void *fds, uint64_t nfds, int timeout)');

/**
 * poll() on a worker thread, so that waiting for the kernel never blocks the event loop.
 * Resolves with poll's return value; errno is not reliable across threads, so callers treat
 * -1 like a wake-up and re-check their deadline.
 */
export function pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    pollFn.async(fds, nfds, timeoutMs, (err: unknown, res: number) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** errno left by the last synchronous call on this thread. */
export function errno(): number {
  return koffi.errno();
}

// Linux x86_64/arm64 values from <sys/socket.h>, <linux/netlink.h> and <poll.h>.
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const POLLIN = 0x1;
