/**
 * ElectionTimers: one timer per name, and lateByMs = how late this process ran it, including a
 * loop block that ended before the due time (the case a callback's own lateness misses).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/fake-clock.js';
import { StallingClock } from '../../component/election-runtime/stalling-clock.js';
import { ElectionTimers } from '../../../src/election-runtime/election-timers.js';
import { loopDelaySampler, type LoopDelayMonitor } from '../../../src/election-runtime/loop-delay.js';
import type { TimerName } from '../../../src/election/types.js';

const noLoopDelay: LoopDelayMonitor = { takeMaxMs: () => 0, close: () => undefined };

function setup(options: { sampler?: boolean; thresholdMs?: number } = {}) {
  const fake = new FakeClock();
  const clock = new StallingClock(fake);
  const loopDelay = options.sampler === false ? noLoopDelay : loopDelaySampler(clock, 10);
  const fired: { timer: TimerName; atMs: number; lateByMs: number }[] = [];
  const timers = new ElectionTimers(clock, loopDelay, options.thresholdMs ?? 25, (timer, lateByMs) => {
    fired.push({ timer, atMs: fake.nowMs, lateByMs });
  });
  return { fake, clock, timers, fired };
}

describe('ElectionTimers', () => {
  it('fires once at the due time with lateByMs 0', () => {
    const { fake, timers, fired } = setup();
    timers.arm('masterDown', 170);
    fake.advanceTo(169);
    expect(fired).toEqual([]);
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 170, lateByMs: 0 }]);
    expect(timers.armedTimers()).toEqual([]);
  });

  it('re-arming replaces the timer, and cancel disarms it', () => {
    const { fake, timers, fired } = setup();
    timers.arm('masterDown', 100);
    fake.advanceTo(50);
    timers.arm('masterDown', 100);
    timers.arm('advert', 20);
    timers.cancel('advert');
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 150, lateByMs: 0 }]);
  });

  it('a block over the due time: lateByMs is the block (the sampler saw it), not only the overrun', () => {
    const { fake, clock, timers, fired } = setup();
    timers.arm('masterDown', 100);
    fake.advanceTo(60);
    clock.block(300); // 60 → 360; the callback overran by 260, the sampler tick due at 70 ran 290 late
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 360, lateByMs: 290 }]);
  });

  it('a block that ended before the due time is charged to the timer (adverts may be queued behind it)', () => {
    const { fake, clock, timers, fired } = setup();
    timers.arm('masterDown', 170);
    fake.advanceTo(5);
    clock.block(160); // 5 → 165: the timer then runs on time at 170
    fake.advanceTo(1000);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ atMs: 170 });
    // The sampler's tick due at 10 ran at 165: 155 ms late.
    expect(fired[0]!.lateByMs).toBe(155);
  });

  it('without the loop-delay sampler the same block goes unseen (the test above can fail)', () => {
    const { fake, clock, timers, fired } = setup({ sampler: false });
    timers.arm('masterDown', 170);
    fake.advanceTo(5);
    clock.block(160);
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 170, lateByMs: 0 }]);
  });

  it('a block before the timer was armed is not charged to it', () => {
    const { fake, clock, timers, fired } = setup();
    clock.block(160); // 0 → 160
    fake.advanceTo(165);
    timers.arm('masterDown', 100);
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 265, lateByMs: 0 }]);
  });

  it('a block is charged to every timer armed across it, and each late firing is counted', () => {
    const { fake, clock, timers, fired } = setup({ thresholdMs: 25 });
    timers.arm('advert', 50);
    timers.arm('handover', 150);
    fake.advanceTo(20);
    clock.block(100); // 20 → 120: the sampler tick due at 30 runs 90 late, before advert (due 50)
    fake.advanceTo(1000);
    expect(fired).toEqual([
      { timer: 'advert', atMs: 120, lateByMs: 90 },
      { timer: 'handover', atMs: 150, lateByMs: 90 },
    ]);
    expect(timers.stats()).toEqual({ fired: 2, late: 2, maxLateByMs: 90 });
  });

  it('the advert timer re-armed from its own firing keeps its cadence from the due time', () => {
    const { fake, clock, fired } = setup({ sampler: false });
    const timers: ElectionTimers = new ElectionTimers(clock, noLoopDelay, 25, (timer, lateByMs) => {
      fired.push({ timer, atMs: fake.nowMs, lateByMs });
      timers.arm(timer, 10);
    });
    timers.arm('advert', 10);
    fake.advanceTo(5);
    clock.block(8); // 5 → 13: the advert due at 10 runs at 13
    fake.advanceTo(50);
    expect(fired.map((firing) => firing.atMs)).toEqual([13, 20, 30, 40, 50]);
    clock.block(25); // 50 → 75: the firing due at 60 runs at 75; 70 has passed, so the next counts from 75
    fake.advanceTo(100);
    expect(fired.map((firing) => firing.atMs).slice(5)).toEqual([75, 85, 95]);
  });

  it('masterDown re-armed from its own firing counts from now (a stall grace is a whole interval)', () => {
    const { fake, clock, fired } = setup({ sampler: false });
    const timers: ElectionTimers = new ElectionTimers(clock, noLoopDelay, 25, (timer, lateByMs) => {
      fired.push({ timer, atMs: fake.nowMs, lateByMs });
      if (fired.length === 1) timers.arm(timer, 10);
    });
    timers.arm('masterDown', 10);
    fake.advanceTo(5);
    clock.block(8);
    fake.advanceTo(50);
    expect(fired.map((firing) => firing.atMs)).toEqual([13, 23]);
  });

  it('cancelAll disarms everything', () => {
    const { fake, timers, fired } = setup();
    timers.arm('advert', 10);
    timers.arm('handover', 30);
    timers.cancelAll();
    fake.advanceTo(1000);
    expect(fired).toEqual([]);
    expect(timers.armedTimers()).toEqual([]);
  });
});

describe('ElectionTimers: masterDown waits for the datagrams already readable', () => {
  it('a datagram delivered at the due instant that re-arms masterDown drops the pending firing', () => {
    const { fake, clock, timers, fired } = setup();
    timers.arm('masterDown', 170);
    // Scheduled after the timer, so the loop runs it after the timer callback (poll after timers).
    fake.schedule(170, () => {
      clock.deliver(() => {
        timers.arm('masterDown', 170);
      });
    });
    fake.advanceTo(339);
    expect(fired).toEqual([]);
    expect(timers.armedTimers()).toEqual(['masterDown']);
    fake.advanceTo(1000);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 340, lateByMs: 0 }]);
  });

  it('an advert timer is not held back behind the same datagram', () => {
    const { fake, clock, timers } = setup();
    const order: string[] = [];
    const advertTimers = new ElectionTimers(clock, noLoopDelay, 25, (timer) => order.push(`fired ${timer}`));
    advertTimers.arm('advert', 170);
    timers.arm('masterDown', 170);
    fake.schedule(170, () => {
      clock.deliver(() => order.push('datagram'));
    });
    fake.advanceTo(1000);
    expect(order).toEqual(['fired advert', 'datagram']);
  });

  it('cancelling a masterDown that is due but not yet delivered drops it', () => {
    const { fake, clock, timers, fired } = setup();
    timers.arm('masterDown', 170);
    fake.schedule(170, () => {
      clock.deliver(() => {
        timers.cancel('masterDown');
      });
    });
    fake.advanceTo(1000);
    expect(fired).toEqual([]);
    expect(timers.armedTimers()).toEqual([]);
  });

  it('a held masterDown is delivered after the held datagrams, late from its original due time', () => {
    const { fake, clock, timers, fired } = setup({ sampler: false });
    const order: string[] = [];
    timers.arm('masterDown', 100);
    fake.advanceTo(60);
    clock.block(300); // 60 → 360
    fake.schedule(80, () => {
      clock.deliver(() => order.push(`datagram, fired ${fired.length}`));
    });
    fake.advanceTo(1000);
    expect(order).toEqual(['datagram, fired 0']);
    expect(fired).toEqual([{ timer: 'masterDown', atMs: 360, lateByMs: 260 }]);
  });
});

describe('ElectionTimers under the threshold', () => {
  it('a late firing within the threshold is not counted as late', () => {
    const { fake, clock, timers } = setup({ thresholdMs: 25 });
    timers.arm('advert', 50);
    fake.advanceTo(45);
    clock.block(20); // 45 → 65: the sampler tick due 50 runs 15 late, the advert 15 late
    fake.advanceTo(1000);
    expect(timers.stats()).toEqual({ fired: 1, late: 0, maxLateByMs: 15 });
  });
});
