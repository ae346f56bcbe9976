import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../../src/ipvs/inet-address.js';
import { icmpv6Checksum, internetChecksum } from '../../../src/frames/checksum.js';
import { NA_FRAME_BYTES, buildUnsolicitedAdvert, decodeNeighbourAdvert } from '../../../src/frames/neighbour-advert.js';

const MAC = '02:00:00:00:0a:01';
const frame = buildUnsolicitedAdvert({ vip: '2001:db8::10', mac: MAC });

describe('internetChecksum', () => {
  it('matches the worked example of RFC 1071 §3', () => {
    // 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2; the checksum is its complement.
    expect(internetChecksum([Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7)])).toBe(~0xddf2 & 0xffff);
  });

  it('pads an odd final byte with zero', () => {
    expect(internetChecksum([Uint8Array.of(0x12)])).toBe(~0x1200 & 0xffff);
  });
});

describe('buildUnsolicitedAdvert', () => {
  it('uses another source address when asked (the link-local address, say)', () => {
    const fromLinkLocal = buildUnsolicitedAdvert({ vip: '2001:db8::10', mac: MAC, source: 'fe80::1' });
    expect(decodeNeighbourAdvert(fromLinkLocal)).toMatchObject({ ok: true, value: { source: 'fe80::1', target: '2001:db8::10' } });
  });

  it('refuses an IPv4 VIP', () => {
    expect(() => buildUnsolicitedAdvert({ vip: '192.0.2.1', mac: MAC })).toThrow(/not an IPv6 address/);
  });

  it('round-trips any VIP and MAC, with a checksum that verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), (vipBytes, macOctets) => {
        const groups = [...Buffer.from(vipBytes).toString('hex').match(/.{4}/g) ?? []];
        const vip = groups.join(':');
        const mac = [...macOctets].map((b) => b.toString(16).padStart(2, '0')).join(':');
        const decoded = decodeNeighbourAdvert(buildUnsolicitedAdvert({ vip, mac }));
        expect(decoded).toMatchObject({ ok: true, value: { target: canonicalAddress(vip), targetMac: mac, ethernetSource: mac, override: true } });
      }),
    );
  });
});

describe('decodeNeighbourAdvert', () => {
  function corrupt(at: number, value: number): Buffer {
    const copy = Buffer.from(frame);
    copy[at] = value;
    return copy;
  }

  it('rejects a flipped bit anywhere in the advert as a bad checksum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 14 + 40 + 4, max: NA_FRAME_BYTES - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const copy = Buffer.from(frame);
        copy[at] = (copy[at] ?? 0) ^ (1 << bit);
        const decoded = decodeNeighbourAdvert(copy);
        // A one-bit change always moves a one's complement sum (RFC 1071 §2), so none slips by.
        expect(decoded.ok ? 'accepted' : decoded.reason).toBe('bad-checksum');
      }),
    );
  });

  it('drops a hop limit other than 255 (RFC 4861 §7.1.2)', () => {
    expect(decodeNeighbourAdvert(corrupt(14 + 7, 64))).toMatchObject({ ok: false, reason: 'hop-limit' });
  });

  it('says why other IPv6 frames are not adverts', () => {
    expect(decodeNeighbourAdvert(corrupt(14, 0x40))).toMatchObject({ ok: false, reason: 'not-ipv6' });
    expect(decodeNeighbourAdvert(corrupt(14 + 6, 17))).toMatchObject({ ok: false, reason: 'not-icmpv6' });
    expect(decodeNeighbourAdvert(corrupt(14 + 40, 135))).toMatchObject({ ok: false, reason: 'not-neighbour-advert' });
    expect(decodeNeighbourAdvert(frame.subarray(0, 60))).toMatchObject({ ok: false, reason: 'too-short' });
    expect(decodeNeighbourAdvert(frame.subarray(0, 10))).toMatchObject({ ok: false, reason: 'too-short' });
  });

  it('rejects a zero-length option even when the checksum is right', () => {
    const copy = corrupt(14 + 40 + 25, 0);
    copy.writeUInt16BE(0, 14 + 40 + 2);
    copy.writeUInt16BE(icmpv6Checksum(copy.subarray(22, 38), copy.subarray(38, 54), copy.subarray(54)), 14 + 40 + 2);
    expect(decodeNeighbourAdvert(copy)).toMatchObject({ ok: false, reason: 'bad-option' });
  });
});
