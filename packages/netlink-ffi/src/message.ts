import { Attributes, align4 } from './attributes.js';
import { le32 } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

// struct nlmsghdr and its flags, from include/uapi/linux/netlink.h; host byte order.

/** Size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** A request (every message we send). */
export const NLM_F_REQUEST = 0x1;
/** Part of a multi-part reply (dumps). */
export const NLM_F_MULTI = 0x2;
/** Asks for an acknowledgement (an NLMSG_ERROR with errno 0). */
export const NLM_F_ACK = 0x4;
/** Set by the kernel on a dump whose table changed while it was read: the dump may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
/** Get modifier: the whole table. */
export const NLM_F_ROOT = 0x100;
/** Get modifier: every entry matching the request. */
export const NLM_F_MATCH = 0x200;
/** A dump request: ROOT | MATCH. */
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** New-request modifier: replace an existing object. */
export const NLM_F_REPLACE = 0x100;
/** New-request modifier: fail with EEXIST when the object exists. */
export const NLM_F_EXCL = 0x200;
/** New-request modifier: create the object when it does not exist. */
export const NLM_F_CREATE = 0x400;
/** On NLMSG_ERROR: the echoed request is only its header (NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** On NLMSG_ERROR: extended-ack attributes follow the echoed request. */
export const NLM_F_ACK_TLVS = 0x200;

/** Message types the netlink core itself uses. */
export const NLMSG_NOOP = 1;
/** An error, or an acknowledgement when its errno is 0. */
export const NLMSG_ERROR = 2;
/** The end of a dump. */
export const NLMSG_DONE = 3;

// enum nlmsgerr_attrs
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

/** One netlink message: the nlmsghdr fields and what follows the header. */
export interface NetlinkMessage {
  /** NLMSG_* control type, the protocol's message type, or a generic netlink family id. */
  type: number;
  /** NLM_F_* bits. */
  flags: number;
  /** Sequence number; replies echo the request's. */
  seq: number;
  /** Sender port id: 0 for the kernel, or to let the kernel fill it in. */
  pid: number;
  payload: Buffer;
}

/** One message as bytes, padded to 4 bytes; the header's length excludes the padding. */
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

/**
 * The length of the message at `at` in buf[0, end), from its header, after checking that the
 * header and the whole message fit. Readers step to the next message at `at + align4(length)`.
 */
export function messageLength(buf: Buffer, at: number, end: number): number {
  if (end - at < NLMSG_HDRLEN) {
    throw new NetlinkDecodeError(`message: ${end - at} trailing bytes, too short for a header`);
  }
  const len = le32(buf, at);
  if (len < NLMSG_HDRLEN || at + len > end) {
    throw new NetlinkDecodeError(`message: length ${len} with ${end - at} bytes left`);
  }
  return len;
}

/** The message at `at` (of `length` bytes, checked), its payload a view into `buf`. */
export function messageAt(buf: Buffer, at: number, length: number): NetlinkMessage {
  return {
    type: buf.readUInt16LE(at + 4),
    flags: buf.readUInt16LE(at + 6),
    seq: buf.readUInt32LE(at + 8),
    pid: buf.readUInt32LE(at + 12),
    payload: buf.subarray(at + NLMSG_HDRLEN, at + length),
  };
}

/** Splits one datagram into its messages. */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  for (let off = 0; off < buf.length;) {
    const len = messageLength(buf, off, buf.length);
    out.push(messageAt(buf, off, len));
    off += align4(len);
  }
  return out;
}

/** What an NLMSG_ERROR message says. */
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
  // Checked before any arithmetic: a huge echoed length must not wrap into a valid-looking offset.
  if (echoedLen < NLMSG_HDRLEN || echoedLen > p.length - 4)
    throw new NetlinkDecodeError(
      `error reply: echoed request of ${echoedLen} bytes does not fit the ${p.length - 4} left`,
    );
  const tlvStart = Math.min(4 + align4(echoedLen), p.length);
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

/** The same, of the NLMSG_DONE message at `at` (`length` bytes, checked) in `buf`. */
export function doneErrno(buf: Buffer, at: number, length: number): number {
  return length >= NLMSG_HDRLEN + 4 ? -buf.readInt32LE(at + NLMSG_HDRLEN) : 0;
}
