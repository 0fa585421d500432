// Attributes read where they lie, for decoders of large dumps that walk a nest once with a
// switch over its types: no object, array or Buffer per nest or per attribute. The framing
// checks and error texts are those of Attributes. An attribute is named by the offset of its
// header (-1: absent); its payload starts NLA_HDRLEN further.
import { NLA_HDRLEN, NLA_TYPE_MASK } from './attributes.js';
import { le16, le32, le64Number } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

/** The attribute at `at` has no room for its header, or claims more than buf[at, end) holds. */
function badFraming(buf: Buffer, at: number, end: number, what: string): NetlinkDecodeError {
  if (end - at < NLA_HDRLEN) {
    return new NetlinkDecodeError(
      `${what}: ${end - at} trailing bytes, too short for an attribute header`,
    );
  }
  return new NetlinkDecodeError(
    `${what}: attribute ${attributeType(buf, at)} has length ${le16(buf, at)}, ${end - at} bytes left`,
  );
}

/**
 * The offset of the attribute after the one at `at`, once that one's framing is checked against
 * the end of its run: walk with `for (let at = from; at < to; at = next)` after reading the type.
 */
export function nextAttribute(buf: Buffer, at: number, end: number, what: string): number {
  if (end - at < NLA_HDRLEN) throw badFraming(buf, at, end, what);
  const len = buf[at]! | (buf[at + 1]! << 8);
  if (len < NLA_HDRLEN || at + len > end) throw badFraming(buf, at, end, what);
  return at + ((len + 3) & ~3);
}

/** The type of the attribute at `at`, without the flag bits. */
export function attributeType(buf: Buffer, at: number): number {
  return le16(buf, at + 2) & NLA_TYPE_MASK;
}

/** The payload length of the attribute at `at`. */
export function payloadLength(buf: Buffer, at: number): number {
  return le16(buf, at) - NLA_HDRLEN;
}

function tooShort(buf: Buffer, at: number, size: number, what: string): NetlinkDecodeError {
  return new NetlinkDecodeError(
    `${what}: attribute ${attributeType(buf, at)} has ${payloadLength(buf, at)} bytes, expected ${size}`,
  );
}

/** The payload offset of the attribute at `at`, after checking it holds at least `size` bytes. */
export function payloadOf(buf: Buffer, at: number, size: number, what: string): number {
  if (payloadLength(buf, at) < size) throw tooShort(buf, at, size, what);
  return at + NLA_HDRLEN;
}

/**
 * The payload of the attribute at `at` as an unsigned number of `size` bytes, 4 or 8 (host
 * order; above 2^53 the nearest double), after checking its size. In as few calls as it takes:
 * counters are most of what a listing reads, often before the JIT has compiled this.
 */
export function unsignedOf(buf: Buffer, at: number, size: 4 | 8, what: string): number {
  if ((buf[at]! | (buf[at + 1]! << 8)) - NLA_HDRLEN < size) throw tooShort(buf, at, size, what);
  return size === 4 ? le32(buf, at + NLA_HDRLEN) : le64Number(buf, at + NLA_HDRLEN);
}

/** The payload of the attribute at `at` as a string, up to its first NUL. */
export function stringOf(buf: Buffer, at: number): string {
  const start = at + NLA_HDRLEN;
  const end = at + le16(buf, at);
  let nul = start;
  while (nul < end && buf[nul] !== 0) nul++;
  return buf.toString('utf8', start, nul);
}

/** The error for a required attribute that is absent. */
export function missingAttribute(what: string, type: number): NetlinkDecodeError {
  return new NetlinkDecodeError(`${what}: attribute ${type} is missing`);
}
