import { constants } from 'node:os';

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** The symbolic name of a positive errno value ("EEXIST"), or "E<n>" when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The errno value of a symbolic name, for code that compares against the kernel's answers. */
export function errnoValue(name: keyof typeof constants.errno): number {
  return constants.errno[name];
}

export interface NetlinkErrorDetails {
  /** Positive errno value. */
  errno: number;
  /** What we were doing, e.g. "IPVS NEW_DEST" or "recv". */
  operation: string;
  /** The kernel's extended-ack message, when it sent one. */
  kernelMessage?: string | undefined;
  /** A sentence that tells the operator what to do, replacing the generic text. */
  hint?: string | undefined;
}

/** A failure reported by the kernel or by a socket call: always carries an errno. */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly operation: string;
  readonly kernelMessage: string | undefined;

  constructor(details: NetlinkErrorDetails) {
    const code = errnoName(details.errno);
    const kernel = details.kernelMessage ? ` (kernel: ${details.kernelMessage})` : '';
    super(details.hint ?? `${details.operation} failed: ${code}${kernel}`);
    this.name = 'NetlinkError';
    this.errno = details.errno;
    this.code = code;
    this.operation = details.operation;
    this.kernelMessage = details.kernelMessage;
  }

  static readonly EPERM = constants.errno.EPERM;
  static readonly ESRCH = constants.errno.ESRCH;
  static readonly ENODATA = constants.errno.ENODATA;

  /** True when this error carries the given symbolic errno. */
  is(code: string): boolean {
    return this.code === code;
  }
}

/** Bytes that do not form a valid netlink message or attribute. The only error decoders throw. */
export class NetlinkDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetlinkDecodeError';
  }
}
