/**
 * dump-runner: how NativeNetlinkTransport.dumpMany gets many dumps' replies off the addon
 * socket, one dump per datagram, each after the previous one ended.
 *
 * Through io_uring when the kernel offers it (exchangeInRing: per dump a linked send, recv,
 * recv, 64 dumps to one io_uring_enter; native/src/netlink-uring.cc), else in turn
 * (exchangeInTurn: three system calls per dump). In a user-mode-linux guest system calls are
 * what a read-back of 1,000 IPVS services costs (bench/ipvs-table). Both resolve with the same
 * replies: the addon redoes in turn any dump the ring did not read whole, so nothing here, and
 * nothing that decodes the bytes, depends on which path ran.
 *
 * Writes first. A listing on this socket and a weight change on another share the guest's one
 * CPU and Node's one JS thread; traced in a user-mode-linux guest (bench/verdict-latency,
 * 2026-11-21 18:30), a weight change that waited mostly had its ack read by the addon's thread
 * and then waited for the JS thread to see it, busy decoding the listing's previous batch. So
 * with a gate (`yieldTo`, the daemon's WritesFirst) the runner starts no batch and hands none
 * back for decoding while a write is queued or in flight (`yieldToWrites` is the same wait for
 * the decoder's own pauses): a write waits for one piece of the listing at most, the batch or
 * decoding slice under way or one that was waiting for older writes when it was queued.
 *
 * When io_uring cannot be set up (ENOSYS without CONFIG_IO_URING, EPERM under a seccomp
 * filter or kernel.io_uring_disabled, EOPNOTSUPP on a kernel older than 5.17), the runner
 * says so once in `paths.ringUnavailable` and uses exchangeInTurn from then on. So it does
 * after a ring fails once set up (io_uring_enter: completions stopped for the timeout), though
 * that exchange is rejected, since its dumps were sent: the addon abandons such a ring and
 * leaks its 4 MiB of receive pages (a cancelled recv may still write there), and whatever
 * stalled it (a kernel that waits on a recv it was told not to) would stall every later one.
 */
import { type ErrnoException, type NativeNetlinkSocket, isErrnoException } from '../kernel/native.js';

/** dumpMany's first receive buffers: room for one batch of 64 dumps of about 8 KB (20 IPVS real servers each) and the 64 KiB the addon keeps free; it grows as needed. */
const FIRST_RECEIVE_BUFFER_BYTES = 1024 * 1024;

/** DumpSocketPort is the part of the addon's netlink socket that runs dumps (fakeable). */
export type DumpSocketPort = Pick<NativeNetlinkSocket, 'exchangeInTurn' | 'exchangeInRing'>;

/** DumpGate is what a runner waits for (see the file comment): `whenClear` is undefined to go on at once, else a promise to wait for. */
export interface DumpGate {
  whenClear(): Promise<void> | undefined;
}

/**
 * WritesFirst is the gate between writes and a listing (see the file comment): the writer holds
 * it from when a write is queued until its reply is in, and the listing waits for it between
 * its pieces of work. Writes are few and short (a weight change, a batch), so a listing waits
 * for them, never the other way round; but a waiter waits only for the writes held when it
 * began to wait, not for later ones: under a steady stream of writes that overlap (verdicts
 * queued behind each other) the gate would otherwise never open, and the full pass that repairs
 * drift within 1 s would never list. Each piece of the listing still lets every write then
 * pending go first.
 */
export class WritesFirst implements DumpGate {
  /** #nextWrite numbers the writes in the order they are held. */
  #nextWrite = 0;
  /** #held are the numbers of the writes queued or in flight. */
  readonly #held = new Set<number>();
  /** #waiters wait for every write numbered below `before` to be released. */
  #waiters: { readonly before: number; readonly open: () => void }[] = [];
  #opening = false;

  /** pending is how many writes are queued or in flight. */
  get pending(): number {
    return this.#held.size;
  }

