/**
 * loop-delay: how long this thread's event loop was blocked, by the lateness of a ticking timer.
 *
 * A timer's own lateness misses one case: the loop was blocked while adverts queued in the socket
 * buffer, then woke just before the masterDown deadline, so the timer runs on time while the
 * adverts that would have re-armed it are still unread behind it (Node runs due timers before it
 * polls sockets). A sampler that ticks every resolutionMs sees every such block: a block of B ms
 * makes one tick run between B − resolutionMs and B late.
 *
 * Why not perf_hooks.monitorEventLoopDelay: its histogram records whole tick intervals, and
 * reset() forgets the previous tick's time, so the first block after a reset is never recorded
 * (measured on Node 20), and windows per armed timer need a reset. This sampler runs on the
 * injected MonotonicClock, so tests drive it with a fake clock.
 */
import type { MonotonicClock, ScheduledTimer } from './monotonic-clock.js';

/** LoopDelayMonitor reports the longest loop block since the previous take. */
export interface LoopDelayMonitor {
  /** takeMaxMs returns the longest block (ms) seen since the last call, and starts afresh. */
  takeMaxMs(): number;
  /** close stops sampling; takeMaxMs returns 0 afterwards. */
  close(): void;
}

/**
 * LOOP_DELAY_RESOLUTION_MS is the sampling period. A block that can hide adverts lasts about two
 * advert intervals, at least 20 ms (ADVERT_INTERVAL_MIN_MS is 10), so 10 ms ticks see it; the cost
 * is 100 wake-ups a second on the election thread.
 */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** loopDelaySampler starts ticking on `clock` at once; close() stops it. */
export function loopDelaySampler(clock: MonotonicClock, resolutionMs = LOOP_DELAY_RESOLUTION_MS): LoopDelayMonitor {
  if (!(resolutionMs > 0)) throw new RangeError(`loop delay resolution ${resolutionMs} ms must be positive`);
  let maxMs = 0;
  let expectedAtMs = clock.nowMs + resolutionMs;
  let pending: ScheduledTimer | undefined;
  const tick = (): void => {
    const nowMs = clock.nowMs;
    maxMs = Math.max(maxMs, nowMs - expectedAtMs);
    expectedAtMs = nowMs + resolutionMs;
    pending = clock.schedule(resolutionMs, tick);
  };
  pending = clock.schedule(resolutionMs, tick);
  return {
    takeMaxMs() {
      if (pending === undefined) return 0;
      // A tick overdue right now (queued behind the caller in the same timers phase) measures a
      // block that has already happened: count it here, and let that tick measure only from now
      // on, so no block is counted in two windows.
      const nowMs = clock.nowMs;
      const taken = Math.max(maxMs, nowMs - expectedAtMs, 0);
      expectedAtMs = Math.max(expectedAtMs, nowMs);
      maxMs = 0;
      return taken;
    },
    close() {
      pending?.cancel();
      pending = undefined;
    },
  };
}
