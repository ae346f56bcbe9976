/**
 * native: the typed surface of the C++ addon in native/, loaded lazily.
 *
 * This is the only module that touches the compiled binary. Nothing loads it at import time:
 * the first call to loadNative() does, so pure modules and their tests never need a build.
 * The addon makes system calls only; every byte layout and every policy lives in TypeScript.
 */
import { createRequire } from 'node:module';

/** An Error raised by the addon for a failed system call, shaped like Node's own. */
export interface ErrnoException extends Error {
  /** Symbolic errno name, e.g. "ENOENT". */
  code: string;
  /** Negative errno number, as Node and libuv report it. */
  errno: number;
  /** The system call that failed, e.g. "sendto". */
  syscall: string;
}

/**
 * DatagramListener receives what a listening socket read in one readable event: the datagrams,
 * or an errno error (ENOBUFS when the kernel dropped messages for lack of buffer space,
 * EMSGSIZE for a datagram over 64 KiB) together with whatever was read before it.
 */
export type DatagramListener = (error: ErrnoException | null, datagrams: Buffer[]) => void;

/**
 * NativeNetlinkSocket is one AF_NETLINK socket, bound with a kernel-assigned port id, with
 * NETLINK_EXT_ACK and NETLINK_CAP_ACK on. Methods throw ErrnoException (EBADF once closed).
 */
export interface NativeNetlinkSocket {
  /** portId is the socket's netlink port id (nl_pid from getsockname). */
  portId(): number;
  /**
   * exchange sends `data` on a libuv pool thread, one sendmsg per chunk (`chunkEnds` are the
   * byte offsets where chunks end, each on a message boundary), reading the queued replies
   * after each chunk. It then reads until a datagram holds NLMSG_ERROR or NLMSG_DONE with
   * sequence number `untilSeq`, or bytes that do not frame as netlink, and resolves with every
   * datagram read. Rejects with ETIMEDOUT (syscall "poll") after `timeoutMs` with nothing to
   * read, ENOBUFS when replies were dropped, EBUSY when another exchange is in flight.
   * With `beginHere` the calling (JS) thread sends the chunks and reads the replies already
   * queued, never polling (its sendmsg may still sleep briefly on a kernel lock that another
   * socket's dump holds): when that ends the exchange (a small write request, whose ack the
   * kernel queues inside sendmsg) the promise is settled before exchange returns, with no hop
   * to the pool and back; only a wait for a reply not yet queued goes to the pool.
   */
  exchange(data: Buffer, chunkEnds: readonly number[], untilSeq: number, timeoutMs: number, beginHere?: boolean): Promise<Buffer[]>;
  /**
   * exchangeInTurn sends each chunk of `data` as one datagram on a libuv pool thread, but only
   * once the previous chunk's terminal reply has arrived: NLMSG_ERROR or NLMSG_DONE carrying
   * the sequence number of the chunk's last message. One dump per datagram therefore never
   * meets the kernel's one-dump-per-socket EBUSY. It reads the replies into `into` and
   * resolves with the bytes read, each datagram padded to 4 bytes so the messages frame end
   * to end: a view of `into`, or, when they outgrew it, a view of a larger Buffer whose
   * `.buffer` the caller may pass next time. Stops early at bytes that do not frame as
   * netlink. Rejects as exchange() does, and with EINVAL when a chunk does not frame as
   * netlink messages.
   */
  exchangeInTurn(data: Buffer, chunkEnds: readonly number[], timeoutMs: number, into: Buffer): Promise<Buffer>;
  /**
   * exchangeInRing does what exchangeInTurn does, with the same replies in the result, through
   * the socket's io_uring: per chunk (one dump request each) a send and two recvs chained, 64
   * chunks per io_uring_enter. A chunk whose replies did not come back whole in that chain is
   * redone in turn (stray replies of earlier exchanges read meanwhile are dropped); `ringDumps`
   * counts the chunks that needed no redo. Rejects with syscall "io_uring_setup"
   * (ENOSYS, EPERM, EOPNOTSUPP before Linux 5.17) when the ring cannot be set up, having sent
   * nothing, and otherwise as exchangeInTurn does.
   */
  exchangeInRing(data: Buffer, chunkEnds: readonly number[], timeoutMs: number, into: Buffer): Promise<{ bytes: Buffer; ringDumps: number }>;
  /** listen polls the socket on the main loop and hands every datagram to `listener`. */
  listen(listener: DatagramListener): void;
  /** close stops listening and closes the fd (after an exchange in flight, if any). */
  close(): void;
}

/** NativePacketSocket is an AF_PACKET SOCK_RAW socket (packet(7)). */
export interface NativePacketSocket {
  /**
   * sendFrame sends one whole Ethernet frame (header included) out of interface `ifindex`.
   * Throws EINVAL for a frame shorter than an Ethernet header.
   */
  sendFrame(ifindex: number, frame: Buffer): void;
  /** listen polls a bound socket on the main loop and hands every frame to `listener`. */
  listen(listener: DatagramListener): void;
  /** close stops listening and closes the fd; safe to call twice. */
  close(): void;
}

