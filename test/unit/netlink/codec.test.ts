import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttributeSet,
  attrBe16,
  attrNested,
  attrString,
  attrU16,
  attrU32,
  attrU64,
  attrU8,
  encodeAttributes,
} from '../../../src/netlink/attributes.js';
import { NLMSG_ERROR, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_REQUEST } from '../../../src/netlink/constants.js';
import {
  decodeAckOrError,
  decodeGeneric,
  decodeMessages,
  encodeMessage,
  genericPayload,
} from '../../../src/netlink/message.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('attributes', () => {
  it('pads each payload to 4 bytes and marks nested lists', () => {
    const bytes = encodeAttributes([attrU8(1, 7), attrBe16(2, 80), attrNested(3, [attrString(4, 'rr')])]);
    // len=5 type=1 07 pad3 | len=6 type=2 0050 pad2 | len=4+7 type=3|NESTED [len=7 type=4 'rr\0' pad1]
    expect(bytes.toString('hex')).toBe(
      '05000100' + '07000000' + '06000200' + '00500000' + '0c000380' + '07000400' + '72720000',
    );
  });

  it('round-trips every scalar type through AttributeSet', () => {
    const set = AttributeSet.decode(
      encodeAttributes([attrU8(1, 200), attrU16(2, 65000), attrBe16(3, 8080), attrU32(4, 4_000_000_000), attrU64(5, 2n ** 63n + 5n), attrString(6, 'eth0')]),
    );
    expect(set.u8(1)).toBe(200);
    expect(set.u16(2)).toBe(65000);
    expect(set.be16(3)).toBe(8080);
    expect(set.u32(4)).toBe(4_000_000_000);
    expect(set.u64(5)).toBe(2n ** 63n + 5n);
    expect(set.string(6)).toBe('eth0');
    expect(set.has(7)).toBe(false);
    expect(set.u32(7)).toBeUndefined();
  });

  it('keeps repeated attributes and decodes nested ones', () => {
    const set = AttributeSet.decode(encodeAttributes([attrNested(1, [attrU32(1, 1)]), attrNested(1, [attrU32(1, 2)])]));
    expect(set.all(1)).toHaveLength(2);
    expect(set.nested(1)?.u32(1)).toBe(1);
  });

  it('rejects an attribute whose length runs past the buffer, naming the offset', () => {
    const bad = hex('08000100 0100 0000 0c000200 00');
    expect(() => AttributeSet.decode(bad)).toThrow(NetlinkParseError);
    try {
      AttributeSet.decode(bad);
    } catch (error) {
      expect((error as NetlinkParseError).offset).toBe(8);
    }
  });

  it('rejects a payload too short for the asked width', () => {
    const set = AttributeSet.decode(encodeAttributes([attrU16(1, 5)]));
    expect(() => set.u32(1)).toThrow(/expected 4/);
  });

  it('require names a missing attribute', () => {
    const set = AttributeSet.decode(Buffer.alloc(0));
    expect(() => set.require(set.u32(9), 'IPVS_SVC_ATTR_AF')).toThrow(/IPVS_SVC_ATTR_AF/);
  });
});

