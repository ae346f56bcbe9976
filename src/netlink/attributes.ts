/**
 * attributes: encode and decode netlink attributes (struct nlattr TLVs), nested or flat.
 *
 * Encoding takes a tree of NetlinkAttribute values and lays it out with 4-byte padding.
 * Decoding gives an AttributeSet whose typed getters check each payload's length, so a short
 * or garbage reply becomes a NetlinkParseError instead of a wrong number.
 */
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, align4 } from './constants.js';
import { NetlinkParseError } from './parse-error.js';

/** NetlinkAttribute is one attribute to encode: raw bytes, or nested attributes. */
export type NetlinkAttribute =
  | { readonly type: number; readonly value: Uint8Array }
  | { readonly type: number; readonly nested: readonly NetlinkAttribute[] };

/** attrBytes wraps raw bytes. */
export function attrBytes(type: number, value: Uint8Array): NetlinkAttribute {
  return { type, value };
}

/** attrU8 encodes an unsigned 8-bit value. */
export function attrU8(type: number, value: number): NetlinkAttribute {
  return { type, value: Uint8Array.of(value) };
}

/** attrU16 encodes an unsigned 16-bit value in host (little-endian) order. */
export function attrU16(type: number, value: number): NetlinkAttribute {
  const buf = Buffer.alloc(2);
  buf.writeUInt16LE(value);
  return { type, value: buf };
}

/** attrBe16 encodes a 16-bit value in network byte order, as IPVS ports are. */
export function attrBe16(type: number, value: number): NetlinkAttribute {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value);
  return { type, value: buf };
}

/** attrU32 encodes an unsigned 32-bit value in host (little-endian) order. */
export function attrU32(type: number, value: number): NetlinkAttribute {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return { type, value: buf };
}

/** attrU64 encodes an unsigned 64-bit value in host (little-endian) order. */
export function attrU64(type: number, value: bigint): NetlinkAttribute {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(value);
  return { type, value: buf };
}

/** attrString encodes a NUL-terminated string (NLA_NUL_STRING / NLA_STRING). */
export function attrString(type: number, value: string): NetlinkAttribute {
  return { type, value: Buffer.from(`${value}\0`, 'utf8') };
}

/** attrNested groups attributes under one type, with NLA_F_NESTED set as the kernel expects. */
export function attrNested(type: number, nested: readonly NetlinkAttribute[]): NetlinkAttribute {
  return { type, nested };
}

/** attributesLength is the encoded size of a list, including padding. */
export function attributesLength(attributes: readonly NetlinkAttribute[]): number {
  let total = 0;
  for (const attribute of attributes) total += align4(NLA_HDRLEN + payloadLength(attribute));
  return total;
}

function payloadLength(attribute: NetlinkAttribute): number {
  return 'nested' in attribute ? attributesLength(attribute.nested) : attribute.value.length;
}

/** encodeAttributes lays a list out into a new buffer. */
export function encodeAttributes(attributes: readonly NetlinkAttribute[]): Buffer {
  const buf = Buffer.alloc(attributesLength(attributes));
  writeAttributes(buf, 0, attributes);
  return buf;
}

/** writeAttributes lays a list out into `buf` at `offset` and returns the offset after it. */
export function writeAttributes(buf: Buffer, offset: number, attributes: readonly NetlinkAttribute[]): number {
  let at = offset;
  for (const attribute of attributes) {
    const length = NLA_HDRLEN + payloadLength(attribute);
    buf.writeUInt16LE(length, at);
    if ('nested' in attribute) {
      buf.writeUInt16LE(attribute.type | NLA_F_NESTED, at + 2);
      writeAttributes(buf, at + NLA_HDRLEN, attribute.nested);
    } else {
      buf.writeUInt16LE(attribute.type, at + 2);
      buf.set(attribute.value, at + NLA_HDRLEN);
    }
    at += align4(length);
  }
  return at;
}

/**
 * AttributeSet is a decoded attribute list. Unknown types are kept (a newer kernel may send
 * more than we know) and simply not asked for. A repeated type keeps every occurrence.
 */
