/**
 * rules-digest: what changes a digest and what does not. The nests are built by hand as the
 * kernel lays them out (struct nlattr headers, 4-byte alignment), so padding and headers are
 * exactly where a reply has them.
 */
import { describe, expect, it } from 'vitest';
import {
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_WEIGHT,
} from '../../../src/ipvs/constants.js';
import { REAL_SERVER_COUNTERS, RulesDigest } from '../../../src/ipvs/rules-digest.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';

/** nest lays out attributes [type, payload] end to end, each padded to 4 bytes with `pad`. */
function nest(attributes: readonly (readonly [number, Buffer])[], pad = 0): Buffer {
  return Buffer.concat(
    attributes.map(([type, payload]) => {
      const header = Buffer.alloc(4);
      header.writeUInt16LE(4 + payload.length, 0);
      header.writeUInt16LE(type, 2);
      return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4, pad)]);
    }),
  );
}

const u32 = (value: number): Buffer => Buffer.from(new Uint32Array([value]).buffer);

/** realServer is one real server's nest: address, port (2 bytes, so padded), weight, then its counters. */
function realServer({ weight = 10, port = 80, active = 0, stats = 0, pad = 0 } = {}): Buffer {
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return nest(
    [
      [IPVS_DEST_ATTR_ADDR, Buffer.from([192, 0, 2, 7, ...new Array<number>(12).fill(0)])],
      [IPVS_DEST_ATTR_PORT, portBytes],
      [IPVS_DEST_ATTR_WEIGHT, u32(weight)],
      [IPVS_DEST_ATTR_ACTIVE_CONNS, u32(active)],
      [IPVS_DEST_ATTR_STATS64, Buffer.alloc(16, stats)],
    ],
    pad,
  );
}

/** digestOf digests `nests` in order with one RulesDigest, reused as the read-backs reuse theirs. */
const digest = new RulesDigest(REAL_SERVER_COUNTERS);
function digestOf(...nests: Buffer[]): number {
  digest.start();
  for (const bytes of nests) digest.add(bytes, 0, bytes.length);
  return digest.value();
}

describe('RulesDigest', () => {
  it('is a safe integer, the same for the same rules', () => {
    const value = digestOf(realServer(), realServer({ port: 81 }));
    expect(Number.isSafeInteger(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(digestOf(realServer(), realServer({ port: 81 }))).toBe(value);
  });

  it('leaves out the counters and the padding', () => {
    const value = digestOf(realServer());
    expect(digestOf(realServer({ active: 12, stats: 0x7f }))).toBe(value);
    expect(digestOf(realServer({ pad: 0xee }))).toBe(value);
  });

  it('changes with any rule, with the order of the real servers, and with where one nest ends', () => {
    const value = digestOf(realServer(), realServer({ port: 81 }));
    expect(digestOf(realServer({ weight: 0 }), realServer({ port: 81 }))).not.toBe(value);
    expect(digestOf(realServer(), realServer({ port: 82 }))).not.toBe(value);
    expect(digestOf(realServer({ port: 81 }), realServer())).not.toBe(value);
    expect(digestOf(realServer())).not.toBe(value);
    const both = Buffer.concat([realServer(), realServer({ port: 81 })]);
    expect(digestOf(both)).not.toBe(value);
  });

  it('lets no change of two neighbouring words cancel out in either half of the digest', () => {
    // A review found that a top-bit change of one word and a bit-14 change of the next left the
    // high half unchanged, whatever the words: such real servers then collided with odds of 2^-21.
    const halves = (value: number): [number, number] => [Math.floor(value / 0x200000), value % 0x200000];
    const same = [0, 0];
    for (let trial = 0; trial < 2000; trial++) {
      const address = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) address.writeUInt32LE((Math.random() * 0x100000000) >>> 0, i);
      const word = 4 * Math.floor(Math.random() * 3);
      const changed = Buffer.from(address);
      const [first, second] = trial % 2 === 0 ? [0x80000000, 0x4000] : [(Math.random() * 0x100000000) >>> 0 || 1, (Math.random() * 0x100000000) >>> 0];
      changed.writeUInt32LE((changed.readUInt32LE(word) ^ first) >>> 0, word);
      changed.writeUInt32LE((changed.readUInt32LE(word + 4) ^ second) >>> 0, word + 4);
      const [before, after] = [address, changed].map((bytes) => halves(digestOf(nest([[IPVS_DEST_ATTR_ADDR, bytes]]))));
      for (const half of [0, 1]) if (after?.[half] === before?.[half]) same[half] = (same[half] ?? 0) + 1;
    }
    // The low half has 21 bits: one chance equality in 2,000 is possible, two are not (odds ~1e-6).
    expect(same[0]).toBe(0);
    expect(same[1]).toBeLessThanOrEqual(1);
  });

  it('refuses a nest whose attribute runs past its end, as decoding does', () => {
    const truncated = realServer().subarray(0, 30);
    expect(() => digestOf(truncated)).toThrow(NetlinkParseError);
  });
});
