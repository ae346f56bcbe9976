import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGratuitousArp, decodeArp } from '../../../src/frames/arp.js';
import { buildUnsolicitedAdvert, decodeNeighbourAdvert } from '../../../src/frames/neighbour-advert.js';

/** frameFixture reads a hex fixture written by fixtures/capture-kernel-frames.py. */
function frameFixture(name: string): Buffer {
  const text = readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
  return Buffer.from(text.split('\n').filter((line) => !line.startsWith('#')).join(''), 'hex');
}

// Frames Linux itself sent for the same VIPs and MAC (arp_notify / ndisc_notify), so these
// compare our builders with the kernel's, byte for byte, checksum included.
const MAC = '02:00:00:00:0b:01';

describe('frames against the kernel: gratuitous ARP', () => {
  const kernel = frameFixture('kernel-garp.hex');

  it('builds the request form byte for byte as Linux does', () => {
    expect(buildGratuitousArp({ vip: '198.51.100.10', mac: MAC }).toString('hex')).toBe(kernel.toString('hex'));
  });

  it('decodes the kernel frame as a gratuitous request from our MAC', () => {
    expect(decodeArp(kernel)).toEqual({
      ok: true,
      value: {
        ethernetDestination: 'ff:ff:ff:ff:ff:ff',
        ethernetSource: MAC,
        operation: 1,
        senderMac: MAC,
        senderIp: '198.51.100.10',
        targetMac: '00:00:00:00:00:00',
        targetIp: '198.51.100.10',
        gratuitous: true,
      },
    });
  });
});

describe('frames against the kernel: unsolicited neighbour advertisement', () => {
  const kernel = frameFixture('kernel-na.hex');

  it('builds the advert byte for byte as Linux does, checksum included', () => {
    expect(buildUnsolicitedAdvert({ vip: '2001:db8::10', mac: MAC }).toString('hex')).toBe(kernel.toString('hex'));
  });

  it('decodes the kernel frame and verifies its checksum', () => {
    expect(decodeNeighbourAdvert(kernel)).toEqual({
      ok: true,
      value: {
        ethernetDestination: '33:33:00:00:00:01',
        ethernetSource: MAC,
        source: '2001:db8::10',
        destination: 'ff02::1',
        hopLimit: 255,
        router: false,
        solicited: false,
        override: true,
        target: '2001:db8::10',
        targetMac: MAC,
      },
    });
  });
});
