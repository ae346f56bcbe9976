/**
 * stalling-clock: a MonotonicClock over a FakeClock whose "event loop" can be blocked. While it is
 * blocked, callbacks that fall due are held; when the block ends they run as Node's event loop
 * would run them: due timers first, in due order, then I/O (datagrams) in arrival order, then
 * afterPendingIo callbacks (setImmediate's check phase).
 *
 * afterPendingIo on a running loop is a zero-delay callback on the FakeClock: it runs after every
 * callback already due at this instant, so after each datagram delivered at this instant.
 */
import type { FakeClock } from '../../fakes/fake-clock.js';
import type { EventLoopClock, ScheduledTimer } from '../../../src/election-runtime/monotonic-clock.js';

interface Held {
  readonly dueAtMs: number;
  readonly run: () => void;
}

/** StallingClock: see the file comment. One instance is one thread's event loop. */
export class StallingClock implements EventLoopClock {
  readonly #fake: FakeClock;
  #blockedUntilMs = -1;
  #heldTimers: Held[] = [];
  #heldIo: (() => void)[] = [];
  #heldChecks: (() => void)[] = [];

  constructor(fake: FakeClock) {
    this.#fake = fake;
  }

  /** nowMs is the shared fake time. */
  get nowMs(): number {
    return this.#fake.nowMs;
  }

  /** schedule is a timer on this loop. */
  schedule(afterMs: number, run: () => void): ScheduledTimer {
    const dueAtMs = this.#fake.nowMs + afterMs;
    let cancelled = false;
    const guarded = (): void => {
      if (!cancelled) run();
    };
    const inner = this.#fake.schedule(afterMs, () => {
      if (this.blocked) this.#heldTimers.push({ dueAtMs, run: guarded });
      else guarded();
    });
    return {
      cancel: () => {
        cancelled = true;
        inner.cancel();
      },
    };
  }

  /** afterPendingIo runs `run` after the I/O due now (or held by a block) has been delivered. */
  afterPendingIo(run: () => void): ScheduledTimer {
    let cancelled = false;
    const guarded = (): void => {
      if (!cancelled) run();
    };
    const inner = this.#fake.schedule(0, () => {
      if (this.blocked) this.#heldChecks.push(guarded);
      else guarded();
    });
    return {
      cancel: () => {
        cancelled = true;
        inner.cancel();
      },
    };
  }

  /** deliver runs I/O (a received datagram) on this loop now, or after the block. */
  deliver(run: () => void): void {
    if (this.blocked) this.#heldIo.push(run);
    else run();
  }

  /** blocked is true while the loop is blocked. */
  get blocked(): boolean {
    return this.#fake.nowMs < this.#blockedUntilMs;
  }

  /** block freezes this loop for ms from now. */
  block(ms: number): void {
    this.#blockedUntilMs = this.#fake.nowMs + ms;
    this.#fake.schedule(ms, () => {
      const timers = this.#heldTimers.sort((a, b) => a.dueAtMs - b.dueAtMs);
      const io = this.#heldIo;
      const checks = this.#heldChecks;
      this.#heldTimers = [];
      this.#heldIo = [];
      this.#heldChecks = [];
      for (const held of timers) held.run();
      for (const run of io) run();
      for (const run of checks) run();
    });
  }
}
