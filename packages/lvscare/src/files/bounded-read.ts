// Reads a file the daemon was pointed at (a CA, a kubeconfig, a client certificate, a state
// file) only when it is a regular file no larger than the caller expects: a FIFO or a device
// would block the event loop forever, a directory says nothing, and a file of gigabytes behind a
// path meant for a few kilobytes is a mistake or an attack, never something to load whole.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export class FileRefused extends Error {
  constructor(
    readonly path: string,
    /** Why, in a few words fit to follow the path in one line. */
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

const codeOf = (err: unknown): string =>
  err instanceof Error && 'code' in err ? String(err.code) : String(err);

/** The file's bytes, or FileRefused saying why it will not be read. Symbolic links are followed. */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new FileRefused(path, `cannot be read (${codeOf(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileRefused(path, 'not a regular file');
    if (st.size > maxBytes)
      throw new FileRefused(path, `${st.size} bytes, more than the ${maxBytes} allowed`);
    // Read at most one byte past the limit: a file that grew since fstat is caught too.
    const buf = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled > maxBytes)
        throw new FileRefused(path, `grew past the ${maxBytes} bytes allowed while read`);
    }
    return buf.subarray(0, filled);
  } catch (err) {
    if (err instanceof FileRefused) throw err;
    throw new FileRefused(path, `cannot be read (${codeOf(err)})`);
  } finally {
    closeSync(fd);
  }
}
