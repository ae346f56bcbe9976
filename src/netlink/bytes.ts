/**
 * bytes: integer reads for the loops that decode a whole IPVS read-back (tens of thousands of
 * messages). Buffer's readUInt16LE/readUInt32LE validate their offset through two more calls
 * each, and a fresh process runs these loops in the interpreter, where each call costs more
 * than the read (bench/ipvs-table). These make one call and no check: the caller has checked
 * that the bytes lie within the message or attribute (a byte past the end reads as 0).
 * Netlink integers are in host order, little-endian on the machines tandem runs on, as the
 * Buffer reads used elsewhere assume too; ports travel in network order (be16At).
 */

/** u16At reads the little-endian u16 at `at`. */
export function u16At(buf: Uint8Array, at: number): number {
  return (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8);
}

/** u32At reads the little-endian u32 at `at` (the top byte by multiplication: a u32 does not fit an int32). */
export function u32At(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16)) + (buf[at + 3] ?? 0) * 0x1000000;
}

/** i32At reads the little-endian int32 at `at`: a signed int, or any u32 as an int32 key (V8 keeps it unboxed, where a u32 above 2^31 is a heap number). */
export function i32At(buf: Uint8Array, at: number): number {
  return (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24);
}

/** be16At reads the network-order (big-endian) u16 at `at`, as ports travel. */
export function be16At(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
}
