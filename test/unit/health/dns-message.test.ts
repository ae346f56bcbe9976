/** The DNS message codec (RFC 1035 §4.1): golden bytes, compression pointers, and garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../../src/ipvs/inet-address.js';
import { DnsEncodeError, DnsParseError } from '../../../src/health/dns-parse-error.js';
import { CLASS_IN, decodeDnsMessage, encodeDnsMessage, encodeDnsQuery, rcodeName, type DnsMessage } from '../../../src/health/dns-message.js';
import { encodeName, readName, sameName } from '../../../src/health/dns-names.js';
import { DNS_TYPES, type RecordData } from '../../../src/health/dns-rdata.js';

const bytes = (hex: string): Uint8Array => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

describe('encodeDnsQuery', () => {
  it('lays out header and question as RFC 1035 §4.1.1-§4.1.2 say', () => {
    const query = encodeDnsQuery({ id: 0x1234, name: 'example.com', type: DNS_TYPES.A, recursionDesired: true });
    expect(hex(query)).toBe(
      '1234' + // id
        '0100' + // QR=0 opcode=0 RD=1
        '0001' + '0000' + '0000' + '0000' + // one question, no records
        '076578616d706c6503636f6d00' + // 7 "example" 3 "com" root
        '0001' + '0001', // type A, class IN
    );
  });

  it('accepts a trailing dot and refuses bad names with a typed error', () => {
    expect(hex(encodeName('example.com.'))).toBe(hex(encodeName('example.com')));
    expect(() => encodeName('a..b')).toThrow(DnsEncodeError);
    expect(() => encodeName(`${'a'.repeat(64)}.com`)).toThrow(/over 63 bytes/);
    expect(() => encodeName(Array.from({ length: 128 }, () => 'ab').join('.'))).toThrow(/over 255 bytes/);
    expect(() => encodeName('bücher.example')).toThrow(/A-label/);
  });
});

describe('decodeDnsMessage', () => {
  // A response to "www.example.com A": a CNAME to example.com, then its A record, both owner
  // names and the CNAME target compressed against earlier names (RFC 1035 §4.1.4).
  const response = bytes(`
    abcd 8580 0001 0002 0000 0000
    03777777 076578616d706c65 03636f6d 00 0001 0001
    c00c 0005 0001 0000012c 0002 c010
    c010 0001 0001 0000012c 0004 c6336407`);

  it('reads header flags, question and compressed answers', () => {
    const message = decodeDnsMessage(response);
    expect(message).toMatchObject({ id: 0xabcd, response: true, authoritative: true, truncated: false, recursionDesired: true, recursionAvailable: true, rcode: 0 });
    expect(message.questions).toEqual([{ name: 'www.example.com', type: DNS_TYPES.A, class: CLASS_IN }]);
    expect(message.answers).toEqual([
      { name: 'www.example.com', type: DNS_TYPES.CNAME, class: CLASS_IN, ttlSeconds: 300, data: { kind: 'name', name: 'example.com' } },
      { name: 'example.com', type: DNS_TYPES.A, class: CLASS_IN, ttlSeconds: 300, data: { kind: 'address', address: '198.51.100.7' } },
    ]);
  });

  it('refuses truncations of a valid message with DnsParseError at a plausible offset', () => {
    for (let length = 0; length < response.length; length += 1) {
      const attempt = (): DnsMessage => decodeDnsMessage(response.subarray(0, length));
      expect(attempt, `length ${length}`).toThrow(DnsParseError);
    }
  });

  it('refuses a pointer loop and a forward pointer', () => {
    const selfLoop = bytes('0000 8000 0001 0000 0000 0000 c00c 0001 0001');
    expect(() => decodeDnsMessage(selfLoop)).toThrow(/does not point backwards/);
    const twoHop = bytes('00 03616161 c001');
    expect(() => readName(twoHop, 1)).toThrow(/does not point backwards/);
  });

  it('refuses reserved label types and wrong address lengths', () => {
    expect(() => readName(bytes('40 00'), 0)).toThrow(/reserved/);
    const shortA = bytes('0000 8000 0000 0001 0000 0000 00 0001 0001 00000000 0003 010203');
    expect(() => decodeDnsMessage(shortA)).toThrow(/expected 4/);
  });

  it('escapes dots and unprintable bytes in labels so they round-trip', () => {
    const { name } = readName(bytes('03 612e62 02 0a5c 00'), 0);
    expect(name).toBe('a\\046b.\\010\\092');
    expect(hex(encodeName(name))).toBe('03612e62020a5c00');
  });

  it('names rcodes and compares names case-insensitively', () => {
    expect(rcodeName(3)).toBe('NXDOMAIN');
    expect(rcodeName(9)).toBe('RCODE 9');
    expect(sameName('WWW.Example.COM.', 'www.example.com')).toBe(true);
    expect(sameName('a.example', 'b.example')).toBe(false);
  });
});

const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const name = fc.array(label, { minLength: 0, maxLength: 5 }).map((labels) => labels.join('.'));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc.ipV4();
const record: fc.Arbitrary<{ type: number; data: RecordData }> = fc.oneof(
  ipv4.map((address) => ({ type: DNS_TYPES.A, data: { kind: 'address' as const, address } })),
  // The decoder prints addresses in RFC 5952 form, so compare against that form.
  fc.ipV6().map((address) => ({ type: DNS_TYPES.AAAA, data: { kind: 'address' as const, address: canonicalAddress(address)! } })),
  name.map((target) => ({ type: DNS_TYPES.CNAME, data: { kind: 'name' as const, name: target } })),
  fc.tuple(u16, name).map(([preference, exchange]) => ({ type: DNS_TYPES.MX, data: { kind: 'mx' as const, preference, exchange } })),
  fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }), { maxLength: 3 }).map((strings) => ({ type: DNS_TYPES.TXT, data: { kind: 'txt' as const, strings } })),
  fc.tuple(u16, u16, u16, name).map(([priority, weight, port, target]) => ({ type: DNS_TYPES.SRV, data: { kind: 'srv' as const, priority, weight, port, target } })),
  fc.tuple(name, name, u32, u32, u32, u32, u32).map(([mname, rname, serial, refresh, retry, expire, minimum]) => ({ type: DNS_TYPES.SOA, data: { kind: 'soa' as const, mname, rname, serial, refresh, retry, expire, minimum } })),
  fc.uint8Array({ maxLength: 20 }).map((raw) => ({ type: 99, data: { kind: 'raw' as const, bytes: raw } })),
);
const message: fc.Arbitrary<DnsMessage> = fc.record({
  id: u16,
  response: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  authoritative: fc.boolean(),
  truncated: fc.boolean(),
  recursionDesired: fc.boolean(),
  recursionAvailable: fc.boolean(),
  rcode: fc.integer({ min: 0, max: 15 }),
  questions: fc.array(fc.record({ name, type: u16, class: u16 }), { maxLength: 2 }),
  answers: fc.array(fc.tuple(name, record, u32).map(([owner, { type, data }, ttlSeconds]) => ({ name: owner, type, class: CLASS_IN, ttlSeconds, data })), { maxLength: 4 }),
});

/** decodesOrRefuses is true when decoding either succeeds or throws the typed parse error. */
function decodesOrRefuses(input: Uint8Array): boolean {
  try {
    decodeDnsMessage(input);
    return true;
  } catch (error) {
    return error instanceof DnsParseError && error.offset >= 0 && error.offset <= input.length;
  }
}

describe('DNS codec properties', () => {
  it('decode(encode(message)) is the message', () => {
    fc.assert(
      fc.property(message, (original) => {
        expect(decodeDnsMessage(encodeDnsMessage(original))).toEqual(original);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes decode or raise DnsParseError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodesOrRefuses), { numRuns: 5000 });
  });

  it('mutated valid messages decode or raise DnsParseError, nothing else', () => {
    const mutated = fc.tuple(message, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })).map(([original, edits]) => {
      const wire = Uint8Array.from(encodeDnsMessage(original));
      for (const [at, value] of edits) wire[at % wire.length] = value;
      return wire;
    });
    fc.assert(fc.property(mutated, decodesOrRefuses), { numRuns: 5000 });
  });
});
