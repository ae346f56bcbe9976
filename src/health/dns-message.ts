/**
 * dns-message: DNS messages as RFC 1035 §4.1 lays them out: a 12-byte header, then the
 * question, answer, authority and additional sections. A health check needs the header (id,
 * AA, TC, rcode), the question (to match the response to the query) and the answers; the
 * authority and additional sections are skipped when reading and empty when writing.
 *
 * Decoding is total: any byte string either decodes or throws DnsParseError (see the fuzz test).
 */
import { DnsParseError } from './dns-parse-error.js';
import { encodeName, readName } from './dns-names.js';
import { decodeRdata, encodeRdata, type RecordData } from './dns-rdata.js';

/** HEADER_BYTES is the fixed header size (RFC 1035 §4.1.1). */
const HEADER_BYTES = 12;
/** CLASS_IN is the Internet class (RFC 1035 §3.2.4). */
export const CLASS_IN = 1;

/** DNS_RCODES names the response codes of RFC 1035 §4.1.1 by their value. */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

/** rcodeName is an rcode's name, or "RCODE n" for one outside RFC 1035. */
export function rcodeName(rcode: number): string {
  return DNS_RCODES[rcode] ?? `RCODE ${rcode}`;
}

/** DnsQuestion is one entry of the question section (RFC 1035 §4.1.2). */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** DnsRecord is one resource record (RFC 1035 §4.1.3). */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttlSeconds: number;
  readonly data: RecordData;
}

/** DnsMessage is a query or response with the header fields a check looks at. */
export interface DnsMessage {
  readonly id: number;
  /** response is the QR bit: false for a query. */
  readonly response: boolean;
  readonly opcode: number;
  /** authoritative is the AA bit. */
  readonly authoritative: boolean;
  /** truncated is the TC bit: the answer did not fit in the UDP datagram. */
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
}

/** bit reads one flag of the 16-bit header flags word. */
function bit(flags: number, position: number): boolean {
  return ((flags >>> position) & 1) === 1;
}

/** decodeDnsMessage parses a whole message; trailing authority and additional records are not read. */
export function decodeDnsMessage(bytes: Uint8Array): DnsMessage {
  if (bytes.length < HEADER_BYTES) throw new DnsParseError(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint16(2);
  let offset = HEADER_BYTES;
  const questions: DnsQuestion[] = [];
  for (let i = view.getUint16(4); i > 0; i -= 1) {
    const { name, end } = readName(bytes, offset);
    if (end + 4 > bytes.length) throw new DnsParseError('question cut short', end);
    questions.push({ name, type: view.getUint16(end), class: view.getUint16(end + 2) });
    offset = end + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = view.getUint16(6); i > 0; i -= 1) {
    const { name, end } = readName(bytes, offset);
    if (end + 10 > bytes.length) throw new DnsParseError('record header cut short', end);
    const type = view.getUint16(end);
    const length = view.getUint16(end + 8);
    const rdataAt = end + 10;
    if (rdataAt + length > bytes.length) throw new DnsParseError(`RDATA of ${length} bytes runs past the end`, end + 8);
    answers.push({ name, type, class: view.getUint16(end + 2), ttlSeconds: view.getUint32(end + 4), data: decodeRdata(bytes, type, rdataAt, length) });
    offset = rdataAt + length;
  }
  return {
    id: view.getUint16(0),
    response: bit(flags, 15),
    opcode: (flags >>> 11) & 0xf,
    authoritative: bit(flags, 10),
    truncated: bit(flags, 9),
    recursionDesired: bit(flags, 8),
    recursionAvailable: bit(flags, 7),
    rcode: flags & 0xf,
    questions,
    answers,
  };
}

/** encodeDnsMessage writes a message without name compression (RFC 1035 §4.1.4 makes it optional). */
export function encodeDnsMessage(message: DnsMessage): Uint8Array {
  const flags =
    (Number(message.response) << 15) |
    ((message.opcode & 0xf) << 11) |
    (Number(message.authoritative) << 10) |
    (Number(message.truncated) << 9) |
    (Number(message.recursionDesired) << 8) |
    (Number(message.recursionAvailable) << 7) |
    (message.rcode & 0xf);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(message.answers.length, 6);
  const parts: Uint8Array[] = [header];
  for (const question of message.questions) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(question.type, 0);
    fixed.writeUInt16BE(question.class, 2);
    parts.push(encodeName(question.name), fixed);
  }
  for (const record of message.answers) {
    const rdata = encodeRdata(record.data);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(record.type, 0);
    fixed.writeUInt16BE(record.class, 2);
    fixed.writeUInt32BE(record.ttlSeconds, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(encodeName(record.name), fixed, rdata);
  }
  return Buffer.concat(parts);
}

/** DnsQuery is what a check asks: one question, recursion desired or not. */
export interface DnsQuery {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly recursionDesired: boolean;
}

/** encodeDnsQuery writes a standard query (opcode 0) with one IN-class question. */
export function encodeDnsQuery(query: DnsQuery): Uint8Array {
  return encodeDnsMessage({
    id: query.id,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: query.recursionDesired,
    recursionAvailable: false,
    rcode: 0,
    questions: [{ name: query.name, type: query.type, class: CLASS_IN }],
    answers: [],
  });
}
