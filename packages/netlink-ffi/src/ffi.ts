// @kha/netlink-ffi/ffi: the libc calls other packages need, bound in the one place that loads
// libc through koffi (a second binding elsewhere would load libc again and duplicate its types).
import { getSystemErrorName } from 'node:util';
import * as libc from './ffi/libc.js';

/** A failed system call, shaped like Node's own (code "EBADF", errno 9, syscall "setsockopt"). */
export class SystemCallError extends Error {
  constructor(
    readonly syscall: string,
    /** Positive errno value. */
    readonly errno: number,
    what: string,
  ) {
    super(`${syscall}(${what}) failed: ${getSystemErrorName(-errno)}`);
    this.name = 'SystemCallError';
  }

  /** The errno's symbolic name. */
  get code(): string {
    return getSystemErrorName(-this.errno);
  }
}

/**
 * setsockopt() of an int option on any socket descriptor (what Node's net.Socket does not
 * expose, such as TCP_USER_TIMEOUT). `what` names the option in the error.
 */
export function setIntSocketOption(
  fd: number,
  level: number,
  name: number,
  value: number,
  what = `${level}, ${name}`,
): void {
  const errno = libc.setIntSocketOption(fd, level, name, value);
  if (errno !== 0) throw new SystemCallError('setsockopt', errno, what);
}

/**
 * getsockopt() of any option on any socket descriptor into `into` (what Node does not expose,
 * such as TCP_INFO); the number of bytes the kernel filled in. `what` names the option in the error.
 */
export function getSocketOption(
  fd: number,
  level: number,
  name: number,
  into: Buffer,
  what = `${level}, ${name}`,
): number {
  const filled = libc.getSocketOption(fd, level, name, into);
  if (filled < 0) throw new SystemCallError('getsockopt', -filled, what);
  return filled;
}
