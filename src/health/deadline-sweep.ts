/**
 * deadline-sweep: one timer for the deadlines of every attempt in flight, instead of one timer
 * per attempt.
 *
 * Attempts with the same timeoutMs are started in time order, so their deadlines (start +
 * timeoutMs) arrive in the order they were added: each timeoutMs gets a FIFO, and only the FIFOs'
 * heads can be due. A config has few distinct timeouts, so finding the earliest head is a short
 * loop. An attempt that settles stays queued until a sweep passes it: most settle within
 * milliseconds, so a sweep that falls due pops the settled ones and re-arms for the oldest attempt
 * still in flight, and at a steady load the timer fires about once per timeoutMs however many
 * attempts run (5,000 checks a second with 1 s timeouts: about one sweep a second).
 */
import type { MonotonicClock, ScheduledTimer } from '../election-runtime/monotonic-clock.js';
import { Fifo } from './fifo.js';

/** Deadlined is an item with a deadline on the sweep's clock. */
export interface Deadlined {
  readonly deadlineMs: number;
}

/** DeadlineSweepOptions: the clock, which items still want their deadline, and what to do with those past it. */
export interface DeadlineSweepOptions<T extends Deadlined> {
  readonly clock: MonotonicClock;
  /** isLive says whether `item` is still in flight; a settled item is dropped without expiring. */
  readonly isLive: (item: T) => boolean;
  /** expire receives, in one call per sweep, every live item whose deadline has passed. */
  readonly expire: (items: T[]) => void;
}

/** DeadlineSweep expires items at their deadlines on a single timer. */
export class DeadlineSweep<T extends Deadlined> {
  readonly #options: DeadlineSweepOptions<T>;
  readonly #byTimeout = new Map<number, Fifo<T>>();
  #timer: ScheduledTimer | null = null;
  /** #timerAtMs is when the timer fires, Infinity while none is armed. */
  #timerAtMs = Infinity;

  constructor(options: DeadlineSweepOptions<T>) {
    this.#options = options;
  }

  /**
   * add watches `item`, whose deadlineMs must be the clock's nowMs + timeoutMs: that is what keeps
   * each timeoutMs's FIFO in deadline order.
   */
  add(item: T, timeoutMs: number): void {
    let fifo = this.#byTimeout.get(timeoutMs);
    if (fifo === undefined) {
      fifo = new Fifo<T>();
      this.#byTimeout.set(timeoutMs, fifo);
    }
    fifo.push(item);
    if (item.deadlineMs < this.#timerAtMs) this.#armAt(item.deadlineMs);
  }

  /** clear forgets every item and cancels the timer. */
  clear(): void {
    this.#byTimeout.clear();
    this.#disarm();
  }

  #sweep(): void {
    this.#timer = null;
    this.#timerAtMs = Infinity;
    const { clock, isLive, expire } = this.#options;
    const nowMs = clock.nowMs;
    const expired: T[] = [];
    for (const [timeoutMs, fifo] of this.#byTimeout) {
      for (let item = fifo.peek(); item !== undefined; item = fifo.peek()) {
        const live = isLive(item);
        if (live && item.deadlineMs > nowMs) break;
        fifo.shift();
        if (live) expired.push(item);
      }
      if (fifo.size === 0) this.#byTimeout.delete(timeoutMs);
    }
    let nextAtMs = Infinity;
    for (const fifo of this.#byTimeout.values()) nextAtMs = Math.min(nextAtMs, fifo.peek()?.deadlineMs ?? Infinity);
    if (nextAtMs !== Infinity) this.#armAt(nextAtMs);
    if (expired.length > 0) expire(expired);
  }

  #armAt(atMs: number): void {
    this.#disarm();
    const { clock } = this.#options;
    this.#timerAtMs = atMs;
    this.#timer = clock.schedule(Math.max(0, atMs - clock.nowMs), () => {
      this.#sweep();
    });
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAtMs = Infinity;
  }
}
