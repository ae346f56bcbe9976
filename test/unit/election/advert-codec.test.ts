/** The v1 advert layout (docs/protocol.md "Byte layout"), checked against golden bytes. */
import { describe, expect, it } from 'vitest';
import {
  ADVERT_BYTES,
  decodeAdvertBody,
  encodeAdvertBody,
  frameAdvert,
} from '../../../src/election/advert-codec.js';
import { advertTag, sealAdvertBody, verifyAdvertTag } from '../../../src/election/auth.js';
import { ADVERT_FLAG_HANDOVER, type Advert } from '../../../src/election/types.js';

const SAMPLE: Advert = {
  groupId: 0x0102,
  priority: 200,
  advertIntervalMs: 1000,
  state: 'master',
  flags: ADVERT_FLAG_HANDOVER,
  nodeId: 0xa1b2c3d4,
  epoch: 0x1122334455667788n,
  counter: 42n,
  configDigest: new Uint8Array(32).fill(0xee),
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('advert codec v1', () => {
  it('lays the body out as documented', () => {
    expect(hex(encodeAdvertBody(SAMPLE))).toBe(
      '544e444d' + // magic "TNDM"
        '01' + // version
        '02' + // state master
        '01' + // flags: handover
        'c8' + // priority 200
        '0102' + // group id
        '0000' + // reserved
        '000003e8' + // advert interval 1000 ms
        'a1b2c3d4' + // node id
        '1122334455667788' + // epoch
        '000000000000002a' + // counter 42
        'ee'.repeat(32), // config digest
    );
  });

  it('appends HMAC-SHA256 of the body under the current key (RFC 4231 style check)', () => {
    const key = new Uint8Array(32).fill(0x0b);
    const datagram = sealAdvertBody({ current: key }, encodeAdvertBody(SAMPLE));
    expect(datagram).toHaveLength(ADVERT_BYTES);
    expect(hex(datagram.subarray(68))).toBe(hex(advertTag(key, datagram.subarray(0, 68))));
    expect(verifyAdvertTag({ current: new Uint8Array(32), next: key }, datagram.subarray(0, 68), datagram.subarray(68))).toBe(true);
  });

  it('frames and decodes what it encodes', () => {
    const framed = frameAdvert(sealAdvertBody({ current: new Uint8Array(32) }, encodeAdvertBody(SAMPLE)));
    expect(framed.ok).toBe(true);
    if (!framed.ok) return;
    expect(decodeAdvertBody(framed.frame.body)).toEqual({ ok: true, advert: SAMPLE });
  });

  it('checks version before length, so a future layout is bad-version, not malformed', () => {
    const future = new Uint8Array([0x54, 0x4e, 0x44, 0x4d, 2, 0, 0]);
    expect(frameAdvert(future)).toEqual({ ok: false, reason: 'bad-version' });
    expect(frameAdvert(new Uint8Array([0x54, 0x4e, 0x44, 0x4d]))).toEqual({ ok: false, reason: 'malformed' });
  });

  const corruptions: [string, (body: Uint8Array) => void][] = [
    ['an unknown state', (body) => { body.set([9], 5); }],
    ['an unknown flag', (body) => { body.set([0x80], 6); }],
    ['a set reserved byte', (body) => { body.set([1], 11); }],
    ['group 0', (body) => { body.set([0, 0], 8); }],
    ['an interval under 10 ms', (body) => { body.set([0, 0, 0, 9], 12); }],
    ['an interval over 40 950 ms', (body) => { body.set([0, 0, 0xa0, 0], 12); }],
  ];
  it.each(corruptions)('reads %s in a signed body as malformed', (_what, corrupt) => {
    const body = encodeAdvertBody(SAMPLE);
    corrupt(body);
    expect(decodeAdvertBody(body)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to encode values the layout cannot hold', () => {
    expect(() => encodeAdvertBody({ ...SAMPLE, priority: 256 })).toThrow(RangeError);
    expect(() => encodeAdvertBody({ ...SAMPLE, counter: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeAdvertBody({ ...SAMPLE, flags: 0x40 })).toThrow(RangeError);
    expect(() => encodeAdvertBody({ ...SAMPLE, configDigest: new Uint8Array(31) })).toThrow(RangeError);
  });
});
