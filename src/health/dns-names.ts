/**
 * dns-names: domain names on the wire (RFC 1035 §3.1, §4.1.4) and in presentation form
 * (RFC 1035 §5.1). Names are read with compression pointers, written without: a query holds one
 * name, and the test responder's messages are small.
 *
 * Presentation form here: labels joined by '.', no trailing dot, the root is ''. A byte that
 * would be ambiguous ('.', '\\') or is not printable ASCII is escaped as \DDD, so any label
 * bytes survive a decode/encode round trip.
 */
import { DnsEncodeError, DnsParseError } from './dns-parse-error.js';

/** MAX_LABEL_BYTES is the longest label (RFC 1035 §2.3.4: 63 octets). */
const MAX_LABEL_BYTES = 63;
/** MAX_NAME_BYTES is the longest name on the wire, length octets included (RFC 1035 §2.3.4). */
const MAX_NAME_BYTES = 255;
/** POINTER_TAG marks a compression pointer: the top two bits of a length octet (RFC 1035 §4.1.4). */
const POINTER_TAG = 0xc0;

/** DecodedName is a name read from a message and the offset just past it at its first position. */
export interface DecodedName {
  readonly name: string;
  readonly end: number;
}

/** presentLabel renders label bytes, escaping '.', '\\' and non-printables as \DDD. */
function presentLabel(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    const plain = byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c;
    text += plain ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return text;
}

/**
 * readName decodes the name at `offset`. Each pointer must point strictly before the label
 * sequence that holds it, which makes loops impossible however the bytes are crafted.
 */
export function readName(message: Uint8Array, offset: number): DecodedName {
  const labels: string[] = [];
  let position = offset;
  let end: number | undefined;
  let wireBytes = 1;
  // lowest is where the current run of labels began; a pointer must go below it.
  let lowest = offset;
  for (;;) {
    const length = message[position];
    if (length === undefined) throw new DnsParseError('name runs past the end', position);
    if ((length & POINTER_TAG) === POINTER_TAG) {
      const low = message[position + 1];
      if (low === undefined) throw new DnsParseError('compression pointer cut short', position);
      const target = ((length & ~POINTER_TAG) << 8) | low;
      if (target >= lowest) throw new DnsParseError(`compression pointer to ${target} does not point backwards`, position);
      end ??= position + 2;
      position = target;
      lowest = target;
      continue;
    }
    if ((length & POINTER_TAG) !== 0) throw new DnsParseError(`label type 0x${length.toString(16)} is reserved`, position);
    if (length === 0) break;
    wireBytes += length + 1;
    if (wireBytes > MAX_NAME_BYTES) throw new DnsParseError(`name longer than ${MAX_NAME_BYTES} bytes`, position);
    const label = message.subarray(position + 1, position + 1 + length);
    if (label.length < length) throw new DnsParseError('label runs past the end', position);
    labels.push(presentLabel(label));
    position += 1 + length;
  }
  return { name: labels.join('.'), end: end ?? position + 1 };
}

/** parseLabels splits a presentation name into label bytes, undoing \DDD and \X escapes. */
function parseLabels(name: string): number[][] {
  const labels: number[][] = [];
  let current: number[] = [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '') return labels;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char > 0x7f) throw new DnsEncodeError(`name "${name}" has a non-ASCII character; write it as an A-label (xn--…)`);
    if (char === 0x2e) {
      labels.push(current);
      current = [];
    } else if (char === 0x5c) {
      const digits = /^\d{3}/.exec(text.slice(i + 1));
      const escaped = digits === null ? text.charCodeAt(i + 1) : Number(digits[0]);
      if (Number.isNaN(escaped) || escaped > 0xff) throw new DnsEncodeError(`name "${name}" has a bad escape`);
      current.push(escaped);
      i += digits === null ? 1 : 3;
    } else {
      current.push(char);
    }
  }
  labels.push(current);
  return labels;
}

/** encodeName writes a name as length-prefixed labels ending in the root's zero octet. */
export function encodeName(name: string): Uint8Array {
  const labels = parseLabels(name);
  const wire: number[] = [];
  for (const label of labels) {
    if (label.length === 0) throw new DnsEncodeError(`name "${name}" has an empty label`);
    if (label.length > MAX_LABEL_BYTES) throw new DnsEncodeError(`name "${name}" has a label over ${MAX_LABEL_BYTES} bytes`);
    wire.push(label.length, ...label);
  }
  wire.push(0);
  if (wire.length > MAX_NAME_BYTES) throw new DnsEncodeError(`name "${name}" is over ${MAX_NAME_BYTES} bytes on the wire`);
  return Uint8Array.from(wire);
}

/** sameName compares two presentation names as DNS does: ASCII case-insensitive, trailing dot ignored (RFC 4343). */
export function sameName(a: string, b: string): boolean {
  const strip = (name: string): string => (name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name).toLowerCase();
  return strip(a) === strip(b);
}
