/**
 * AttributeIndex against forEachAttribute: the same offsets (last of several wins, types at or
 * above its slots ignored, flag bits masked) wherever the nest lies, in place (even address) or
 * from the copy it makes of a nest at an odd address, and a truncated nest is a NetlinkParseError.
 */
import { describe, expect, it } from 'vitest';
import { AttributeIndex, forEachAttribute } from '../../../src/ipvs/attribute-scan.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';

/** nest lays out attributes (type, payload) as struct nlattr does: host-order u16 length and type, payloads padded to 4. */
function nest(attributes: readonly (readonly [number, readonly number[]])[]): Buffer {
  const parts = attributes.map(([type, payload]) => {
    const part = Buffer.alloc(4 + Math.ceil(payload.length / 4) * 4);
    part.writeUInt16LE(4 + payload.length, 0);
    part.writeUInt16LE(type, 2);
    Buffer.from(payload).copy(part, 4);
    return part;
  });
  return Buffer.concat(parts);
}

/** placed copies `bytes` into a fresh buffer `lead` bytes in, viewed from `viewFrom` on. */
function placed(bytes: Buffer, lead: number, viewFrom: number): { buf: Buffer; start: number } {
  const whole = Buffer.alloc(lead + bytes.length);
  bytes.copy(whole, lead);
  return { buf: whole.subarray(viewFrom), start: lead - viewFrom };
}

const SLOTS = 6;

function expected(buf: Buffer, start: number, end: number): { starts: number[]; ends: number[] } {
  const starts = new Array<number>(SLOTS).fill(-1);
  const ends = new Array<number>(SLOTS).fill(0);
  forEachAttribute(buf, start, end, (type, from, to) => {
    if (type < SLOTS) {
      starts[type] = from;
      ends[type] = to;
    }
  });
  return { starts, ends };
}

describe('AttributeIndex', () => {
  const bytes = nest([
    [1, [1, 2, 3, 4]],
    [3, [5, 6]],
    [0x8000 | 2, [7, 8, 9]],
    [1, [10, 11, 12, 13, 14]],
    [9, [15]],
  ]);

  // (lead, viewFrom): in place at even offsets; at an odd buffer address; at an odd start.
  for (const [lead, viewFrom] of [[0, 0], [8, 0], [9, 1], [3, 0]] as const) {
    it(`finds what forEachAttribute visits, the nest ${lead} bytes in, viewed from ${viewFrom}`, () => {
      const { buf, start } = placed(bytes, lead, viewFrom);
      const index = new AttributeIndex(SLOTS);
      index.index(buf, start, start + bytes.length);
      const want = expected(buf, start, start + bytes.length);
      expect(Array.from(index.starts)).toEqual(want.starts);
      expect(Array.from(index.starts, (from, type) => (from < 0 ? 0 : (index.ends[type] ?? 0)))).toEqual(want.ends);
      expect(buf.subarray(index.starts[1], index.ends[1])).toEqual(Buffer.from([10, 11, 12, 13, 14]));
      expect(buf.subarray(index.starts[2], index.ends[2])).toEqual(Buffer.from([7, 8, 9]));
      expect(index.starts[0]).toBe(-1);
    });

    it(`rejects a truncated nest, ${lead} bytes in, viewed from ${viewFrom}`, () => {
      const { buf, start } = placed(bytes, lead, viewFrom);
      // The last attribute claims 5 bytes; 4 are left of it.
      const end = start + bytes.length - 4;
      expect(() => {
        forEachAttribute(buf, start, end, () => undefined);
      }).toThrow(NetlinkParseError);
      expect(() => {
        new AttributeIndex(SLOTS).index(buf, start, end);
      }).toThrow(NetlinkParseError);
    });
  }
});
