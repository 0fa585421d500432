import * as libc from './ffi/libc.js';
import { NetlinkError } from './errors.js';
import { constants } from 'node:os';

const { EAGAIN, EINTR, EMSGSIZE, ETIMEDOUT, EBADF } = constants.errno;

/** rtnetlink: links, addresses, routes (include/uapi/linux/netlink.h). */
export const NETLINK_ROUTE = 0;
/** Generic netlink: families such as IPVS, resolved by name. */
export const NETLINK_GENERIC = 16;

/**
 * What a NetlinkConnection needs of a socket: the real NetlinkSocket, or a scripted stand-in in
 * tests (`@kha/netlink-ffi/testing`).
 */
export interface NetlinkTransport {
  /** Sends one datagram (one or more messages); its bytes are only valid during the call. */
  send(datagram: Buffer): void;
  /**
   * The next datagram when one is queued, else undefined, without waiting. The bytes are only
   * valid until the next call (they are the socket's receive buffer): read them, do not keep them.
   */
  receiveNow(): Buffer | undefined;
  /**
   * Resolves once a datagram may be queued (callers then try receiveNow again), or rejects with
   * ETIMEDOUT at `deadline` (performance.now()).
   */
  readable(deadline: number): Promise<void>;
  /** Releases the socket; later calls fail with EBADF. */
  close(): void;
}

// Dump chunks are at most 32 KiB (the kernel caps them); twice that leaves room.
const RECEIVE_BUFFER_BYTES = 64 * 1024;

/**
 * A bound netlink socket in the caller's network namespace. Sends are synchronous (the kernel
 * handles IPVS and rtnetlink requests inside sendmsg), and so are receives of what is queued
 * already; waiting for more is poll() on a worker thread, bounded by a deadline, and never
 * blocks the event loop.
 */
export class NetlinkSocket implements NetlinkTransport {
  /** The port id the kernel gave this socket. */
  readonly portId: number;
  private fd: number;
  private readonly rx = Buffer.alloc(RECEIVE_BUFFER_BYTES);
  private readonly pollfd = Buffer.alloc(8);

  private constructor(fd: number, portId: number) {
    this.fd = fd;
    this.portId = portId;
  }

  /** Opens and binds a socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC). */
  static open(protocol: number): NetlinkSocket {
    const fd = libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, protocol);
    if (fd < 0) throw new NetlinkError({ errno: libc.errno(), operation: 'socket(AF_NETLINK)' });
    try {
      const addr = Buffer.alloc(12);
      addr.writeUInt16LE(libc.AF_NETLINK, 0);
      if (libc.bind(fd, addr, addr.length) < 0) {
        throw new NetlinkError({ errno: libc.errno(), operation: 'bind(AF_NETLINK)' });
      }
      const len = Buffer.alloc(4);
      len.writeUInt32LE(addr.length);
      if (libc.getsockname(fd, addr, len) < 0) {
        throw new NetlinkError({ errno: libc.errno(), operation: 'getsockname' });
      }
      const sock = new NetlinkSocket(fd, addr.readUInt32LE(4));
      // Acks without the echoed request, and error strings from the kernel. Both are optional
      // on old kernels, so a failure here is not fatal.
      libc.setIntSocketOption(fd, libc.SOL_NETLINK, libc.NETLINK_CAP_ACK, 1);
      libc.setIntSocketOption(fd, libc.SOL_NETLINK, libc.NETLINK_EXT_ACK, 1);
      return sock;
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.fd < 0;
  }

  /** Sends one datagram, retrying EINTR. */
  send(message: Buffer): void {
    const fd = this.liveFd('send');
    for (;;) {
      const n = libc.send(fd, message, message.length, 0);
      if (n >= 0) return;
      const e = libc.errno();
      if (e !== EINTR) throw new NetlinkError({ errno: e, operation: 'send' });
    }
  }

  /**
   * The next queued datagram, or undefined when there is none (EAGAIN). The Buffer is a view of
   * the socket's receive buffer, overwritten by the next receive. Throws EMSGSIZE when the
   * datagram did not fit (MSG_TRUNC), since a partial reply cannot be trusted.
   */
  receiveNow(): Buffer | undefined {
    for (;;) {
      const fd = this.liveFd('recv');
      const n = libc.recv(fd, this.rx, this.rx.length, libc.MSG_DONTWAIT | libc.MSG_TRUNC);
      if (n > this.rx.length) {
        throw new NetlinkError({
          errno: EMSGSIZE,
          operation: `recv: ${n}-byte datagram truncated to ${this.rx.length}`,
        });
      }
      if (n >= 0) return this.rx.subarray(0, n);
      const e = libc.errno();
      if (e === EAGAIN) return undefined;
      if (e !== EINTR) throw new NetlinkError({ errno: e, operation: 'recv' });
    }
  }

  /** Waits, off the event loop, until the socket is readable or `deadline` (performance.now()). */
  async readable(deadline: number): Promise<void> {
    const fd = this.liveFd('recv');
    const remaining = Math.ceil(deadline - performance.now());
    if (remaining <= 0)
      throw new NetlinkError({
        errno: ETIMEDOUT,
        operation: 'recv: no reply before the deadline',
      });
    this.pollfd.writeInt32LE(fd, 0);
    this.pollfd.writeInt16LE(libc.POLLIN, 4);
    this.pollfd.writeInt16LE(0, 6);
    await libc.pollAsync(this.pollfd, 1, remaining);
  }

  /** Closes the descriptor; idempotent. */
  close(): void {
    if (this.fd >= 0) {
      libc.close(this.fd);
      this.fd = -1;
    }
  }

  private liveFd(operation: string): number {
    if (this.fd < 0)
      throw new NetlinkError({ errno: EBADF, operation: `${operation}: socket is closed` });
    return this.fd;
  }
}