describe('messages', () => {
  it('frames a generic netlink request with its header', () => {
    const payload = genericPayload({ cmd: 3, version: 1 }, [attrString(2, 'IPVS')]);
    const bytes = encodeMessage({ type: 0x10, flags: NLM_F_REQUEST | NLM_F_ACK, payload }, 7, 0);
    // nlmsghdr: len 32, type 0x10, flags 5, seq 7, pid 0 | genlmsghdr cmd 3 ver 1 | attr 'IPVS\0'
    expect(bytes.toString('hex')).toBe('20000000' + '1000' + '0500' + '07000000' + '00000000' + '03010000' + '09000200' + '49505653' + '00000000');
    const [message] = decodeMessages(bytes);
    expect(message).toMatchObject({ type: 0x10, flags: 5, seq: 7, pid: 0 });
    const decoded = decodeGeneric(message!);
    expect(decoded.header).toEqual({ cmd: 3, version: 1 });
    expect(decoded.attributes.string(2)).toBe('IPVS');
  });

  it('splits a datagram holding several messages', () => {
    const a = encodeMessage({ type: 20, flags: 2, payload: Buffer.from([1, 2, 3]) }, 1);
    const b = encodeMessage({ type: 3, flags: 2, payload: Buffer.alloc(4) }, 1);
    const messages = decodeMessages(Buffer.concat([a, b]));
    expect(messages.map((m) => m.type)).toEqual([20, 3]);
    expect([...messages[0]!.payload]).toEqual([1, 2, 3]);
  });

  it('rejects a truncated header and a length that runs past the datagram', () => {
    expect(() => decodeMessages(Buffer.alloc(10))).toThrow(NetlinkParseError);
    const long = encodeMessage({ type: 20, flags: 0, payload: Buffer.alloc(8) }, 1);
    long.writeUInt32LE(200, 0);
    expect(() => decodeMessages(long)).toThrow(/claims 200 bytes/);
    const short = encodeMessage({ type: 20, flags: 0, payload: Buffer.alloc(0) }, 1);
    short.writeUInt32LE(4, 0);
    expect(() => decodeMessages(short)).toThrow(NetlinkParseError);
  });
});

describe('acks and errors', () => {
  // An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK set:
  // error -17 (EEXIST), the echoed request header only (capped), then NLMSGERR_ATTR_MSG.
  const capped = (): Buffer => {
    const echoed = encodeMessage({ type: 0x25, flags: 5, payload: Buffer.alloc(0) }, 42);
    const text = encodeAttributes([attrString(1, 'Service already exists')]);
    const payload = Buffer.concat([Buffer.from([0xef, 0xff, 0xff, 0xff]), echoed, text]);
    return encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, payload }, 42);
  };

  it('decodes errno, the answered seq and the extended ack text', () => {
    const [message] = decodeMessages(capped());
    expect(decodeAckOrError(message!)).toEqual({ errno: 17, seq: 42, requestType: 0x25, extendedMessage: 'Service already exists' });
  });

  it('reads a plain ack as errno 0', () => {
    const echoed = encodeMessage({ type: 0x25, flags: 5, payload: Buffer.alloc(0) }, 9);
    const [message] = decodeMessages(encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, payload: Buffer.concat([Buffer.alloc(4), echoed]) }, 9));
    expect(decodeAckOrError(message!)).toEqual({ errno: 0, seq: 9, requestType: 0x25 });
  });

  it('turns a refusal into a NetlinkError with the errno name and a hint', () => {
    const [message] = decodeMessages(capped());
    const error = new NetlinkError('add virtual server tcp 192.0.2.1:80', decodeAckOrError(message!), 'It exists already.');
    expect(error.code).toBe('EEXIST');
    expect(error.message).toBe('add virtual server tcp 192.0.2.1:80: EEXIST (kernel: Service already exists). It exists already.');
  });
});

describe('decoders never throw anything but NetlinkParseError', () => {
  const onlyParseErrors = (run: () => unknown): boolean => {
    try {
      run();
      return true;
    } catch (error) {
      return error instanceof NetlinkParseError;
    }
  };

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const buf = Buffer.from(bytes);
        return (
          onlyParseErrors(() => decodeMessages(buf).map((m) => (m.type === NLMSG_ERROR ? decodeAckOrError(m) : decodeGeneric(m)))) &&
          onlyParseErrors(() => AttributeSet.decode(buf).types())
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('on bit-flipped valid messages', () => {
    const valid = encodeMessage({ type: 0x10, flags: 1, payload: genericPayload({ cmd: 1, version: 1 }, [attrNested(1, [attrU32(1, 5), attrString(2, 'wlc')])]) }, 3);
    fc.assert(
      fc.property(fc.nat(valid.length * 8 - 1), (bit) => {
        const copy = Buffer.from(valid);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        return onlyParseErrors(() => {
          for (const m of decodeMessages(copy)) decodeGeneric(m).attributes.nested(1)?.string(2);
        });
      }),
    );
  });
});
