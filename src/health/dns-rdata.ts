/**
 * dns-rdata: the RDATA of the record types a dns check may ask for (RFC 1035 §3.3 and §3.4,
 * RFC 3596 §2.2 for AAAA, RFC 2782 for SRV). Unknown types stay raw bytes (RFC 3597).
 */
import { formatInetBytes, inetBytes } from '../frames/inet-bytes.js';
import { DnsEncodeError, DnsParseError } from './dns-parse-error.js';
import { encodeName, readName } from './dns-names.js';

/** DNS_TYPES are the type codes of RFC 1035 §3.2.2, RFC 3596 (AAAA) and RFC 2782 (SRV). */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 } as const;

/** DnsTypeName is a type a check can query. */
export type DnsTypeName = keyof typeof DNS_TYPES;

/** RecordData is decoded RDATA; `kind` follows from the record's type. */
export type RecordData =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'mx'; readonly preference: number; readonly exchange: string }
  | { readonly kind: 'txt'; readonly strings: readonly string[] }
  | { readonly kind: 'srv'; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly kind: 'soa'; readonly mname: string; readonly rname: string; readonly serial: number; readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

/** Cursor reads big-endian integers from a region, refusing to leave it. */
class Cursor {
  constructor(
    readonly message: Uint8Array,
    public offset: number,
    readonly end: number,
  ) {}

  u16(): number {
    if (this.offset + 2 > this.end) throw new DnsParseError('RDATA too short', this.offset);
    const value = ((this.message[this.offset] ?? 0) << 8) | (this.message[this.offset + 1] ?? 0);
    this.offset += 2;
    return value;
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }

  name(): string {
    const decoded = readName(this.message, this.offset);
    if (decoded.end > this.end) throw new DnsParseError('name runs past its RDATA', this.offset);
    this.offset = decoded.end;
    return decoded.name;
  }

  /** txtStrings reads <character-string>s to the end (RFC 1035 §3.3, §3.3.14), as latin1 so bytes survive. */
  txtStrings(): string[] {
    const strings: string[] = [];
    while (this.offset < this.end) {
      const length = this.message[this.offset] ?? 0;
      const start = this.offset + 1;
      if (start + length > this.end) throw new DnsParseError('TXT string runs past its RDATA', this.offset);
      strings.push(Buffer.from(this.message.buffer, this.message.byteOffset + start, length).toString('latin1'));
      this.offset = start + length;
    }
    return strings;
  }
}

/** decodeRdata reads the RDATA of `type` at message[offset, offset + length). */
export function decodeRdata(message: Uint8Array, type: number, offset: number, length: number): RecordData {
  const end = offset + length;
  const at = new Cursor(message, offset, end);
  let data: RecordData;
  switch (type) {
    case DNS_TYPES.A:
    case DNS_TYPES.AAAA: {
      const expected = type === DNS_TYPES.A ? 4 : 16;
      if (length !== expected) throw new DnsParseError(`address RDATA of ${length} bytes, expected ${expected}`, offset);
      return { kind: 'address', address: formatInetBytes(message.subarray(offset, end)) };
    }
    case DNS_TYPES.NS:
    case DNS_TYPES.CNAME:
    case DNS_TYPES.PTR:
      data = { kind: 'name', name: at.name() };
      break;
    case DNS_TYPES.MX:
      data = { kind: 'mx', preference: at.u16(), exchange: at.name() };
      break;
    case DNS_TYPES.TXT:
      data = { kind: 'txt', strings: at.txtStrings() };
      break;
    case DNS_TYPES.SRV:
      data = { kind: 'srv', priority: at.u16(), weight: at.u16(), port: at.u16(), target: at.name() };
      break;
    case DNS_TYPES.SOA:
      data = { kind: 'soa', mname: at.name(), rname: at.name(), serial: at.u32(), refresh: at.u32(), retry: at.u32(), expire: at.u32(), minimum: at.u32() };
      break;
    default:
      // A copy, and a plain Uint8Array: Buffer's slice() would share the datagram's memory.
      return { kind: 'raw', bytes: new Uint8Array(message.subarray(offset, end)) };
  }
  if (at.offset !== end) throw new DnsParseError(`${end - at.offset} bytes left over in RDATA`, at.offset);
  return data;
}

/** u16 and u32 are big-endian (RFC 1035 §2.3.2). */
function u16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}
function u32(value: number): number[] {
  return [...u16(Math.floor(value / 0x10000)), ...u16(value % 0x10000)];
}

/** encodeRdata writes RDATA (no compression); the test responder and round-trip tests use it. */
export function encodeRdata(data: RecordData): Uint8Array {
  switch (data.kind) {
    case 'address': {
      const parsed = inetBytes(data.address);
      if (parsed === undefined) throw new DnsEncodeError(`"${data.address}" is not an IP address`);
      return parsed.bytes;
    }
    case 'name':
      return encodeName(data.name);
    case 'mx':
      return Uint8Array.from([...u16(data.preference), ...encodeName(data.exchange)]);
    case 'txt':
      return Uint8Array.from(
        data.strings.flatMap((text) => {
          const bytes = Buffer.from(text, 'latin1');
          if (bytes.length > 255) throw new DnsEncodeError('a TXT string is over 255 bytes');
          return [bytes.length, ...bytes];
        }),
      );
    case 'srv':
      return Uint8Array.from([...u16(data.priority), ...u16(data.weight), ...u16(data.port), ...encodeName(data.target)]);
    case 'soa':
      return Uint8Array.from([...encodeName(data.mname), ...encodeName(data.rname), ...[data.serial, data.refresh, data.retry, data.expire, data.minimum].flatMap(u32)]);
    case 'raw':
      return data.bytes;
  }
}

/**
 * presentRdata renders RDATA the way an operator writes expectAnswer: an address, a name, or
 * the RDATA fields separated by spaces (MX "10 mail.example.com"); TXT strings are joined
 * without separator, as SPF reads them (RFC 7208 §3.3).
 */
export function presentRdata(data: RecordData): string {
  switch (data.kind) {
    case 'address':
      return data.address;
    case 'name':
      return data.name;
    case 'mx':
      return `${data.preference} ${data.exchange}`;
    case 'txt':
      return data.strings.join('');
    case 'srv':
      return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case 'soa':
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case 'raw':
      return Buffer.from(data.bytes).toString('hex');
  }
}
