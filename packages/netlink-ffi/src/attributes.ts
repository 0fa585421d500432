import { be16, be32, le16, le32, le64Number } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

// Attribute framing from include/uapi/linux/netlink.h: struct nlattr { u16 nla_len; u16 nla_type; },
// payload padded to NLA_ALIGNTO (4); nla_len counts header + payload without the trailing padding.
/** Size of struct nlattr. */
export const NLA_HDRLEN = 4;
/** Type bit marking a nested attribute (optional for IPVS, required by newer rtnetlink checks). */
export const NLA_F_NESTED = 0x8000;
/** Type bit marking a payload in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** The type without the two flag bits. */
export const NLA_TYPE_MASK = 0x3fff;

/** `n` rounded up to a multiple of 4 (NLMSG_ALIGN / NLA_ALIGN), exact for any u32. */
export function align4(length: number): number {
  return length + ((4 - (length % 4)) % 4);
}

/**
 * Builds a sequence of attributes; nests read as nested calls. Everything is written into one
 * growing buffer, so a request costs one allocation however many attributes it has (a listing
 * sends one GET_DEST per service). `headroom` leaves that many zero bytes in front, for a fixed
 * header the caller writes into encode()'s result (genlmsghdr).
 */
export class AttributeEncoder {
  private buf: Buffer;
  private length: number;

