import { constants } from 'node:os';

/** A symbolic errno name as Node knows it ("EEXIST", "ESRCH", ...). */
export type ErrnoName = keyof typeof constants.errno;

const errnoNames = new Map<number, ErrnoName>(
  Object.entries(constants.errno).map(([name, value]) => [value, name as ErrnoName]),
);

/** The symbolic name of a positive errno value ("EEXIST"), or "E<n>" when unknown. */
export function errnoName(errno: number): ErrnoName | `E${number}` {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The errno value of a symbolic name. */
export function errnoValue(name: ErrnoName): number {
  return constants.errno[name];
}

/** What a NetlinkError is made of. */
export interface NetlinkErrorDetails {
  /** Positive errno value. */
  errno: number;
  /** What we were doing, e.g. "IPVS NEW_DEST" or "recv". */
  operation: string;
  /** The kernel's extended-ack message, when it sent one. */
  kernelMessage?: string | undefined;
  /** A sentence that tells the operator what to do, replacing the generic text. */
  hint?: string | undefined;
  /** The error this one re-wraps (a socket failure under a request, a kernel error under a hint). */
  cause?: unknown;
}

/** A failure reported by the kernel or by a socket call: always carries an errno. */
export class NetlinkError extends Error {
  /** Positive errno value. */
  readonly errno: number;
  /** Its symbolic name, "EEXIST", or "E<n>" for a number Node does not name. */
  readonly code: ErrnoName | `E${number}`;
  /** What was being done, e.g. "IPVS NEW_DEST tcp 10.103.97.2:6443 -> 192.168.0.2:6443". */
  readonly operation: string;
  /** The kernel's extended-ack message, when it sent one. */
  readonly kernelMessage: string | undefined;

  constructor(details: NetlinkErrorDetails) {
    const code = errnoName(details.errno);
    const kernel = details.kernelMessage ? ` (kernel: ${details.kernelMessage})` : '';
    super(
      details.hint ?? `${details.operation} failed: ${code}${kernel}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'NetlinkError';
    this.errno = details.errno;
    this.code = code;
    this.operation = details.operation;
    this.kernelMessage = details.kernelMessage;
  }

  /** True when this error carries one of the given errno names. */
  is(...codes: ErrnoName[]): boolean {
    return (codes as string[]).includes(this.code);
  }

  /** The same failure with an operator-facing sentence in place of the generic text. */
  withHint(hint: string): NetlinkError {
    return new NetlinkError({ ...this.details(), hint, cause: this });
  }

  /** The same failure, named as part of a larger operation ("IPVS GET_INFO: recv ..."). */
  within(operation: string): NetlinkError {
    return new NetlinkError({
      ...this.details(),
      operation: `${operation}: ${this.operation}`,
      cause: this,
    });
  }

  private details(): NetlinkErrorDetails {
    return { errno: this.errno, operation: this.operation, kernelMessage: this.kernelMessage };
  }
}

/** True when `err` is a NetlinkError carrying one of the given errno names. */
export function isNetlinkError(err: unknown, ...codes: ErrnoName[]): err is NetlinkError {
  return err instanceof NetlinkError && (codes.length === 0 || err.is(...codes));
}

/** Bytes that do not form a valid netlink message or attribute. The only error decoders throw. */
export class NetlinkDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetlinkDecodeError';
  }
}
