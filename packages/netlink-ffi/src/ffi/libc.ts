// The only file that talks to libc. Everything above it passes Buffers and numbers.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const require = createRequire(import.meta.url);

/**
 * koffi's native module, loaded straight from its platform package when that works. koffi's own
 * entry finds the same file by reading the ELF header of the node binary (glibc or musl) through
 * a page of bundled JavaScript, which every start-up would compile and run before its first
 * netlink call, `lvscare ipvs list` and the daemon's first reconcile after a reboot included
 * (figures in bench/README.md). What we call (load,
 * func, errno) is the native module's own; the entry adds only deprecated aliases. Any failure
 * (musl, another layout after an upgrade) falls back to the entry, which knows every platform.
 */
function loadKoffi(): { koffi: typeof Koffi; from: 'platform package' | 'koffi entry' } {
  const { platform, arch } = process;
  try {
    const native = `@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`;
    return { koffi: require(native) as typeof Koffi, from: 'platform package' };
  } catch {
    return { koffi: require('koffi') as typeof Koffi, from: 'koffi entry' };
  }
}

const loaded = loadKoffi();
const koffi = loaded.koffi;
/** Where koffi came from this time: a test pins the fast path on the platforms we build for. */
export const koffiLoadedFrom = loaded.from;

const libc = koffi.load('libc.so.6');

/** socket(2); returns -1 with errno() set on failure. */
export const socket = libc.func('int socket(int domain, int type, int protocol)') as (
  domain: number,
  type: number,
  protocol: number,
) => number;

/** bind(2); returns -1 with errno() set on failure. */
export const bind = libc.func('int bind(int fd, void *addr, uint32_t addrlen)') as (
  fd: number,
  addr: Buffer,
  addrlen: number,
) => number;

/** getsockname(2); returns -1 with errno() set on failure. */
export const getsockname = libc.func('int getsockname(int fd, void *addr, void *addrlen)') as (
  fd: number,
  addr: Buffer,
  addrlen: Buffer,
) => number;

const setsockopt = libc.func(
  'int setsockopt(int fd, int level, int name, void *value, uint32_t len)',
) as (fd: number, level: number, name: number, value: Buffer, len: number) => number;

/** setsockopt() of an int option. Returns 0, or the errno it failed with. */
export function setIntSocketOption(fd: number, level: number, name: number, value: number): number {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  return setsockopt(fd, level, name, v, v.length) < 0 ? errno() : 0;
}

const getsockopt = libc.func(
  'int getsockopt(int fd, int level, int name, void *value, void *len)',
) as (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number;

/** getsockopt() into `into`. Returns the length the kernel wrote, or minus the errno it failed with. */
export function getSocketOption(fd: number, level: number, name: number, into: Buffer): number {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(into.length);
  return getsockopt(fd, level, name, into, len) < 0 ? -errno() : len.readUInt32LE();
}

/** send(2); returns -1 with errno() set on failure. */
export const send = libc.func('intptr_t send(int fd, void *buf, size_t len, int flags)') as (
  fd: number,
  buf: Buffer,
  len: number,
  flags: number,
) => number;

/** recv(2); returns -1 with errno() set on failure. */
export const recv = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as (
  fd: number,
  buf: Buffer,
  len: number,
  flags: number,
) => number;

/** close(2); returns -1 with errno() set on failure. */
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
      err
        ? reject(err instanceof Error ? err : new Error('poll failed', { cause: err }))
        : resolve(res),
    );
  });
}

/** errno left by the last synchronous call on this thread. */
export function errno(): number {
  return koffi.errno();
}

// Linux x86_64/arm64 values from <sys/socket.h>, <linux/netlink.h> and <poll.h>, the ones
// socket.ts uses.
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const POLLIN = 0x1;
