/**
 * allocation-floor: keeps the election thread's young generation mapped by allocating a little
 * garbage all the time.
 *
 * Why: after each scavenge V8 (11.3, Node 20) gives the empty half of the young generation back
 * to the kernel when the isolate's recent allocation rate is below 1000 bytes/ms
 * (`Heap::ReduceNewSpaceSize`, GCTracer's low-throughput test), and maps it again at the start of
 * the next scavenge (`SemiSpace::Commit`). The election thread allocates a few hundred bytes per
 * ms, so every one of its scavenges made about ten mprotect/madvise calls. Those calls take the
 * process's mmap lock for writing, which the normal-priority main thread holds whenever it maps
 * or unmaps heap pages, so the realtime election thread slept up to tens of milliseconds in them
 * on a saturated host (bench/spurious/syscalls.ts, README "Run 11"): long enough, at 10 ms
 * adverts, for the backup to fail over. Above the threshold V8 keeps both halves committed and a
 * scavenge makes no system call.
 *
 * The price is one extra scavenge of the thread's small heap about every second (well under a
 * millisecond of its own CPU time) and about 1.5 MB/s of allocation that dies at once.
 */
import type { MonotonicClock, ScheduledTimer } from './monotonic-clock.js';

/**
 * ALLOCATION_FLOOR_BYTES_PER_S is 1.5 × V8's low-throughput limit (1000 bytes/ms), so the
 * thread stays above it even when a timer tick is skipped or late.
 */
export const ALLOCATION_FLOOR_BYTES_PER_S = 1_500_000;

/** ALLOCATION_FLOOR_PERIOD_MS: a tick every 20 ms, 30 kB each at the default rate. */
export const ALLOCATION_FLOOR_PERIOD_MS = 20;

/** BYTES_PER_ELEMENT: a V8 array element is one 8-byte tagged slot on x64 without pointer compression (Node 20). */
const BYTES_PER_ELEMENT = 8;

/**
 * MAX_CATCH_UP_PERIODS bounds what a late tick makes up for. A tick that runs late (the thread was
 * blocked) allocates for the whole time since the previous one, in arrays of one period each: the
 * rate V8 measures is per elapsed millisecond, so late ticks must not lower it. Each array stays
 * well under V8's largest regular object (128 kB; a larger one gets pages of its own, mapped with
 * mmap, which is what this module avoids).
 */
const MAX_CATCH_UP_PERIODS = 10;

/** AllocationFloor runs until close(). */
export interface AllocationFloor {
  close(): void;
}

/** allocationFloorElements is the length of the array each tick allocates for bytesPerSecond. */
export function allocationFloorElements(bytesPerSecond: number, periodMs: number): number {
  return Math.ceil((bytesPerSecond * periodMs) / 1000 / BYTES_PER_ELEMENT);
}

/** allocationFloorArrays is how many arrays a tick allocates elapsedMs after the previous one (1 to MAX_CATCH_UP_PERIODS). */
export function allocationFloorArrays(elapsedMs: number, periodMs: number): number {
  return Math.min(MAX_CATCH_UP_PERIODS, Math.max(1, Math.round(elapsedMs / periodMs)));
}

/**
 * allocationFloor allocates bytesPerSecond of short-lived arrays on `clock`'s timers, starting
 * now. Each array is kept until the next tick, so no compiler can drop the allocation as unused.
 */
export function allocationFloor(clock: MonotonicClock, bytesPerSecond = ALLOCATION_FLOOR_BYTES_PER_S, periodMs = ALLOCATION_FLOOR_PERIOD_MS): AllocationFloor {
  if (!(bytesPerSecond > 0) || !(periodMs > 0)) throw new RangeError(`allocation floor ${bytesPerSecond} B/s every ${periodMs} ms must be positive`);
  const elements = allocationFloorElements(bytesPerSecond, periodMs);
  const kept: { array: number[] } = { array: [] };
  let pending: ScheduledTimer | undefined;
  let lastTickMs = clock.nowMs;
  const tick = (): void => {
    const nowMs = clock.nowMs;
    for (let count = allocationFloorArrays(nowMs - lastTickMs, periodMs); count > 0; count -= 1) kept.array = new Array<number>(elements).fill(0);
    lastTickMs = nowMs;
    pending = clock.schedule(periodMs, tick);
  };
  pending = clock.schedule(periodMs, tick);
  return {
    close() {
      pending?.cancel();
      pending = undefined;
      kept.array = [];
    },
  };
}