export class AttributeSet {
  private readonly byType = new Map<number, Buffer[]>();
  /** Where each payload starts in the outermost buffer, for error messages. */
  private readonly offsets = new Map<Buffer, number>();
  /** Offset of this list in the outermost buffer. */
  private readonly baseOffset: number;

  private constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
  }

  /**
   * decode parses `buf` as a list of attributes. `baseOffset` is the list's position in the
   * enclosing message, so a NetlinkParseError points at the right byte.
   */
  static decode(buf: Buffer, baseOffset = 0): AttributeSet {
    const set = new AttributeSet(baseOffset);
    let at = 0;
    while (at < buf.length) {
      if (buf.length - at < NLA_HDRLEN) {
        throw new NetlinkParseError(`${buf.length - at} trailing bytes are too short for an attribute header`, baseOffset + at);
      }
      const length = buf.readUInt16LE(at);
      const type = buf.readUInt16LE(at + 2) & NLA_TYPE_MASK;
      if (length < NLA_HDRLEN || at + length > buf.length) {
        throw new NetlinkParseError(`attribute ${type} claims ${length} bytes, ${buf.length - at} remain`, baseOffset + at);
      }
      const value = buf.subarray(at + NLA_HDRLEN, at + length);
      set.offsets.set(value, baseOffset + at + NLA_HDRLEN);
      const list = set.byType.get(type);
      if (list === undefined) set.byType.set(type, [value]);
      else list.push(value);
      at += align4(length);
    }
    return set;
  }

  /** has says whether the attribute is present. */
  has(type: number): boolean {
    return this.byType.has(type);
  }

  /** types lists the attribute types present, in first-seen order. */
  types(): number[] {
    return [...this.byType.keys()];
  }

  /** bytes returns the raw payload of the first occurrence, or undefined. */
  bytes(type: number): Buffer | undefined {
    return this.byType.get(type)?.[0];
  }

  /** all returns every occurrence of a repeated attribute. */
  all(type: number): readonly Buffer[] {
    return this.byType.get(type) ?? [];
  }

  /** u8 reads a one-byte value. */
  u8(type: number): number | undefined {
    return this.sized(type, 1)?.readUInt8(0);
  }

  /** u16 reads a host-order 16-bit value. */
  u16(type: number): number | undefined {
    return this.sized(type, 2)?.readUInt16LE(0);
  }

  /** be16 reads a network-order 16-bit value. */
  be16(type: number): number | undefined {
    return this.sized(type, 2)?.readUInt16BE(0);
  }

  /** u32 reads a host-order 32-bit value. */
  u32(type: number): number | undefined {
    return this.sized(type, 4)?.readUInt32LE(0);
  }

  /** u64 reads a host-order 64-bit value. */
  u64(type: number): bigint | undefined {
    return this.sized(type, 8)?.readBigUInt64LE(0);
  }

  /** string reads a string, dropping the NUL terminator and anything after it. */
  string(type: number): string | undefined {
    const value = this.bytes(type);
    if (value === undefined) return undefined;
    const nul = value.indexOf(0);
    return value.toString('utf8', 0, nul === -1 ? value.length : nul);
  }

  /** nested decodes a nested attribute list, or returns undefined when it is absent. */
  nested(type: number): AttributeSet | undefined {
    const value = this.bytes(type);
    return value === undefined ? undefined : AttributeSet.decode(value, this.offsetOf(value));
  }

  /** require returns a getter's value or raises a NetlinkParseError naming the missing attribute. */
  require<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new NetlinkParseError(`required attribute ${what} is missing`, this.baseOffset);
    return value;
  }

  private sized(type: number, size: number): Buffer | undefined {
    const value = this.bytes(type);
    if (value === undefined) return undefined;
    if (value.length < size) {
      throw new NetlinkParseError(`attribute ${type} has ${value.length} bytes, expected ${size}`, this.offsetOf(value));
    }
    return value;
  }

  private offsetOf(value: Buffer): number {
    return this.offsets.get(value) ?? this.baseOffset;
  }
}
