/**
 * attribute-writer: lays generic netlink payloads (genlmsghdr + attributes) out back to back in
 * one growing buffer. A table of 21,000 real servers is encoded with a handful of allocations
 * instead of several per attribute, which matters in a guest where allocation is 50× slower.
 *
 * Each finished payload is a view into the buffer. Growing moves only the payload in progress to
 * a new buffer, so views handed out earlier stay valid.
 */
import { GENL_HDRLEN, NLA_F_NESTED, NLA_HDRLEN, align4 } from '../netlink/constants.js';
import { NF_INET_ADDR_LEN, type AddressFamily, writeInetAddress } from './inet-address.js';

/** putU16 stores a little-endian u16 byte by byte: cheaper than Buffer's checked writers here. */
function putU16(buf: Buffer, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
}

function putU32(buf: Buffer, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

/** AttributeWriter builds generic netlink payloads; see the file comment. */
export class AttributeWriter {
  private buf: Buffer;
  private at = 0;
  private start = 0;
  private readonly openNests: number[] = [];

  /** `capacityBytes` is a first guess; the writer grows as needed. */
  constructor(capacityBytes = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(capacityBytes, 64));
  }

  /** begin starts a payload with its genlmsghdr (cmd, version, two reserved zero bytes). */
  begin(cmd: number, version: number): void {
    this.start = this.at;
    this.openNests.length = 0;
    this.reserve(GENL_HDRLEN);
    this.buf[this.at] = cmd;
    this.buf[this.at + 1] = version;
    putU16(this.buf, this.at + 2, 0);
    this.at += GENL_HDRLEN;
  }

  /** finish closes the payload and returns it (a view into the writer's buffer). */
  finish(): Buffer {
    if (this.openNests.length > 0) throw new Error('AttributeWriter.finish: a nested attribute is still open');
    return this.buf.subarray(this.start, this.at);
  }

  /** openNested starts a nested attribute (NLA_F_NESTED set, as the kernel's policy expects). */
  openNested(type: number): void {
    this.reserve(NLA_HDRLEN);
    putU16(this.buf, this.at + 2, type | NLA_F_NESTED);
    this.openNests.push(this.at - this.start);
    this.at += NLA_HDRLEN;
  }

  /** closeNested writes the length of the innermost open nest. */
  closeNested(): void {
    const relative = this.openNests.pop();
    if (relative === undefined) throw new Error('AttributeWriter.closeNested: nothing is open');
    putU16(this.buf, this.start + relative, this.at - this.start - relative);
  }

  /** u8 writes a one-byte attribute. */
  u8(type: number, value: number): void {
    this.header(type, 1);
    this.buf[this.at + NLA_HDRLEN] = value;
    this.advance(1);
  }

  /** u16 writes a host-order (little-endian) 16-bit attribute. */
  u16(type: number, value: number): void {
    this.header(type, 2);
    putU16(this.buf, this.at + NLA_HDRLEN, value);
    this.advance(2);
  }

  /** be16 writes a network-order 16-bit attribute (IPVS service and real server ports). */
  be16(type: number, value: number): void {
    this.header(type, 2);
    putU16(this.buf, this.at + NLA_HDRLEN, ((value & 0xff) << 8) | ((value >>> 8) & 0xff));
    this.advance(2);
  }

  /** u32 writes a host-order (little-endian) 32-bit attribute. */
  u32(type: number, value: number): void {
    this.header(type, 4);
    putU32(this.buf, this.at + NLA_HDRLEN, value);
    this.advance(4);
  }

  /** u32Pair writes 8 bytes of two host-order u32 values (struct ip_vs_flags {flags, mask}). */
  u32Pair(type: number, first: number, second: number): void {
    this.header(type, 8);
    putU32(this.buf, this.at + NLA_HDRLEN, first);
    putU32(this.buf, this.at + NLA_HDRLEN + 4, second);
    this.advance(8);
  }

  /** string writes a NUL-terminated string (ASCII names: schedulers, interfaces). */
  string(type: number, value: string): void {
    const length = Buffer.byteLength(value) + 1;
    this.header(type, length);
    this.buf.write(value, this.at + NLA_HDRLEN);
    this.buf[this.at + NLA_HDRLEN + length - 1] = 0;
    this.advance(length);
  }

  /** bytes writes raw bytes. */
  bytes(type: number, value: Uint8Array): void {
    this.header(type, value.length);
    this.buf.set(value, this.at + NLA_HDRLEN);
    this.advance(value.length);
  }

  /**
   * inetAddress writes a 16-byte `union nf_inet_addr` attribute and returns the address's
   * family, or undefined (writing nothing) when `text` is not an IP address.
   */
  inetAddress(type: number, text: string): AddressFamily | undefined {
    this.header(type, NF_INET_ADDR_LEN);
    const family = writeInetAddress(this.buf, this.at + NLA_HDRLEN, text);
    if (family !== undefined) this.advance(NF_INET_ADDR_LEN);
    return family;
  }

  private header(type: number, payloadLength: number): void {
    this.reserve(align4(NLA_HDRLEN + payloadLength));
    putU16(this.buf, this.at, NLA_HDRLEN + payloadLength);
    putU16(this.buf, this.at + 2, type);
  }

  /** advance moves past an attribute, zeroing its padding (the buffer is not pre-zeroed). */
  private advance(payloadLength: number): void {
    const padded = this.at + align4(NLA_HDRLEN + payloadLength);
    // A loop of at most 3 bytes: Buffer.fill would cost a native call per attribute.
    for (let at = this.at + NLA_HDRLEN + payloadLength; at < padded; at++) this.buf[at] = 0;
    this.at = padded;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const inProgress = this.at - this.start;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, inProgress + bytes + 64));
    this.buf.copy(grown, 0, this.start, this.at);
    this.buf = grown;
    this.start = 0;
    this.at = inProgress;
  }
}
