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
export function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

/** Builds a sequence of attributes; nests read as nested calls. */
export class AttributeEncoder {
  private readonly parts: Buffer[] = [];
  private length = 0;

  private put(type: number, payload: Buffer): this {
    const size = NLA_HDRLEN + payload.length;
    if (size > 0xffff) throw new RangeError(`attribute ${type} is too large (${size} bytes)`);
    const buf = Buffer.alloc(align4(size));
    buf.writeUInt16LE(size, 0);
    buf.writeUInt16LE(type, 2);
    payload.copy(buf, NLA_HDRLEN);
    this.parts.push(buf);
    this.length += buf.length;
    return this;
  }

  /** An unsigned 8-bit value. */
  u8(type: number, value: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    return this.put(type, b);
  }

  /** An unsigned 16-bit value in host (little-endian) order. */
  u16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.put(type, b);
  }

  /** A 16-bit value in network byte order (ports). */
  be16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.put(type, b);
  }

  /** An unsigned 32-bit value in host (little-endian) order. */
  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.put(type, b);
  }

  /** A 32-bit value in network byte order (IPv4 masks). */
  be32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    return this.put(type, b);
  }

  /** An unsigned 64-bit value in host (little-endian) order. */
  u64(type: number, value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    return this.put(type, b);
  }

  /** A NUL-terminated string. */
  string(type: number, value: string): this {
    return this.put(type, Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]));
  }

  /** Raw bytes, as given. */
  bytes(type: number, value: Buffer | Uint8Array): this {
    return this.put(type, Buffer.from(value));
  }

  /** An attribute with no payload: its presence is the value. */
  flag(type: number): this {
    return this.put(type, Buffer.alloc(0));
  }

  /** A nest: `build` fills the inner attributes; `markNested` sets NLA_F_NESTED on the type. */
  nested(type: number, build: (inner: AttributeEncoder) => void, markNested = false): this {
    const inner = new AttributeEncoder();
    build(inner);
    return this.put(markNested ? type | NLA_F_NESTED : type, inner.encode());
  }

  /** The attributes so far, each padded to 4 bytes. */
  encode(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/**
 * A parsed attribute table, read by type. Required readers throw NetlinkDecodeError when the
 * attribute is missing or has the wrong size; `opt*` readers return undefined when it is absent.
 * When a type repeats, the last one wins (as the kernel's nla_parse does); `all` gives every one.
 */
export class Attributes {
  private readonly byType = new Map<number, Buffer>();
  private readonly list: Array<{ type: number; data: Buffer }> = [];

  private constructor(private readonly what: string) {}

  /** Parses a run of attributes; `what` names them in decode errors. */
  static parse(buf: Buffer, what = 'attributes'): Attributes {
    const attrs = new Attributes(what);
    let off = 0;
    while (off < buf.length) {
      if (buf.length - off < NLA_HDRLEN) {
        throw new NetlinkDecodeError(
          `${what}: ${buf.length - off} trailing bytes, too short for an attribute header`,
        );
      }
      const len = buf.readUInt16LE(off);
      const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
      if (len < NLA_HDRLEN || off + len > buf.length) {
        throw new NetlinkDecodeError(
          `${what}: attribute ${type} has length ${len}, ${buf.length - off} bytes left`,
        );
      }
      const data = buf.subarray(off + NLA_HDRLEN, off + len);
      attrs.byType.set(type, data);
      attrs.list.push({ type, data });
      off += align4(len);
    }
    return attrs;
  }

  /** True when an attribute of this type is present. */
  has(type: number): boolean {
    return this.byType.has(type);
  }

  /** Every attribute in wire order, repeats included. */
  all(): ReadonlyArray<{ type: number; data: Buffer }> {
    return this.list;
  }

  private sized(type: number, size: number | null): Buffer | undefined {
    const data = this.byType.get(type);
    if (data === undefined) return undefined;
    if (size !== null && data.length < size) {
      throw new NetlinkDecodeError(
        `${this.what}: attribute ${type} has ${data.length} bytes, expected ${size}`,
      );
    }
    return data;
  }

  private required<T>(type: number, value: T | undefined): T {
    if (value === undefined)
      throw new NetlinkDecodeError(`${this.what}: attribute ${type} is missing`);
    return value;
  }

  optU8(type: number): number | undefined {
    return this.sized(type, 1)?.readUInt8(0);
  }
  optU16(type: number): number | undefined {
    return this.sized(type, 2)?.readUInt16LE(0);
  }
  optBe16(type: number): number | undefined {
    return this.sized(type, 2)?.readUInt16BE(0);
  }
  optU32(type: number): number | undefined {
    return this.sized(type, 4)?.readUInt32LE(0);
  }
  optBe32(type: number): number | undefined {
    return this.sized(type, 4)?.readUInt32BE(0);
  }
  optU64(type: number): bigint | undefined {
    return this.sized(type, 8)?.readBigUInt64LE(0);
  }
  /** A string up to its first NUL (or the whole payload when unterminated). */
  optString(type: number): string | undefined {
    const data = this.sized(type, null);
    if (data === undefined) return undefined;
    const nul = data.indexOf(0);
    return data.toString('utf8', 0, nul === -1 ? data.length : nul);
  }
  optBytes(type: number): Buffer | undefined {
    return this.sized(type, null);
  }
  optNested(type: number, what?: string): Attributes | undefined {
    const data = this.sized(type, null);
    return data === undefined ? undefined : Attributes.parse(data, what ?? `${this.what}/${type}`);
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
