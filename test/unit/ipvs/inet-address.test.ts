/**
 * inet-address: the hand-written address parser and formatter against Node's own (node:net for
 * validity, WHATWG URL for the canonical RFC 5952 spelling).
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSpellings, NF_INET_ADDR_LEN, addressFamily, canonicalAddress, formatInetAddress, writeInetAddress } from '../../../src/ipvs/inet-address.js';

function nodeCanonical(text: string): string {
  return isIP(text) === 6 ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
}

describe('inet-address', () => {
  it('parses and formats every IPv4 and IPv6 address as Node does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        expect(canonicalAddress(text)).toBe(nodeCanonical(text));
        expect(addressFamily(text)).toBe(isIP(text) === 4 ? 4 : 6);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what Node refuses (no octal-looking IPv4, no stray colons)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 45 }), (text) => {
        if (isIP(text) === 0) expect(addressFamily(text)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '::1:', '', 'fe80::1%eth0']) {
      expect(addressFamily(bad)).toBeUndefined();
    }
  });

  it('writes IPv4 into the first 4 of 16 bytes and zeroes the rest', () => {
    const buf = Buffer.alloc(NF_INET_ADDR_LEN, 0xaa);
    expect(writeInetAddress(buf, 0, '192.0.2.1')).toBe(4);
    expect(buf.toString('hex')).toBe('c0000201000000000000000000000000');
    expect(writeInetAddress(buf, 0, '::ffff:192.0.2.1')).toBe(6);
    expect(formatInetAddress(buf, 6)).toBe('::ffff:c000:201');
  });
});

describe('AddressSpellings', () => {
  const v4 = (text: string): Buffer => Buffer.from([0, 0, ...text.split('.').map(Number), 0]);

  it('spells as formatInetAddress does, remembering each IPv4 address once and no IPv6 one', () => {
    const spellings = new AddressSpellings();
    expect(spellings.spell(v4('192.0.2.7'), 4, 2)).toBe('192.0.2.7');
    expect(spellings.spell(Buffer.from(v4('192.0.2.7')), 4, 2)).toBe('192.0.2.7');
    expect(spellings.spell(v4('192.0.2.8'), 4, 2)).toBe('192.0.2.8');
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    expect(spellings.spell(v6, 6, 0)).toBe(formatInetAddress(v6, 6, 0));
    expect(spellings.size).toBe(2);
  });

  it('forgets everything once it holds its limit, and still spells right', () => {
    const spellings = new AddressSpellings(2);
    for (const text of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']) expect(spellings.spell(v4(text), 4, 2)).toBe(text);
    expect(spellings.size).toBe(2);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 50 }), (keys) => {
        const bounded = new AddressSpellings(8);
        for (const key of keys) {
          const bytes = Buffer.alloc(4);
          bytes.writeUInt32BE(key);
          expect(bounded.spell(bytes, 4, 0)).toBe(formatInetAddress(bytes, 4, 0));
          expect(bounded.size).toBeLessThanOrEqual(8);
        }
      }),
    );
  });
});
