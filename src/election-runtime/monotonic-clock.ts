/**
 * monotonic-clock: the one clock the election shell reads, and the timers it schedules on.
 *
 * Wall-clock time (Date.now) jumps when NTP or an operator sets the clock; a failover timer must
 * not. performance.now() is monotonic (CLOCK_MONOTONIC underneath), so every due time and every
 * lateness in the shell is measured on it. The interface matches test/fakes/fake-clock.ts, so a
 * test hands the driver a FakeClock and never sleeps.
 *
 * EventLoopClock adds the one event-loop ordering the election needs: "after the I/O that is ready
 * now". libuv runs due timers before it polls sockets, so a timer callback cannot see datagrams
 * that arrived while the thread was descheduled; setImmediate callbacks run in the check phase,
 * right after that poll phase, when every readable datagram has been handed to its listener.
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

/** EventLoopClock is a MonotonicClock that can also defer work until pending I/O has run. */
export interface EventLoopClock extends MonotonicClock {
  /** afterPendingIo runs `run` once, after the event loop has delivered the I/O ready now. */
  afterPendingIo(run: () => void): ScheduledTimer;
}

/**
 * systemMonotonicClock is the real clock: performance.now(), the event loop's setTimeout, and
 * setImmediate for afterPendingIo (see the file comment).
 */
export function systemMonotonicClock(): EventLoopClock {
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
    afterPendingIo(run) {
      const handle = setImmediate(run);
      return {
        cancel: () => {
          clearImmediate(handle);
        },
      };
    },
  };
}
