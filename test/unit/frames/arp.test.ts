import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GARP_FRAME_BYTES, buildGratuitousArp, decodeArp } from '../../../src/frames/arp.js';

const MAC = '02:00:00:00:0a:01';

describe('buildGratuitousArp', () => {
  it('sends the reply form with our MAC as target hardware address (RFC 5944 §4.6)', () => {
    const decoded = decodeArp(buildGratuitousArp({ vip: '192.0.2.1', mac: MAC, operation: 'reply' }));
    expect(decoded).toMatchObject({ ok: true, value: { operation: 2, targetMac: MAC, senderMac: MAC, gratuitous: true } });
  });

  it('refuses an IPv6 VIP and a malformed MAC with a TypeError naming the input', () => {
    expect(() => buildGratuitousArp({ vip: '2001:db8::1', mac: MAC })).toThrow(/"2001:db8::1" is not an IPv4 address/);
    expect(() => buildGratuitousArp({ vip: '192.0.2.1', mac: '02:00:00:00:0a' })).toThrow(/not a MAC address/);
  });

  it('round-trips any IPv4 VIP and MAC through the decoder', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), fc.uint8Array({ minLength: 6, maxLength: 6 }), (ip, macOctets) => {
        const vip = ip.join('.');
        const mac = [...macOctets].map((b) => b.toString(16).padStart(2, '0')).join(':');
        const decoded = decodeArp(buildGratuitousArp({ vip, mac }));
        expect(decoded).toMatchObject({ ok: true, value: { senderIp: vip, targetIp: vip, senderMac: mac, ethernetSource: mac } });
      }),
    );
  });
});

describe('decodeArp', () => {
  const frame = buildGratuitousArp({ vip: '192.0.2.1', mac: MAC });

  it('accepts Ethernet padding after the ARP body (frames padded to 60 bytes on the wire)', () => {
    expect(decodeArp(Buffer.concat([frame, Buffer.alloc(18)])).ok).toBe(true);
  });

  it('says why a frame is not ARP', () => {
    expect(decodeArp(frame.subarray(0, 10))).toMatchObject({ ok: false, reason: 'too-short' });
    expect(decodeArp(frame.subarray(0, GARP_FRAME_BYTES - 1))).toMatchObject({ ok: false, reason: 'too-short' });
    const ipv6 = Buffer.from(frame);
    ipv6.writeUInt16BE(0x86dd, 12);
    expect(decodeArp(ipv6)).toMatchObject({ ok: false, reason: 'wrong-ethertype', detail: 'EtherType 0x86dd is not 0x0806' });
    const tokenRing = Buffer.from(frame);
    tokenRing.writeUInt16BE(6, 14);
    expect(decodeArp(tokenRing)).toMatchObject({ ok: false, reason: 'not-ethernet-ipv4' });
  });

  it('marks a request for another address as not gratuitous', () => {
    const probe = Buffer.from(frame);
    probe.set([192, 0, 2, 99], 38);
    expect(decodeArp(probe)).toMatchObject({ ok: true, value: { targetIp: '192.0.2.99', gratuitous: false } });
  });
});
