import { describe, expect, it } from 'vitest';
import { loadNative } from '../../../src/kernel/native.js';
import { NETLINK_ROUTE, NLMSG_NOOP, NLM_F_ACK, NLM_F_REQUEST } from '../../../src/netlink/constants.js';
import { decodeAckOrError, decodeMessages, encodeMessage } from '../../../src/netlink/message.js';

const RECEIVE_BUFFER_BYTES = 1 << 20;

describe('native NetlinkSocket', () => {
  it('binds to a kernel-assigned port id', () => {
    const { NetlinkSocket } = loadNative();
    const a = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    const b = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    try {
      expect(a.portId()).toBeGreaterThan(0);
      expect(a.portId()).not.toBe(b.portId());
    } finally {
      a.close();
      b.close();
    }
  });

  it('reads until the ack of untilSeq, across many messages in one send', async () => {
    const { NetlinkSocket } = loadNative();
    const socket = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    try {
      const noop = { type: NLMSG_NOOP, flags: NLM_F_REQUEST | NLM_F_ACK, payload: new Uint8Array(0) };
      const data = Buffer.concat([encodeMessage(noop, 7), encodeMessage(noop, 8), encodeMessage(noop, 9)]);
      const datagrams = await socket.exchange(data, [16, 48], 9, 1_000);
      const acks = datagrams.flatMap((d) => decodeMessages(d)).map(decodeAckOrError);
      expect(acks.map((a) => [a.seq, a.errno])).toEqual([[7, 0], [8, 0], [9, 0]]);
    } finally {
      socket.close();
    }
  });

  it('times out instead of hanging when no terminal reply comes', async () => {
    const { NetlinkSocket } = loadNative();
    const socket = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    try {
      // A NOOP without NLM_F_ACK gets no reply at all.
      const silent = encodeMessage({ type: NLMSG_NOOP, flags: NLM_F_REQUEST, payload: new Uint8Array(0) }, 1);
      const started = Date.now();
      await expect(socket.exchange(silent, [silent.length], 1, 100)).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'poll' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      socket.close();
    }
  });

  it('refuses a second exchange while one is in flight, and closes after it', async () => {
    const { NetlinkSocket } = loadNative();
    const socket = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    const silent = encodeMessage({ type: NLMSG_NOOP, flags: NLM_F_REQUEST, payload: new Uint8Array(0) }, 1);
    const first = socket.exchange(silent, [silent.length], 1, 100);
    expect(() => socket.exchange(silent, [silent.length], 1, 100)).toThrow(expect.objectContaining({ code: 'EBUSY' }) as Error);
    socket.close();
    await expect(first).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(() => socket.portId()).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
  });

  it('rejects chunk ends that do not increase within the data', () => {
    const { NetlinkSocket } = loadNative();
    const socket = new NetlinkSocket(NETLINK_ROUTE, [], RECEIVE_BUFFER_BYTES);
    try {
      expect(() => socket.exchange(Buffer.alloc(32), [16, 16], 1, 100)).toThrow(RangeError);
      expect(() => socket.exchange(Buffer.alloc(32), [48], 1, 100)).toThrow(RangeError);
    } finally {
      socket.close();
    }
  });

  it('raises a Node-style error for an unknown netlink protocol', () => {
    const { NetlinkSocket } = loadNative();
    expect(() => new NetlinkSocket(31, [], RECEIVE_BUFFER_BYTES)).toThrow(
      expect.objectContaining({ code: 'EPROTONOSUPPORT', syscall: 'socket' }) as Error,
    );
  });
});
