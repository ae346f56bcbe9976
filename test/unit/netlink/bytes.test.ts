/** bytes: the unchecked integer reads agree with Buffer's checked ones wherever those apply. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { be16At, i32At, u16At, u32At } from '../../../src/netlink/bytes.js';

describe('bytes', () => {
  it('reads what Buffer.readUInt16LE, readUInt32LE, readInt32LE and readUInt16BE read, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), fc.nat(), (bytes, pick) => {
        const buf = Buffer.from(bytes);
        const at = pick % (buf.length - 3);
        expect([u16At(buf, at), u32At(buf, at), i32At(buf, at), be16At(buf, at)]).toEqual([buf.readUInt16LE(at), buf.readUInt32LE(at), buf.readInt32LE(at), buf.readUInt16BE(at)]);
      }),
    );
  });

  it('reads a u32 with the top bit set as a positive number, and as a negative int32', () => {
    expect(u32At(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0xffffffff);
    expect(i32At(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(-1);
  });
});
