/**
 * tcp-prober: TCP connect attempts through the addon's epoll-based TcpProber. One prober serves
 * any number of connects in flight; the kernel runs the handshakes, and each readable event of
 * the epoll fd hands this module a whole batch of finished connects in one call.
 *
 * Unbound sockets are reused from connect to connect (the addon keeps them unconnected between
 * checks), and a socket stays in the network namespace it was opened in: use one prober per
 * namespace, never one inside and outside withNetworkNamespace.
 *
 * The hot path allocates nothing here: results arrive in a preallocated Int32Array, and the
 * caller's own attempt object is the waiter, found again by the id the addon assigned.
 */
import { loadNative, type NativeTcpProber } from './native.js';

/** ConnectWaiter is told how one connect in flight ended: errno 0 when the handshake completed. */
export interface ConnectWaiter {
  connectSettled(errno: number): void;
}

/**
 * RESULT_PAIRS is the most (id, errno) pairs one callback carries. A starved loop may turn only
 * once a second, so one turn must be able to take a whole second's completions (10,000 real
 * servers at a 2 s interval finish 5,000 a second); 16,384 settle in tens of milliseconds of JS.
 */
const RESULT_PAIRS = 16_384;

/**
 * TcpProber starts non-blocking connects and reports each one's end to its waiter. The addon
 * resets an established connection as soon as its connect ends, so nothing is left to release
 * per connect. An idle prober holds its epoll fd and up to about as many unconnected sockets as
 * were ever in flight at once (close() releases them all), and does not keep the process alive.
 */
export class TcpProber {
  readonly #native: NativeTcpProber;
  readonly #results = new Int32Array(2 * RESULT_PAIRS);
  // Indexed by the addon's id; the addon reuses freed ids, so this stays as long as the peak in flight.
  readonly #waiters: (ConnectWaiter | undefined)[] = [];

  /** TcpProber loads the addon (throws, saying how to build it, when it is missing) and opens an epoll fd. */
  constructor() {
    const { TcpProber: NativeProber } = loadNative();
    this.#native = new NativeProber(this.#results, (count) => {
      this.#settle(count);
    });
  }

  /**
   * connect starts a connect to `address`:`port`, from `sourceAddress` when it is not null.
   * Returns an id > 0 when the handshake is in flight (`waiter` is told its end exactly once,
   * unless cancelled), or 0 / a negative errno when connect(2) ended at once (`waiter` is not
   * called). Throws ErrnoException when the socket could not be set up (EMFILE, EADDRNOTAVAIL
   * from bind, EINVAL for an address that is not numeric).
   */
  connect(address: string, port: number, sourceAddress: string | null, waiter: ConnectWaiter): number {
    const result = this.#native.connect(address, port, sourceAddress);
    if (result > 0) this.#waiters[result] = waiter;
    return result;
  }

  /**
   * cancel drops connect `id` if it is still in flight; its waiter is then not called. A connect
   * that already ended in the batch being delivered (a waiter earlier in that batch cancelled
   * it) is no longer in flight, and its waiter is still told: the addon may have reused the id
   * since, so it cannot be dropped by id here, and a waiter that cancels must ignore a late end.
   */
  cancel(id: number): void {
    if (this.#native.cancel(id)) this.#waiters[id] = undefined;
  }

  /** close drops every connect in flight (their waiters are not called) and closes the epoll fd. */
  close(): void {
    this.#native.close();
    this.#waiters.length = 0;
  }

  #settle(count: number): void {
    const results = this.#results;
    const waiters = this.#waiters;
    for (let pair = 0; pair < 2 * count; pair += 2) {
      const id = results[pair] ?? 0;
      const waiter = waiters[id];
      waiters[id] = undefined;
      waiter?.connectSettled(results[pair + 1] ?? 0);
    }
  }
}
