/** allocationFloor: its ticks and sizes (the V8 effect is test/component/election-runtime/allocation-floor.test.ts). */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/fake-clock.js';
import {
  ALLOCATION_FLOOR_BYTES_PER_S,
  ALLOCATION_FLOOR_PERIOD_MS,
  allocationFloor,
  allocationFloorArrays,
  allocationFloorElements,
} from '../../../src/election-runtime/allocation-floor.js';
import type { MonotonicClock } from '../../../src/election-runtime/monotonic-clock.js';

/** countingClock counts what is scheduled on a FakeClock. */
function countingClock(fake: FakeClock): { clock: MonotonicClock; scheduled: () => number } {
  let scheduled = 0;
  return {
    clock: {
      get nowMs() {
        return fake.nowMs;
      },
      schedule(afterMs, run) {
        scheduled += 1;
        return fake.schedule(afterMs, run);
      },
    },
    scheduled: () => scheduled,
  };
}

describe('allocationFloor', () => {
  it('stays above V8 low-throughput limit of 1000 bytes/ms with room to spare', () => {
    expect(ALLOCATION_FLOOR_BYTES_PER_S / 1000).toBeGreaterThan(1000);
    // 30 kB per 20 ms tick, in 8-byte elements.
    expect(allocationFloorElements(ALLOCATION_FLOOR_BYTES_PER_S, ALLOCATION_FLOOR_PERIOD_MS)).toBe(3750);
  });

  it('a late tick makes up for the time since the previous one, one array per period, at most ten', () => {
    expect(allocationFloorArrays(20, 20)).toBe(1);
    expect(allocationFloorArrays(21, 20)).toBe(1);
    expect(allocationFloorArrays(0, 20)).toBe(1);
    expect(allocationFloorArrays(61, 20)).toBe(3);
    expect(allocationFloorArrays(5000, 20)).toBe(10);
  });

  it('ticks every periodMs until closed, then schedules nothing', () => {
    const fake = new FakeClock();
    const { clock, scheduled } = countingClock(fake);
    const floor = allocationFloor(clock, 1_000_000, 20);
    fake.advanceTo(1000);
    // The first tick is scheduled at start, then one more by each of the 50 ticks.
    expect(scheduled()).toBe(51);
    floor.close();
    expect(fake.pending).toBe(0);
    fake.advanceTo(2000);
    expect(scheduled()).toBe(51);
  });

  it('refuses a rate or period that is not positive', () => {
    const fake = new FakeClock();
    expect(() => allocationFloor(fake, 0, 20)).toThrow(RangeError);
    expect(() => allocationFloor(fake, 1000, 0)).toThrow(RangeError);
  });
});
