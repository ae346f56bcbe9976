/**
 * inet-address: IP address text ↔ the 16-byte `union nf_inet_addr` IPVS puts in every address
 * attribute (an IPv4 address fills the first 4 bytes, the rest stay zero).
 *
 * Hand-written rather than via node:net because the encoder runs 21,000 times per large table
 * inside a slow guest: it writes straight into the request buffer and allocates nothing.
 */
import { i32At } from '../netlink/bytes.js';

/** AddressFamily is 4 (IPv4) or 6 (IPv6), as operators write it. */
export type AddressFamily = 4 | 6;

/** NF_INET_ADDR_LEN is sizeof(union nf_inet_addr): every IPVS address attribute has this length. */
export const NF_INET_ADDR_LEN = 16;

/**
 * writeInetAddress writes `text` into `buf` at `offset` as 16 bytes and returns its family, or
 * undefined when `text` is not an IPv4 or IPv6 address (then the bytes are unspecified).
 */
export function writeInetAddress(buf: Buffer, offset: number, text: string): AddressFamily | undefined {
  for (let at = offset; at < offset + NF_INET_ADDR_LEN; at++) buf[at] = 0;
  if (text.includes(':')) return writeIpv6(buf, offset, text) ? 6 : undefined;
  return writeIpv4(buf, offset, text, 0, text.length) ? 4 : undefined;
}

function writeIpv4(buf: Buffer, offset: number, text: string, start: number, end: number): boolean {
  let part = 0;
  let value = -1;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (value < 0 || part > 3) return false;
      buf[offset + part] = value;
      part++;
      value = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // RFC 6943 §3.1.1: a leading zero is refused, since some parsers read it as octal.
      if (digits > 0 && value === 0) return false;
      value = (value < 0 ? 0 : value * 10) + (c - 48);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function writeIpv6(buf: Buffer, offset: number, text: string): boolean {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
  }
  while (i < text.length) {
    let end = i;
    while (end < text.length && text.charCodeAt(end) !== 58) end++;
    const piece = text.slice(i, end);
    if (piece.includes('.')) {
      // An embedded IPv4 tail (RFC 4291 §2.2, form 3) is the last 32 bits.
      if (end !== text.length || !writeIpv4(buf, offset, piece, 0, piece.length)) return false;
      groups.push((buf[offset] ?? 0) * 256 + (buf[offset + 1] ?? 0), (buf[offset + 2] ?? 0) * 256 + (buf[offset + 3] ?? 0));
      buf.fill(0, offset, offset + 4);
      break;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return false;
    groups.push(parseInt(piece, 16));
    i = end + 1;
    if (end < text.length && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = groups.length;
      i++;
    } else if (end === text.length - 1) {
      return false;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const slot = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    buf.writeUInt16BE(groups[g] ?? 0, offset + slot * 2);
  }
  return true;
}

/**
 * formatInetAddress reads the address attribute payload at `offset` of `bytes` back as text
 * (RFC 5952 form for IPv6). Reading at an offset lets a dump be decoded without a sub-buffer
 * per real server.
 */
export function formatInetAddress(bytes: Buffer, family: AddressFamily, offset = 0): string {
  if (family === 4) return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(bytes.readUInt16BE(offset + g * 2));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === 0) end++;
    if (end - g > bestLength) {
      bestStart = g;
      bestLength = end - g;
    }
    g = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * canonicalAddress returns the kernel's spelling of an address (lower-case, RFC 5952), so keys
 * built from operator input match keys built from a kernel dump; undefined when not an address.
 */
export function canonicalAddress(text: string): string | undefined {
  const buf = Buffer.alloc(NF_INET_ADDR_LEN);
  const family = writeInetAddress(buf, 0, text);
  return family === undefined ? undefined : formatInetAddress(buf, family);
}

/** addressFamily says whether `text` is an IPv4 or IPv6 address, or undefined for neither. */
export function addressFamily(text: string): AddressFamily | undefined {
  return writeInetAddress(Buffer.alloc(NF_INET_ADDR_LEN), 0, text);
}

/**
 * AddressSpellings remembers how IPv4 addresses read from the kernel are spelled, so that a
 * table re-read every 500 ms (the IPVS owner's reconcile) reuses its address strings instead
 * of making one per real server each time: in a user-mode-linux guest, the garbage of 20,000
 * strings a read is a good share of listRules() (bench/ipvs-table). It forgets everything
 * once it holds `limit` addresses, so a churning table cannot grow it without bound. IPv6
 * addresses are spelled afresh each time.
 */
export class AddressSpellings {
  private readonly v4 = new Map<number, string>();
  private readonly limit: number;

  constructor(limit = 65_536) {
    this.limit = limit;
  }

  /** size is how many IPv4 addresses it remembers. */
  get size(): number {
    return this.v4.size;
  }

  /** spell is formatInetAddress, from memory for an IPv4 address seen before. */
  spell(bytes: Buffer, family: AddressFamily, offset: number): string {
    if (family !== 4) return formatInetAddress(bytes, family, offset);
    // Any one number per address will do as the key: its bytes as an int32, which V8 keeps
    // unboxed (as a u32, half the addresses would be a heap number allocated at each read).
    const key = i32At(bytes, offset);
    const known = this.v4.get(key);
    if (known !== undefined) return known;
    if (this.v4.size >= this.limit) this.v4.clear();
    const text = formatInetAddress(bytes, 4, offset);
    this.v4.set(key, text);
    return text;
  }
}