  constructor(headroom = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(128, align4(headroom)));
    this.zero(0, headroom);
    this.length = headroom;
  }

  /** Zeroes buf[from, to): a few bytes of padding, cheaper by hand than through fill(). */
  private zero(from: number, to: number): void {
    for (let i = from; i < to; i++) this.buf[i] = 0;
  }

  /** Room for `size` more bytes. */
  private reserve(size: number): void {
    if (this.length + size <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + size));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  /**
   * Writes the header and padding of an attribute; its payload goes at the offset returned, in
   * this.buf as it is after the call (growing replaces it).
   */
  private put(type: number, payloadSize: number): number {
    const size = NLA_HDRLEN + payloadSize;
    if (size > 0xffff) throw new RangeError(`attribute ${type} is too large (${size} bytes)`);
    const padded = align4(size);
    this.reserve(padded);
    const at = this.length;
    this.buf.writeUInt16LE(size, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.zero(at + size, at + padded);
    this.length += padded;
    return at + NLA_HDRLEN;
  }

  /** An unsigned 8-bit value. */
  u8(type: number, value: number): this {
    const at = this.put(type, 1);
    this.buf.writeUInt8(value, at);
    return this;
  }

  /** An unsigned 16-bit value in host (little-endian) order. */
  u16(type: number, value: number): this {
    const at = this.put(type, 2);
    this.buf.writeUInt16LE(value, at);
    return this;
  }

  /** A 16-bit value in network byte order (ports). */
  be16(type: number, value: number): this {
    const at = this.put(type, 2);
    this.buf.writeUInt16BE(value, at);
    return this;
  }

  /** An unsigned 32-bit value in host (little-endian) order. */
  u32(type: number, value: number): this {
    const at = this.put(type, 4);
    this.buf.writeUInt32LE(value >>> 0, at);
    return this;
  }

  /** A 32-bit value in network byte order (IPv4 masks). */
  be32(type: number, value: number): this {
    const at = this.put(type, 4);
    this.buf.writeUInt32BE(value >>> 0, at);
    return this;
  }

  /** An unsigned 64-bit value in host (little-endian) order. */
  u64(type: number, value: bigint): this {
    const at = this.put(type, 8);
    this.buf.writeBigUInt64LE(value, at);
    return this;
  }

  /** A NUL-terminated string. */
  string(type: number, value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    const at = this.put(type, size + 1);
    this.buf.write(value, at, size, 'utf8');
    this.buf[at + size] = 0;
    return this;
  }

  /** Raw bytes, as given. */
  bytes(type: number, value: Buffer | Uint8Array): this {
    const at = this.put(type, value.length);
    this.buf.set(value, at);
    return this;
  }

  /**
   * `size` bytes written in place by `fill`, which gets the buffer and the payload's offset
   * (an address written straight from its text, with no Buffer of its own).
   */
  filled(type: number, size: number, fill: (buf: Buffer, at: number) => void): this {
    const at = this.put(type, size);
    this.zero(at, at + size);
    fill(this.buf, at);
    return this;
  }

  /** An attribute with no payload: its presence is the value. */
  flag(type: number): this {
    this.put(type, 0);
    return this;
  }

  /** A nest: `build` fills the inner attributes; `markNested` sets NLA_F_NESTED on the type. */
  nested(type: number, build: (inner: AttributeEncoder) => void, markNested = false): this {
    this.reserve(NLA_HDRLEN);
    const at = this.length;
    this.length += NLA_HDRLEN;
    build(this); // the inner attributes follow the nest's header in the same buffer
    const size = this.length - at;
    if (size > 0xffff) throw new RangeError(`attribute ${type} is too large (${size} bytes)`);
    this.buf.writeUInt16LE(size, at);
    this.buf.writeUInt16LE(markNested ? type | NLA_F_NESTED : type, at + 2);
    return this;
  }

  /**
   * The headroom and the attributes so far, each padded to 4 bytes: a view of the encoder's own
   * buffer, which later attributes do not change.
   */
  encode(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * A parsed attribute table, read by type. Required readers throw NetlinkDecodeError when the
 * attribute is missing or has the wrong size; `opt*` readers return undefined when it is absent.
 * When a type repeats, the last one wins (as the kernel's nla_parse does); `all` gives every one.
 * Attributes are kept as offsets into the one buffer they came in and read byte by byte: a dump
 * of thousands of entries makes no Buffer per attribute (what `lvscare ipvs list` spends on).
 */
export class Attributes {
  /** Per type, the index into starts/ends of its last occurrence. */
  private readonly byType: number[] = [];
  private readonly types: number[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  private constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  /** Parses a run of attributes; `what` names them in decode errors. */
  static parse(buf: Buffer, what = 'attributes'): Attributes {
    return Attributes.parseRange(buf, 0, buf.length, what);
  }

  private static parseRange(buf: Buffer, from: number, to: number, what: string): Attributes {
    const attrs = new Attributes(buf, what);
    let off = from;
    while (off < to) {
      if (to - off < NLA_HDRLEN) {
        throw new NetlinkDecodeError(
          `${what}: ${to - off} trailing bytes, too short for an attribute header`,
        );
      }
      const len = le16(buf, off);
      const type = le16(buf, off + 2) & NLA_TYPE_MASK;
      if (len < NLA_HDRLEN || off + len > to) {
        throw new NetlinkDecodeError(
          `${what}: attribute ${type} has length ${len}, ${to - off} bytes left`,
        );
      }
      attrs.byType[type] = attrs.types.length;
      attrs.types.push(type);
      attrs.starts.push(off + NLA_HDRLEN);
      attrs.ends.push(off + len);
      off += (len + 3) & ~3;
    }
    return attrs;
  }

  /** True when an attribute of this type is present. */
  has(type: number): boolean {
    return this.byType[type] !== undefined;
  }

  /** Every attribute in wire order, repeats included. */
  all(): ReadonlyArray<{ type: number; data: Buffer }> {
    return this.types.map((type, i) => ({
      type,
      data: this.buf.subarray(this.starts[i], this.ends[i]),
    }));
  }

  /** The payload's start offset in `buf`, after checking it holds at least `size` bytes. */
  private sized(type: number, size: number): number | undefined {
    const i = this.byType[type];
    if (i === undefined) return undefined;
    const start = this.starts[i]!;
    const length = this.ends[i]! - start;
    if (length < size) {
      throw new NetlinkDecodeError(
        `${this.what}: attribute ${type} has ${length} bytes, expected ${size}`,
      );
    }
    return start;
  }

  private required<T>(type: number, value: T | undefined): T {
    if (value === undefined)
      throw new NetlinkDecodeError(`${this.what}: attribute ${type} is missing`);
    return value;
  }

  optU8(type: number): number | undefined {
    const o = this.sized(type, 1);
    return o === undefined ? undefined : this.buf[o]!;
  }
  optU16(type: number): number | undefined {
    const o = this.sized(type, 2);
    return o === undefined ? undefined : le16(this.buf, o);
  }
  optBe16(type: number): number | undefined {
    const o = this.sized(type, 2);
    return o === undefined ? undefined : be16(this.buf, o);
  }
  optU32(type: number): number | undefined {
    const o = this.sized(type, 4);
    return o === undefined ? undefined : le32(this.buf, o);
  }
  optBe32(type: number): number | undefined {
    const o = this.sized(type, 4);
    return o === undefined ? undefined : be32(this.buf, o);
  }
  optU64(type: number): bigint | undefined {
    const o = this.sized(type, 8);
    return o === undefined ? undefined : this.buf.readBigUInt64LE(o);
  }
  /**
   * An unsigned 64-bit value as a number: exact below 2^53, the nearest double above (counters
   * that a number is enough for, without a BigInt per read).
   */
  optU64Number(type: number): number | undefined {
    const o = this.sized(type, 8);
    return o === undefined ? undefined : le64Number(this.buf, o);
  }
  /** A string up to its first NUL (or the whole payload when unterminated). */
  optString(type: number): string | undefined {
    const o = this.sized(type, 0);
    if (o === undefined) return undefined;
    const end = this.ends[this.byType[type]!]!;
    const nul = this.buf.indexOf(0, o);
    return this.buf.toString('utf8', o, nul === -1 || nul > end ? end : nul);
  }
  optBytes(type: number): Buffer | undefined {
    const o = this.sized(type, 0);
    return o === undefined ? undefined : this.buf.subarray(o, this.ends[this.byType[type]!]);
  }
  optNested(type: number, what?: string): Attributes | undefined {
    const o = this.sized(type, 0);
    return o === undefined
      ? undefined
      : Attributes.parseRange(
          this.buf,
          o,
          this.ends[this.byType[type]!]!,
          what ?? `${this.what}/${type}`,
        );
  }

  u8(type: number): number {
    return this.required(type, this.optU8(type));
  }
  u16(type: number): number {
    return this.required(type, this.optU16(type));
  }
  be16(type: number): number {
    return this.required(type, this.optBe16(type));
  }
  u32(type: number): number {
    return this.required(type, this.optU32(type));
  }
  be32(type: number): number {
    return this.required(type, this.optBe32(type));
  }
  u64(type: number): bigint {
    return this.required(type, this.optU64(type));
  }
  string(type: number): string {
    return this.required(type, this.optString(type));
  }
  bytes(type: number): Buffer {
    return this.required(type, this.optBytes(type));
  }
  nested(type: number, what?: string): Attributes {
    return this.required(type, this.optNested(type, what));
  }
}
