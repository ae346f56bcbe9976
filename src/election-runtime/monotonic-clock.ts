/**
 * monotonic-clock: the one clock the election shell reads, and the timers it schedules on.
 *
 * Wall-clock time (Date.now) jumps when NTP or an operator sets the clock; a failover timer must
 * not. performance.now() is monotonic (CLOCK_MONOTONIC underneath), so every due time and every
 * lateness in the shell is measured on it. The interface matches test/fakes/fake-clock.ts, so a
 * test hands the driver a FakeClock and never sleeps.
 */
import { performance } from 'node:perf_hooks';

/** ScheduledTimer cancels one scheduled callback; cancelling twice, or after it ran, is harmless. */
export interface ScheduledTimer {
  cancel(): void;
}

/** MonotonicClock reads monotonic milliseconds and schedules callbacks on the same time line. */
export interface MonotonicClock {
  /** nowMs is monotonic milliseconds since an arbitrary origin (fractional on the real clock). */
  readonly nowMs: number;
  /** schedule runs `run` once, no earlier than afterMs from now (the event loop may run it later). */
  schedule(afterMs: number, run: () => void): ScheduledTimer;
}

/** systemMonotonicClock is the real clock: performance.now() and the event loop's setTimeout. */
export function systemMonotonicClock(): MonotonicClock {
  return {
    get nowMs() {
      return performance.now();
    },
    schedule(afterMs, run) {
      const handle = setTimeout(run, afterMs);
      return {
        cancel: () => {
          clearTimeout(handle);
        },
      };
    },
  };
}
