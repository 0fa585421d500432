import { NLA_HDRLEN, NLA_TYPE_MASK } from './attributes.js';
import { be16, be32, le16, le32, le64Number } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

const EMPTY = Buffer.alloc(0);

/**
 * A reusable reader of one run of attributes with small type numbers, for decoders of large
 * dumps. index() walks the run once, checking its framing as Attributes.parse does (the same
 * errors), and notes where the last attribute of each type lies; reads then go straight to the
 * bytes. Unlike Attributes, it makes no object or array per run: an IPVS listing decodes three
 * nests per destination, thousands per dump. The reads check sizes and name missing attributes
 * with the same texts as Attributes. One instance serves one decoder: index() forgets the
 * previous run, and the buffer it reads must not change until the decoder is done with it.
 */
export class AttributeSlots {
  /** Per type, the payload's start offset in `buf`, -1 when absent. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private buf: Buffer = EMPTY;
  private what = '';

  /** Attributes of types above `maxType` are skipped (after their framing is checked). */
  constructor(maxType: number) {
    this.starts = new Int32Array(maxType + 1).fill(-1);
    this.ends = new Int32Array(maxType + 1);
  }

  /** Indexes the attributes in buf[from, to); `what` names them in decode errors. */
  index(buf: Buffer, from: number, to: number, what: string): this {
    this.starts.fill(-1);
    this.buf = buf;
    this.what = what;
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
      if (type < this.starts.length) {
        this.starts[type] = off + NLA_HDRLEN;
        this.ends[type] = off + len;
      }
      off += (len + 3) & ~3;
    }
    return this;
  }

  /** True when an attribute of this type is present. */
  has(type: number): boolean {
    return type < this.starts.length && this.starts[type]! >= 0;
  }

  /** The payload's start offset, after checking it holds at least `size` bytes; -1 when absent. */
  private sized(type: number, size: number): number {
    if (!this.has(type)) return -1;
    const start = this.starts[type]!;
    const length = this.ends[type]! - start;
    if (length < size) {
      throw new NetlinkDecodeError(
        `${this.what}: attribute ${type} has ${length} bytes, expected ${size}`,
      );
    }
    return start;
  }

  /** The error for a required attribute that is absent. */
  missing(type: number): NetlinkDecodeError {
    return new NetlinkDecodeError(`${this.what}: attribute ${type} is missing`);
  }

  /** The payload's length in bytes; -1 when absent. */
  length(type: number): number {
    return this.has(type) ? this.ends[type]! - this.starts[type]! : -1;
  }

  /** The payload's start offset in the indexed buffer; -1 when absent. */
  offset(type: number): number {
    return this.has(type) ? this.starts[type]! : -1;
  }

  /** The buffer the last index() read. */
  get buffer(): Buffer {
    return this.buf;
  }

  optU8(type: number): number | undefined {
    const o = this.sized(type, 1);
    return o < 0 ? undefined : this.buf[o]!;
  }
  optU16(type: number): number | undefined {
    const o = this.sized(type, 2);
    return o < 0 ? undefined : le16(this.buf, o);
  }
  optBe16(type: number): number | undefined {
    const o = this.sized(type, 2);
    return o < 0 ? undefined : be16(this.buf, o);
  }
  optU32(type: number): number | undefined {
    const o = this.sized(type, 4);
    return o < 0 ? undefined : le32(this.buf, o);
  }
  optBe32(type: number): number | undefined {
    const o = this.sized(type, 4);
    return o < 0 ? undefined : be32(this.buf, o);
  }
  /** An unsigned 64-bit value as a number (see le64Number). */
  optU64Number(type: number): number | undefined {
    const o = this.sized(type, 8);
    return o < 0 ? undefined : le64Number(this.buf, o);
  }
  /** A string up to its first NUL (or the whole payload when unterminated). */
  optString(type: number): string | undefined {
    const o = this.sized(type, 0);
    if (o < 0) return undefined;
    const end = this.ends[type]!;
    let nul = o;
    while (nul < end && this.buf[nul] !== 0) nul++;
    return this.buf.toString('utf8', o, nul);
  }

  u16(type: number): number {
    const value = this.optU16(type);
    if (value === undefined) throw this.missing(type);
    return value;
  }
  be16(type: number): number {
    const value = this.optBe16(type);
    if (value === undefined) throw this.missing(type);
    return value;
  }
  be32(type: number): number {
    const value = this.optBe32(type);
    if (value === undefined) throw this.missing(type);
    return value;
  }

  /** Indexes the nest of `type` into `inner`; false when there is none. */
  nestInto(inner: AttributeSlots, type: number, what: string): boolean {
    if (!this.has(type)) return false;
    inner.index(this.buf, this.starts[type]!, this.ends[type]!, what);
    return true;
  }
}
