import { NetlinkDecodeError } from '../errors.js';

// struct genlmsghdr from include/uapi/linux/genetlink.h.
/** Size of struct genlmsghdr. */
export const GENL_HDRLEN = 4;

/** The fields of struct genlmsghdr that mean something (the rest is reserved). */
export interface GenlHeader {
  command: number;
  version: number;
}

/** A genl header followed by encoded attributes: the payload of a generic netlink message. */
export function encodeGenl(header: GenlHeader, attributes: Buffer): Buffer {
  const buf = Buffer.alloc(GENL_HDRLEN + attributes.length);
  buf.writeUInt8(header.command, 0);
  buf.writeUInt8(header.version, 1);
  attributes.copy(buf, GENL_HDRLEN);
  return buf;
}

/** Splits a generic netlink payload into its header and its attribute bytes. */
export function decodeGenl(payload: Buffer): GenlHeader & { attributes: Buffer } {
  if (payload.length < GENL_HDRLEN) {
    throw new NetlinkDecodeError(
      `generic netlink: ${payload.length} bytes, too short for a header`,
    );
  }
  return {
    command: payload.readUInt8(0),
    version: payload.readUInt8(1),
    attributes: payload.subarray(GENL_HDRLEN),
  };
}

/** Writes a genl header into the first GENL_HDRLEN bytes of `buf` (left zero: reserved). */
export function writeGenlHeader(buf: Buffer, header: GenlHeader): void {
  buf[0] = header.command;
  buf[1] = header.version;
}