  /**
   * hold marks one write queued or in flight; call the function it returns once, when its
   * reply is in (or it failed). Waiters go on a turn of the event loop after the release of
   * the last write they wait for, not at once: the write's caller then sees its outcome (a
   * chain of promise reactions) before a waiting listing goes on decoding, which would run
   * first otherwise.
   */
  hold(): () => void {
    const write = this.#nextWrite++;
    this.#held.add(write);
    return () => {
      if (!this.#held.delete(write) || this.#opening) return;
      this.#opening = true;
      setImmediate(() => {
        this.#opening = false;
        this.#openWaiters();
      });
    };
  }

  /** whenClear resolves once the writes pending now are released and the last one's caller has had its turn; undefined when that is now. */
  whenClear(): Promise<void> | undefined {
    if (this.#held.size === 0 && !this.#opening) return undefined;
    return new Promise((open) => this.#waiters.push({ before: this.#nextWrite, open }));
  }

  /** #openWaiters lets go every waiter whose writes are all released. */
  #openWaiters(): void {
    let oldest = this.#nextWrite;
    for (const write of this.#held) oldest = Math.min(oldest, write);
    const waiting = this.#waiters;
    this.#waiters = waiting.filter((waiter) => waiter.before > oldest);
    for (const waiter of waiting) if (waiter.before <= oldest) waiter.open();
  }
}

/**
 * DumpPaths says how the dumps so far were read: `ring` whole by the io_uring chains,
 * `inTurn` by the system calls of exchangeInTurn (every dump when io_uring is unavailable,
 * else those the ring did not read whole). `ringUnavailable` is why io_uring is not used.
 */
export interface DumpPaths {
  readonly ring: number;
  readonly inTurn: number;
  readonly ringUnavailable?: ErrnoException;
}

/** DumpRunner runs framed dump requests on one socket; see the file comment. */
export class DumpRunner {
  private readonly socket: DumpSocketPort;
  private readonly gate: DumpGate | undefined;
  private ringUnavailable: ErrnoException | undefined;
  private ringDumps = 0;
  private inTurnDumps = 0;
  /**
   * receiveBuffers are where the replies are read, two so that one batch of dumps can be read
   * while the previous one is decoded (NativeNetlinkTransport.dumpMany), each kept at the size
   * of the largest exchange it took (about 0.5 MB for 64 GET_DEST dumps of 20 IPVS real
   * servers): in a user-mode-linux guest, having the kernel write into fresh pages, or copying
   * the replies into a new Buffer, each cost more than the dumps themselves
   * (native/src/netlink-exchange.cc). Their pages are touched when the runner is made, as the
   * transport is opened, not in the first read-back.
   */
  private readonly receiveBuffers: [Buffer, Buffer] = [touchedBuffer(FIRST_RECEIVE_BUFFER_BYTES), touchedBuffer(FIRST_RECEIVE_BUFFER_BYTES)];

  /**
   * `useRing` false keeps to exchangeInTurn (to compare the two, or to rule the ring out).
   * `yieldTo` is the gate each addon call waits for (writes on another socket first).
   */
  constructor(socket: DumpSocketPort, useRing = true, yieldTo?: DumpGate) {
    this.socket = socket;
    this.gate = yieldTo;
    if (!useRing) this.ringUnavailable = Object.assign(new Error('io_uring not wanted (useRing: false)'), { code: 'EOPNOTSUPP', errno: -95, syscall: 'io_uring_setup' });
  }

  /** paths says how the dumps so far were read. */
  get paths(): DumpPaths {
    const counts = { ring: this.ringDumps, inTurn: this.inTurnDumps };
    return this.ringUnavailable === undefined ? counts : { ...counts, ringUnavailable: this.ringUnavailable };
  }

  /**
   * run sends each chunk of `data` (one dump request each) once the previous dump has ended
   * and resolves with every reply, each datagram padded to 4 bytes. The bytes live in receive
   * buffer `slot` (0 or 1): decode them before that slot's next run. One run at a time per
   * runner (the socket's). With a gate it waits for it before the batch and before handing the
   * replies back. Rejects with the addon's errors.
   */
  async run(data: Buffer, chunkEnds: readonly number[], timeoutMs: number, slot: 0 | 1): Promise<Buffer> {
    await this.gate?.whenClear();
    const into = this.receiveBuffers[slot];
    const received = await this.exchange(data, chunkEnds, timeoutMs, into);
    // The replies outgrew the buffer: keep the larger one the addon read them into.
    if (received.buffer !== into.buffer) this.receiveBuffers[slot] = Buffer.from(received.buffer);
    await this.gate?.whenClear();
    return received;
  }

  /** yieldToWrites is the gate's wait, for a decoder between slices of a batch: undefined to go on at once. */
  yieldToWrites(): Promise<void> | undefined {
    return this.gate?.whenClear();
  }

  private async exchange(data: Buffer, chunkEnds: readonly number[], timeoutMs: number, into: Buffer): Promise<Buffer> {
    if (this.ringUnavailable === undefined) {
      try {
        const { bytes, ringDumps } = await this.socket.exchangeInRing(data, chunkEnds, timeoutMs, into);
        this.ringDumps += ringDumps;
        this.inTurnDumps += chunkEnds.length - ringDumps;
        return bytes;
      } catch (error) {
        if (!isErrnoException(error) || !error.syscall.startsWith('io_uring_')) throw error;
        this.ringUnavailable = error;
        // A ring that failed once set up had sent dumps already: only setup failures are retried in turn.
        if (error.syscall !== 'io_uring_setup') throw error;
      }
    }
    const bytes = await this.socket.exchangeInTurn(data, chunkEnds, timeoutMs, into);
    this.inTurnDumps += chunkEnds.length;
    return bytes;
  }
}

/** touchedBuffer allocates `bytes` and writes every page, so that later writes fault nothing in. */
function touchedBuffer(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes).fill(0);
}
