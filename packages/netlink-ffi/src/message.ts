import { Attributes, align4 } from './attributes.js';
import { NetlinkDecodeError } from './errors.js';

// struct nlmsghdr from include/uapi/linux/netlink.h, host byte order.
export const NLMSG_HDRLEN = 16;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of NEW requests.
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// Flags on NLMSG_ERROR replies.
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

// enum nlmsgerr_attrs
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

export function encodeMessage(msg: NetlinkMessage): Buffer {
  const len = NLMSG_HDRLEN + msg.payload.length;
  const buf = Buffer.alloc(align4(len));
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(msg.type, 4);
  buf.writeUInt16LE(msg.flags, 6);
  buf.writeUInt32LE(msg.seq >>> 0, 8);
  buf.writeUInt32LE(msg.pid >>> 0, 12);
  msg.payload.copy(buf, NLMSG_HDRLEN);
  return buf;
}

/** Splits one datagram into its messages. */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLMSG_HDRLEN) {
      throw new NetlinkDecodeError(
        `message: ${buf.length - off} trailing bytes, too short for a header`,
      );
    }
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new NetlinkDecodeError(`message: length ${len} with ${buf.length - off} bytes left`);
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface ErrorReply {
  /** Positive errno; 0 for an acknowledgement. */
  errno: number;
  /** Extended-ack message text, when the kernel sent one. */
  message?: string;
  /** Extended-ack offset of the offending attribute in our request. */
  offset?: number;
}

/** Reads the payload of an NLMSG_ERROR message (struct nlmsgerr, then optional ext-ack TLVs). */
export function parseErrorReply(msg: NetlinkMessage): ErrorReply {
  const p = msg.payload;
  if (p.length < 4)
    throw new NetlinkDecodeError(`error reply: ${p.length} bytes, expected at least 4`);
  const errno = -p.readInt32LE(0);
  const reply: ErrorReply = { errno };
  if (!(msg.flags & NLM_F_ACK_TLVS) || p.length < 4 + NLMSG_HDRLEN) return reply;
  // The echoed request follows: its header only when capped, else the whole request.
  const echoedLen = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : p.readUInt32LE(4);
  const tlvStart = 4 + align4(echoedLen);
  if (tlvStart > p.length)
    throw new NetlinkDecodeError(
      `error reply: echoed request of ${echoedLen} bytes overruns the payload`,
    );
  const tlvs = Attributes.parse(p.subarray(tlvStart), 'extended ack');
  const message = tlvs.optString(NLMSGERR_ATTR_MSG);
  const offset = tlvs.optU32(NLMSGERR_ATTR_OFFS);
  if (message !== undefined && message !== '') reply.message = message;
  if (offset !== undefined) reply.offset = offset;
  return reply;
}

/** The error code carried by NLMSG_DONE (0 unless the dump failed midway). */
export function parseDoneReply(msg: NetlinkMessage): number {
  return msg.payload.length >= 4 ? -msg.payload.readInt32LE(0) : 0;
}
