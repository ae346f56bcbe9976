import { afterEach, describe, expect, it } from 'vitest';
import { loadNative, type NativeNetlinkSocket } from '../../../src/kernel/native.js';
import { NETLINK_ROUTE, NLMSG_DONE, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../../../src/netlink/constants.js';
import { decodeMessages, encodeMessage } from '../../../src/netlink/message.js';
import { NativeNetlinkTransport, NetlinkTransportError } from '../../../src/netlink/native-transport.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import { RTM_DELADDR, RTM_NEWADDR, addressRequest, linkDumpRequest, linkOf } from '../../netns/helpers/rtnetlink.js';

// These run against the host kernel's NETLINK_ROUTE but change nothing: every write they send
// names an interface that does not exist, so the kernel refuses it.
const MISSING_IFINDEX = 0x7fff_fff0;
/** RTM_GETMDB (linux/rtnetlink.h) dumps the bridges' multicast database; AF_BRIDGE is 7. */
const RTM_GETMDB = 86;
const AF_BRIDGE = 7;

describe('NativeNetlinkTransport on the host kernel', () => {
  let transport: NativeNetlinkTransport | undefined;
  /** socket is the addon's raw socket a test opened with openSocket(), closed after it. */
  let socket: NativeNetlinkSocket | undefined;
  const openSocket = (): NativeNetlinkSocket => (socket = new (loadNative().NetlinkSocket)(NETLINK_ROUTE, [], 1 << 20));
  afterEach(() => {
    transport?.close();
    transport = undefined;
    socket?.close();
    socket = undefined;
  });

  it('dumps the links and finds lo at index 1', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    const links = (await transport.request(linkDumpRequest(), 'dump links')).map(linkOf);
    expect(links).toContainEqual({ index: 1, name: 'lo' });
  });

  it('rejects a refused request with a NetlinkError that names the operation and errno', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    const refused = transport.request(addressRequest(RTM_DELADDR, MISSING_IFINDEX, '192.0.2.1', 32), 'delete address 192.0.2.1/32');
    await expect(refused).rejects.toBeInstanceOf(NetlinkError);
    await expect(refused).rejects.toMatchObject({ code: 'ENODEV', errno: 19, operation: 'delete address 192.0.2.1/32' });
    await expect(refused).rejects.toThrow(/^delete address 192\.0\.2\.1\/32: ENODEV/);
  });

  it('reports each refusal of a batch by index, and the barrier proves the rest were handled', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    const noop = { type: 1, flags: NLM_F_REQUEST, payload: new Uint8Array(0) };
    const outcomes = await transport.batch([noop, addressRequest(RTM_NEWADDR, MISSING_IFINDEX, '192.0.2.1', 32), noop]);
    expect(outcomes).toEqual([
      { ok: true, replies: [] },
      { ok: false, errno: 19, extendedMessage: expect.any(String) as unknown },
      { ok: true, replies: [] },
    ]);
  });

  it('serves calls made concurrently one after another, each with its own replies', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    const [links, refusal, again] = await Promise.allSettled([
      transport.request(linkDumpRequest(), 'dump links'),
      transport.request(addressRequest(RTM_DELADDR, MISSING_IFINDEX, '192.0.2.1', 32), 'delete address'),
      transport.request(linkDumpRequest(), 'dump links again'),
    ]);
    expect(links.status === 'fulfilled' && links.value.length).toBeGreaterThan(0);
    expect(refusal.status === 'rejected' && refusal.reason).toBeInstanceOf(NetlinkError);
    expect(again.status === 'fulfilled' && again.value.length).toBe(links.status === 'fulfilled' && links.value.length);
    expect(transport.staleReplies).toBe(0);
  });

  it('rejects calls after close with TANDEM_NETLINK_CLOSED', async () => {
    const closed = NativeNetlinkTransport.open(NETLINK_ROUTE);
    closed.close();
    await expect(closed.request(linkDumpRequest(), 'dump links')).rejects.toBeInstanceOf(NetlinkTransportError);
    await expect(closed.batch([linkDumpRequest()])).rejects.toMatchObject({ code: 'TANDEM_NETLINK_CLOSED' });
  });

  it('runs many dumps in turn on one socket, each with the replies request() gets', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    const alone = await transport.request(linkDumpRequest(), 'dump links');
    const outcomes = await transport.dumpMany(
      Array.from({ length: 50 }, () => linkDumpRequest()),
      (parts) => parts.map(linkOf),
    );
    expect(outcomes).toHaveLength(50);
    for (const outcome of outcomes) expect(outcome).toEqual({ ok: true, value: alone.map(linkOf) });
    expect(transport.staleReplies).toBe(0);
    const { ring, inTurn, ringUnavailable } = transport.dumpPaths;
    expect(ring + inTurn).toBe(50);
    // With io_uring (unless this host forbids it) a few links fit one page: every dump goes through the ring.
    if (ringUnavailable === undefined) expect(ring).toBe(50);
    else expect(['ENOSYS', 'EPERM', 'EOPNOTSUPP']).toContain(ringUnavailable.code);
  });

  it('the addon\'s io_uring path reads the same bytes as its in-turn path, empty dumps included', async () => {
    const socket = openSocket();
    // RTM_GETLINK (a page of links) and RTM_GETMDB, the bridges' multicast database: empty
    // on a host without bridges, so its NLMSG_DONE shares the first page and the chain's
    // second recv finds nothing (AF_BRIDGE in struct br_port_msg, linux/if_bridge.h).
    const linkDump = { ...linkDumpRequest(), flags: NLM_F_REQUEST | NLM_F_DUMP };
    const emptyDump = { type: RTM_GETMDB, flags: NLM_F_REQUEST | NLM_F_DUMP, payload: Uint8Array.of(AF_BRIDGE, 0, 0, 0, 0, 0, 0, 0) };
    const dumps = Array.from({ length: 150 }, (_v, i) => encodeMessage(i % 3 === 1 ? emptyDump : linkDump, 2000 + i));
    const ends = dumps.reduce<number[]>((at, d) => [...at, (at.at(-1) ?? 0) + d.length], []);
    const inTurn = Buffer.from(await socket.exchangeInTurn(Buffer.concat(dumps), ends, 5_000, Buffer.alloc(1 << 20)));
    let ring: { bytes: Buffer; ringDumps: number };
    try {
      ring = await socket.exchangeInRing(Buffer.concat(dumps), ends, 5_000, Buffer.alloc(1 << 20));
    } catch (error) {
      // A host without io_uring for us: the transport falls back (the fake-socket tests cover that).
      expect(error).toMatchObject({ syscall: 'io_uring_setup', code: expect.stringMatching(/^(ENOSYS|EPERM|EOPNOTSUPP)$/) as unknown });
      return;
    }
    expect(ring.ringDumps).toBe(150);
    const seqs = (bytes: Buffer): number[] => decodeMessages(bytes).map((m) => m.seq);
    expect(seqs(ring.bytes)).toEqual(seqs(inTurn));
    expect(decodeMessages(ring.bytes).filter((m) => m.type === NLMSG_DONE)).toHaveLength(150);
    expect(ring.bytes.length).toBe(inTurn.length);
  });

  it('the addon reads in-turn replies past a small receive buffer into a larger one it hands over', async () => {
    const socket = openSocket();
    const dumps = Array.from({ length: 40 }, (_v, i) => encodeMessage({ ...linkDumpRequest(), flags: NLM_F_REQUEST | NLM_F_DUMP }, 1000 + i));
    const small = Buffer.alloc(16);
    const bytes = await socket.exchangeInTurn(Buffer.concat(dumps), dumps.map((_d, i) => (i + 1) * dumps[0]!.length), 5_000, small);
    expect(bytes.buffer).not.toBe(small.buffer);
    const messages = decodeMessages(bytes);
    const done = messages.filter((m) => m.type === NLMSG_DONE).map((m) => m.seq);
    expect(done).toEqual(Array.from({ length: 40 }, (_v, i) => 1000 + i));
    expect(messages.filter((m) => m.seq === 1039 && m.type !== NLMSG_DONE).map(linkOf)).toContainEqual({ index: 1, name: 'lo' });
    // Handed back, the larger buffer takes a second round without growing again.
    const reused = Buffer.from(bytes.buffer);
    expect((await socket.exchangeInTurn(Buffer.concat(dumps), dumps.map((_d, i) => (i + 1) * dumps[0]!.length), 5_000, reused)).buffer).toBe(reused.buffer);
  });

  it('the addon\'s io_uring path redoes in turn what a stray reply put out of shape, and drops the stray', async () => {
    const socket = openSocket();
    // Two acked NLMSG_NOOPs in one datagram, read only up to the first: the second ack is
    // left queued, as after a timed-out call, and the ring's first recv finds it.
    const noop = { type: 1, flags: NLM_F_REQUEST | NLM_F_ACK, payload: new Uint8Array(0) };
    const noops = Buffer.concat([encodeMessage(noop, 10), encodeMessage(noop, 11)]);
    expect((await socket.exchange(noops, [noops.length], 10, 5_000)).flatMap((d) => decodeMessages(d)).map((m) => m.seq)).toEqual([10]);
    const dumps = Array.from({ length: 5 }, (_v, i) => encodeMessage({ ...linkDumpRequest(), flags: NLM_F_REQUEST | NLM_F_DUMP }, 3000 + i));
    const ends = dumps.map((d, i) => (i + 1) * d.length);
    let ring: { bytes: Buffer; ringDumps: number };
    try {
      ring = await socket.exchangeInRing(Buffer.concat(dumps), ends, 5_000, Buffer.alloc(1 << 20));
    } catch (error) {
      expect(error).toMatchObject({ syscall: 'io_uring_setup' });
      return;
    }
    expect(ring.ringDumps).toBe(0);
    const messages = decodeMessages(ring.bytes);
    expect(messages.map((m) => m.seq)).not.toContain(11);
    expect(messages.filter((m) => m.type === NLMSG_DONE).map((m) => m.seq)).toEqual([3000, 3001, 3002, 3003, 3004]);
    const again = await socket.exchangeInRing(Buffer.concat(dumps), ends, 5_000, Buffer.alloc(1 << 20));
    expect(again.ringDumps).toBe(5);
    const shape = (bytes: Buffer): number[][] => decodeMessages(bytes).map((m) => [m.seq, m.type]);
    expect(shape(again.bytes)).toEqual(shape(ring.bytes));
  });

  it('the addon settles an exchange begun here before it returns, with the replies the pool reads', async () => {
    const socket = openSocket();
    const noop = encodeMessage({ type: 1, flags: NLM_F_REQUEST | NLM_F_ACK, payload: new Uint8Array(0) }, 20);
    const settledBeforeAnyTurn = async (exchange: Promise<Buffer[]>): Promise<boolean> => {
      let settled = false;
      void exchange.then(() => (settled = true));
      // A pool thread's result needs a turn of the event loop; microtasks alone do not give one.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return settled;
    };
    const here = socket.exchange(noop, [noop.length], 20, 5_000, true);
    expect(await settledBeforeAnyTurn(here)).toBe(true);
    const pool = socket.exchange(noop, [noop.length], 20, 5_000);
    expect(await settledBeforeAnyTurn(pool)).toBe(false);
    const shape = (datagrams: Buffer[]): number[][] => datagrams.flatMap((d) => decodeMessages(d)).map((m) => [m.seq, m.type]);
    expect(shape(await here)).toEqual(shape(await pool));
    expect(shape(await here)).toEqual([[20, 2]]);
  });

  it('the addon leaves the wait for a reply not yet queued to the pool, which times out', async () => {
    const socket = openSocket();
    const noop = encodeMessage({ type: 1, flags: NLM_F_REQUEST | NLM_F_ACK, payload: new Uint8Array(0) }, 30);
    // Sequence number 31 never comes: the JS thread must not be the one that waits for it.
    const startedAt = performance.now();
    const waiting = socket.exchange(noop, [noop.length], 31, 200, true);
    expect(performance.now() - startedAt).toBeLessThan(100);
    await expect(waiting).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'poll' });
  });

  it('the addon rejects an exchange begun here whose send fails, and frees the socket for the next', async () => {
    const socket = openSocket();
    // netlink_sendmsg refuses a datagram longer than the socket's send buffer (SO_SNDBUF,
    // wmem_default unless set; socket(7)) with EMSGSIZE before the kernel reads a byte of it.
    const tooLarge = Buffer.alloc(16 << 20);
    const failing = socket.exchange(tooLarge, [tooLarge.length], 40, 5_000, true);
    await expect(failing).rejects.toMatchObject({ code: 'EMSGSIZE', syscall: 'sendmsg' });
    const noop = encodeMessage({ type: 1, flags: NLM_F_REQUEST | NLM_F_ACK, payload: new Uint8Array(0) }, 41);
    const replies = await socket.exchange(noop, [noop.length], 41, 5_000, true);
    expect(replies.flatMap((d) => decodeMessages(d)).map((m) => [m.seq, m.type])).toEqual([[41, 2]]);
  });

  it('sends small batches from the JS thread and larger batches and requests from the pool', async () => {
    const socket = openSocket();
    const sentHere: boolean[] = [];
    const port = {
      exchange: (data: Buffer, chunkEnds: readonly number[], untilSeq: number, timeoutMs: number, beginHere?: boolean) => {
        sentHere.push(beginHere === true);
        return socket.exchange(data, chunkEnds, untilSeq, timeoutMs, beginHere);
      },
      exchangeInTurn: socket.exchangeInTurn.bind(socket),
      exchangeInRing: socket.exchangeInRing.bind(socket),
      close: () => {
        socket.close();
      },
    };
    // A NLMSG_NOOP frames to 16 bytes, and every batch ends with one as its barrier.
    transport = new NativeNetlinkTransport(port, { sendBatchesHereUpToBytes: 48 });
    const noop = { type: 1, flags: NLM_F_REQUEST, payload: new Uint8Array(0) };
    expect(await transport.batch([noop, noop])).toEqual([{ ok: true, replies: [] }, { ok: true, replies: [] }]);
    expect(await transport.batch([noop, noop, noop])).toHaveLength(3);
    await transport.request(addressRequest(RTM_DELADDR, MISSING_IFINDEX, '192.0.2.1', 32), 'delete address').catch(() => undefined);
    expect(sentHere).toEqual([true, false, false]);
    expect(transport.staleReplies).toBe(0);
  });

  it('refuses a dump inside a batch', async () => {
    transport = NativeNetlinkTransport.open(NETLINK_ROUTE);
    await expect(transport.batch([linkDumpRequest()])).rejects.toMatchObject({ code: 'TANDEM_NETLINK_DUMP_IN_BATCH' });
  });
});
