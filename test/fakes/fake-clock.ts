/**
 * fake-clock: a deterministic monotonic clock for tests. Nothing runs until the test advances
 * time; callbacks due at the same instant run in the order they were scheduled, and a callback
 * may schedule more work, which runs in the same advance() if it falls due in time.
 */

/** FakeTimerHandle cancels one scheduled callback. */
export interface FakeTimerHandle {
  cancel(): void;
}

interface Scheduled {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** FakeClock is a monotonic millisecond clock that only moves when told to. */
export class FakeClock {
  #nowMs = 0;
  #seq = 0;
  #queue: Scheduled[] = [];

  /** nowMs is the current time, starting at 0. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** schedule runs `run` at nowMs + afterMs (afterMs ≥ 0). */
  schedule(afterMs: number, run: () => void): FakeTimerHandle {
    if (!(afterMs >= 0)) throw new RangeError(`FakeClock.schedule: afterMs ${afterMs} must be ≥ 0`);
    const entry: Scheduled = { atMs: this.#nowMs + afterMs, seq: this.#seq++, run, cancelled: false };
    this.#queue.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** advance moves time forward by ms, running every callback that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.#nowMs + ms);
  }

  /** advanceTo moves time forward to atMs (never backwards: the clock is monotonic). */
  advanceTo(atMs: number): void {
    if (atMs < this.#nowMs) throw new RangeError(`FakeClock is monotonic: cannot go back from ${this.#nowMs} to ${atMs}`);
    for (;;) {
      const next = this.#takeNextDue(atMs);
      if (next === undefined) break;
      this.#nowMs = next.atMs;
      next.run();
    }
    this.#nowMs = atMs;
  }

  /** pending counts callbacks scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#queue.filter((entry) => !entry.cancelled).length;
  }

  #takeNextDue(limitMs: number): Scheduled | undefined {
    this.#queue = this.#queue.filter((entry) => !entry.cancelled);
    let best: Scheduled | undefined;
    for (const entry of this.#queue) {
      if (entry.atMs > limitMs) continue;
      if (best === undefined || entry.atMs < best.atMs || (entry.atMs === best.atMs && entry.seq < best.seq)) best = entry;
    }
    if (best !== undefined) this.#queue.splice(this.#queue.indexOf(best), 1);
    return best;
  }
}
