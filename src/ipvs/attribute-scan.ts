/**
 * attribute-scan: walks netlink attributes in place, without building an AttributeSet.
 *
 * A full read-back decodes 20,000 real servers with two stats nests each; AttributeSet's maps
 * and sub-buffers cost about 25 µs per real server even on the host, several times what the
 * kernel needs to send it. This walker reads offsets only and checks every length, so a
 * truncated reply is still a NetlinkParseError. The read-backs index each service's and real
 * server's attributes with an AttributeIndex, which needs no closure and no call per
 * attribute; forEachAttribute is the same walk for everything else.
 */
import { NLA_HDRLEN, NLA_TYPE_MASK, align4 } from '../netlink/constants.js';
import { NetlinkParseError } from '../netlink/parse-error.js';

/** AttributeVisitor receives one attribute: its type (flags masked off) and payload bounds. */
export type AttributeVisitor = (type: number, start: number, end: number) => void;

/**
 * attributeEnd checks the header of the attribute at `at` (which must lie before `end`) and
 * returns where the attribute ends, unpadded; its payload is [at + NLA_HDRLEN, that).
 */
export function attributeEnd(buf: Buffer, at: number, end: number): number {
  if (end - at < NLA_HDRLEN) throw new NetlinkParseError(`${end - at} trailing bytes are too short for an attribute header`, at);
  const length = (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8);
  if (length < NLA_HDRLEN || at + length > end) throw new NetlinkParseError(`attribute claims ${length} bytes, ${end - at} remain`, at);
  return at + length;
}

/** attributeType is the type of the attribute at `at`, with the nested/byte-order flags masked off. */
export function attributeType(buf: Buffer, at: number): number {
  return ((buf[at + 2] ?? 0) | ((buf[at + 3] ?? 0) << 8)) & NLA_TYPE_MASK;
}

/** forEachAttribute visits each attribute of buf[start, end). */
export function forEachAttribute(buf: Buffer, start: number, end: number, visit: AttributeVisitor): void {
  for (let at = start; at < end; ) {
    const attributeEndAt = attributeEnd(buf, at, end);
    visit(attributeType(buf, at), at + NLA_HDRLEN, attributeEndAt);
    at += align4(attributeEndAt - at);
  }
}

/**
 * AttributeIndex records where each attribute of a nest whose type is below `slots` lies:
 * its payload is buf[starts[type], ends[type]), and starts[type] is -1 when the nest has none
 * (of several, the last wins, as in a switch over forEachAttribute). A first read-back indexes
 * 20,000 real servers before V8 has optimised much, and in the interpreter each byte read
 * and each call costs more than the work itself (bench/ipvs-table), so the headers are read
 * as u16 halves through a typed-array view on the nest's memory (struct nlattr: nla_len and
 * nla_type in host order, 4-byte aligned; netlink(7)), and nothing is called but to word an error.
 */
export class AttributeIndex {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** of is the buffer `halves` views: a receive buffer is indexed nest after nest. */
  private of: Buffer | undefined;
  private halves: Uint16Array = new Uint16Array(0);

  constructor(slots: number) {
    this.starts = new Int32Array(slots);
    this.ends = new Int32Array(slots);
  }

  /** index locates the attributes of buf[start, end), checking every header as attributeEnd does. */
  index(buf: Buffer, start: number, end: number): void {
    // A nest at an odd address (a test's sub-buffer; the kernel aligns them to 4) cannot be
    // read as u16s in place: a copy of it is indexed instead.
    if (buf.byteOffset % 2 === 0 && start % 2 === 0) this.indexHalves(this.halvesOf(buf), buf, start, end, 0);
    else {
      const nest = Buffer.from(buf.subarray(start, end));
      this.indexHalves(halvesOf(nest), nest, 0, nest.length, start);
    }
  }

  /** indexHalves walks nest[start, end) through `halves`, its u16 view, recording offsets `base` further on. */
  private indexHalves(halves: Uint16Array, nest: Buffer, start: number, end: number, base: number): void {
    const { starts, ends } = this;
    const slots = starts.length;
    const headerBytes = NLA_HDRLEN;
    const typeMask = NLA_TYPE_MASK;
    starts.fill(-1);
    for (let at = start; at < end; ) {
      const length = halves[at >> 1] ?? 0;
      if (end - at < headerBytes || length < headerBytes || length > end - at) attributeEnd(nest, at, end);
      const type = (halves[(at >> 1) + 1] ?? 0) & typeMask;
      if (type < slots) {
        starts[type] = base + at + headerBytes;
        ends[type] = base + at + length;
      }
      // align4, written out.
      at += (length + 3) & ~3;
    }
  }

  /** halvesOf views `buf` as u16s: the same memory, so a receive buffer refilled since the last nest reads as it is now. */
  private halvesOf(buf: Buffer): Uint16Array {
    if (buf !== this.of) {
      this.of = buf;
      this.halves = halvesOf(buf);
    }
    return this.halves;
  }
}

function halvesOf(buf: Buffer): Uint16Array {
  return new Uint16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
}

/** sized checks that an attribute payload holds at least `size` bytes. */
export function sized(start: number, end: number, size: number, what: string): number {
  if (end - start < size) throw new NetlinkParseError(`${what} has ${end - start} bytes, expected ${size}`, start);
  return start;
}
