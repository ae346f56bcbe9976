import { describe, expect, it } from 'vitest';
import { dumpManyInPlace, viewOfParts } from '../../../src/netlink/dump-view.js';
import { type NetlinkMessage, type NetlinkRequest, decodeMessages } from '../../../src/netlink/message.js';
import type { DumpDecoder, DumpOutcome, NetlinkTransport } from '../../../src/netlink/transport.js';

const part = (type: number, flags: number, seq: number, body: string): NetlinkMessage => ({ type, flags, seq, pid: 7, payload: Buffer.from(body) });

/** MessagesOnly is a transport without dumpManyInPlace (a fake, or a wrapper that records). */
class MessagesOnly implements NetlinkTransport {
  constructor(private readonly answers: readonly (readonly NetlinkMessage[])[]) {}
  request(): Promise<readonly NetlinkMessage[]> {
    return Promise.reject(new Error('unexpected'));
  }
  batch(): Promise<never[]> {
    return Promise.reject(new Error('unexpected'));
  }
  dumpMany<T>(requests: readonly NetlinkRequest[], decode: DumpDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
    return Promise.resolve(requests.map((_r, index) => ({ ok: true as const, value: decode(this.answers[index] ?? [], index) })));
  }
  close(): void {}
}

describe('dump-view', () => {
  it('viewOfParts lays the parts end to end as the kernel frames them, each at its partStart', () => {
    const parts = [part(30, 2, 5, 'odd'), part(31, 0, 5, ''), part(32, 2, 5, 'four')];
    const { bytes, partStarts } = viewOfParts(parts);
    expect(partStarts).toEqual([0, 20, 36]);
    expect(decodeMessages(bytes)).toEqual(parts);
  });

  it('dumpManyInPlace falls back to dumpMany for a transport without it, each dump as a view', async () => {
    const transport = new MessagesOnly([[part(30, 2, 1, 'a'), part(30, 2, 1, 'bb')], []]);
    const request = { type: 30, flags: 0x300, payload: new Uint8Array(0) };
    const outcomes = await dumpManyInPlace(transport, [request, request], ({ bytes, partStarts }, index) => [
      index,
      ...partStarts.map((at) => bytes.subarray(at + 16, at + bytes.readUInt32LE(at)).toString()),
    ]);
    expect(outcomes).toEqual([
      { ok: true, value: [0, 'a', 'bb'] },
      { ok: true, value: [1] },
    ]);
  });
});
