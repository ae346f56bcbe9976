/**
 * serial-passes: one kernel owner's passes, one at a time, on demand and on a tick.
 *
 * An owner must not interleave its own kernel calls (design principle 3), yet inputs arrive at
 * any moment. Each request queues one pass after those already running; requests made while a
 * pass is still queued share it, because that pass has not read the inputs yet. The tick keeps
 * re-reading the kernel while nothing else asks, which is how drift is found. An owner may also
 * queue a smaller job of its own (the IPVS owner's verdict fast path) in the same line, so it
 * never interleaves with a pass either.
 */
import type { MonotonicClock, ScheduledTimer } from '../election-runtime/monotonic-clock.js';

/** SerialPasses queues an owner's converge passes; see the file comment. */
export class SerialPasses {
  readonly #pass: () => Promise<void>;
  readonly #clock: MonotonicClock;
  readonly #tickIntervalMs: number;
  #running: Promise<void> = Promise.resolve();
  #queued = false;
  #tick: ScheduledTimer | undefined;
  #ticking = false;

  /** `pass` must not throw: an owner logs and counts its own failures. */
  constructor(pass: () => Promise<void>, clock: MonotonicClock, tickIntervalMs: number) {
    this.#pass = pass;
    this.#clock = clock;
    this.#tickIntervalMs = tickIntervalMs;
  }

  /** request queues a pass (or joins the queued one) and resolves when it has run. */
  request(): Promise<void> {
    if (this.#queued) return this.#running;
    this.#queued = true;
    this.#running = this.#running.then(() => {
      this.#queued = false;
      return this.#pass();
    });
    return this.#running;
  }

  /** enqueue runs `job` (which must not throw) after everything queued so far, and resolves when it has. */
  enqueue(job: () => Promise<void>): Promise<void> {
    this.#running = this.#running.then(job);
    return this.#running;
  }

  /** settled resolves when every pass queued so far has run. */
  settled(): Promise<void> {
    return this.#running;
  }

  /** startTicking requests a pass every tickIntervalMs, counted from the end of the previous one. */
  startTicking(): void {
    this.#ticking = true;
    this.#scheduleTick();
  }

  /** stop ends the tick and resolves once the running pass is done. */
  async stop(): Promise<void> {
    this.#ticking = false;
    this.#tick?.cancel();
    this.#tick = undefined;
    await this.#running;
  }

  #scheduleTick(): void {
    this.#tick = this.#clock.schedule(this.#tickIntervalMs, () => {
      void this.request().finally(() => {
        if (this.#ticking) this.#scheduleTick();
      });
    });
  }
}