/** ThreadScheduler is a thread's scheduling policy and static priority (sched(7)). */
export interface ThreadScheduler {
  /** Policy number from <linux/sched.h> (SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2), SCHED_RESET_ON_FORK or-ed in when set. */
  policy: number;
  /** Static priority: 1..99 for SCHED_FIFO/SCHED_RR, 0 otherwise. */
  priority: number;
}

/**
 * NativeTcpProber runs TCP connects with non-blocking sockets registered in one epoll instance
 * that the main loop watches. Results arrive in batches through the constructor's callback.
 */
export interface NativeTcpProber {
  /**
   * connect opens a socket, binds it to `sourceAddress` when one is given, and connects it to
   * `address` (numeric IPv4 or IPv6) port `port`. Returns an id > 0 while the handshake is in
   * flight (reported later through onSettled), or what connect(2) ended with at once: 0
   * (connected, already reset) or a negative errno. Throws ErrnoException for a failed socket,
   * bind or epoll_ctl, and EINVAL (syscall "inet_pton") for an address that is not numeric.
   */
  connect(address: string, port: number, sourceAddress: string | null): number;
  /** cancel drops a connect in flight; no report follows. False when `id` is not in flight. */
  cancel(id: number): boolean;
  /** close drops every connect in flight and closes the epoll fd; safe to call twice. */
  close(): void;
}

/**
 * TcpProberSettled receives `count` finished connects: pairs (id, errno) in the first
 * 2 × count entries of the results array, errno 0 for a completed handshake. Every connection
 * is already over, an established one reset with a RST, and its socket closed or kept
 * unconnected for a later connect.
 */
export type TcpProberSettled = (count: number) => void;

/** Every function the addon exports. */
export interface NativeBinding {
  /** Interface name to kernel index (if_nametoindex). Throws ENODEV for an unknown name. */
  ifNameToIndex(name: string): number;
  /** Kernel index to interface name (if_indextoname). Throws ENXIO for an unknown index. */
  ifIndexToName(index: number): string;
  /**
   * NetlinkSocket opens a netlink socket for `protocol` (NETLINK_ROUTE, NETLINK_GENERIC),
   * joins the multicast `groups` (group numbers, e.g. RTNLGRP_LINK = 1) and asks for a
   * receive buffer of `receiveBufferBytes` (SO_RCVBUFFORCE, else SO_RCVBUF).
   */
  NetlinkSocket: new (protocol: number, groups: readonly number[], receiveBufferBytes: number) => NativeNetlinkSocket;
  /**
   * PacketSocket opens an AF_PACKET socket. `protocol` 0 gives a send-only socket; an
   * EtherType (host order, 0x0806 for ARP) binds it to receive that protocol on `ifindex`
   * (0: every interface).
   */
  PacketSocket: new (protocol: number, ifindex: number) => NativePacketSocket;
  /**
   * TcpProber makes a connect prober. `results` (an even length, ≥ 2) is overwritten with
   * (id, errno) pairs just before each onSettled call, as many per call as it holds.
   */
  TcpProber: new (results: Int32Array, onSettled: TcpProberSettled) => NativeTcpProber;
  /**
   * setCurrentThreadScheduler calls sched_setscheduler(0, policy, priority) for the CALLING
   * thread only (on Linux pid 0 names the calling thread). Throws EPERM without CAP_SYS_NICE
   * or a large enough RLIMIT_RTPRIO, EINVAL for a priority outside the policy's range.
   */
  setCurrentThreadScheduler(policy: number, priority: number): void;
  /** getCurrentThreadScheduler reports the calling thread's policy and priority (sched_getscheduler, sched_getparam). */
  getCurrentThreadScheduler(): ThreadScheduler;
  /**
   * sendUnixDatagram sends one datagram to the AF_UNIX SOCK_DGRAM socket at `path`; a leading
   * '@' means the abstract namespace. Non-blocking: a full receiver fails with EAGAIN.
   */
  sendUnixDatagram(path: string, data: Buffer): void;
  /**
   * withNetworkNamespace runs `fn` synchronously with the JS thread inside the network
   * namespace at `path` (e.g. /run/netns/NAME) and moves back afterwards, even on a throw.
   * Sockets opened inside `fn` stay in that namespace.
   */
  withNetworkNamespace<T>(path: string, fn: () => T): T;
}

const BINARY = '../../native/build/Release/tandem_native.node';

let cached: NativeBinding | undefined;

/**
 * loadNative returns the addon, loading it on first use. It fails with a message that says
 * how to build it when the binary is missing.
 */
export function loadNative(): NativeBinding {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require(BINARY) as NativeBinding;
  } catch (cause) {
    throw new Error(
      `tandem's native addon is not built (${BINARY} relative to src/kernel). Run \`npm run build:native\`.`,
      { cause },
    );
  }
  return cached;
}

/** isErrnoException tells an addon system-call error from any other thrown value. */
export function isErrnoException(value: unknown): value is ErrnoException {
  return (
    value instanceof Error &&
    typeof (value as Partial<ErrnoException>).code === 'string' &&
    typeof (value as Partial<ErrnoException>).errno === 'number' &&
    typeof (value as Partial<ErrnoException>).syscall === 'string'
  );
}
