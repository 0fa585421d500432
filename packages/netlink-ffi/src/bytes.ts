// Plain-number reads at an offset, byte by byte: no Buffer method call and no bounds check, so
// callers check sizes first. Decoders of large dumps read with these straight from the datagram.

/** An unsigned 16-bit little-endian (host order) value. */
export function le16(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8);
}

/** An unsigned 16-bit big-endian (network order) value. */
export function be16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** An unsigned 32-bit little-endian value. */
export function le32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x1000000;
}

/** An unsigned 32-bit big-endian value. */
export function be32(buf: Uint8Array, at: number): number {
  return buf[at]! * 0x1000000 + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

/**
 * An unsigned 64-bit little-endian value as a number: exact below 2^53, the nearest double above
 * (counters that a number is enough for, without a BigInt per read). Below 2^32 it is the low
 * word as it is: arithmetic with 2^32 would make even a zero a heap-allocated double, which a
 * listing's 40000 counters pay for twice, when decoded and when printed as JSON.
 */
export function le64Number(buf: Uint8Array, at: number): number {
  const high = le32(buf, at + 4);
  return high === 0 ? le32(buf, at) : high * 0x100000000 + le32(buf, at);
}
