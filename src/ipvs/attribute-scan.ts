/**
 * attribute-scan: walks netlink attributes in place, without building an AttributeSet.
 *
 * A full read-back decodes 20,000 real servers with two stats nests each; AttributeSet's maps
 * and sub-buffers cost about 25 µs per real server even on the host, several times what the
 * kernel needs to send it. This walker reads offsets only and checks every length, so a
 * truncated reply is still a NetlinkParseError. The rules-only read-back indexes each real
 * server's attributes with indexAttributes, which needs no closure and no call per attribute
 * but attributeEnd's; forEachAttribute is the same walk for everything else.
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
 * indexAttributes records where each attribute of buf[start, end) whose type is below
 * `starts.length` lies: its payload is buf[starts[type], ends[type]), and starts[type] is -1
 * when there is none (of several, the last wins, as in a switch over forEachAttribute).
 * A first read-back runs it 20,000 times before V8 has optimised much, and in the interpreter
 * a call per attribute costs more than the work itself (bench/ipvs-table), so it makes none.
 */
export function indexAttributes(buf: Buffer, start: number, end: number, starts: Int32Array, ends: Int32Array): void {
  starts.fill(-1);
  for (let at = start; at < end; ) {
    // attributeEnd's checks, written out; it is called only to word the error.
    const length = (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8);
    if (end - at < NLA_HDRLEN || length < NLA_HDRLEN || length > end - at) attributeEnd(buf, at, end);
    const type = ((buf[at + 2] ?? 0) | ((buf[at + 3] ?? 0) << 8)) & NLA_TYPE_MASK;
    if (type < starts.length) {
      starts[type] = at + NLA_HDRLEN;
      ends[type] = at + length;
    }
    // align4, written out too.
    at += (length + 3) & ~3;
  }
}

/** sized checks that an attribute payload holds at least `size` bytes. */
export function sized(start: number, end: number, size: number, what: string): number {
  if (end - start < size) throw new NetlinkParseError(`${what} has ${end - start} bytes, expected ${size}`, start);
  return start;
}
