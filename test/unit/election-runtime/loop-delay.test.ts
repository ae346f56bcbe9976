/** loopDelaySampler: a ticking timer's lateness measures how long the loop was blocked. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/fake-clock.js';
import { StallingClock } from '../../component/election-runtime/stalling-clock.js';
import { loopDelaySampler } from '../../../src/election-runtime/loop-delay.js';

describe('loopDelaySampler', () => {
  it('reports 0 while the loop runs freely', () => {
    const fake = new FakeClock();
    const sampler = loopDelaySampler(new StallingClock(fake), 10);
    fake.advanceTo(1000);
    expect(sampler.takeMaxMs()).toBe(0);
  });

  it('reports the longest block since the last take, then starts afresh', () => {
    const fake = new FakeClock();
    const clock = new StallingClock(fake);
    const sampler = loopDelaySampler(clock, 10);
    fake.advanceTo(100);
    clock.block(50); // the tick due at 110 runs at 150
    fake.advanceTo(200);
    clock.block(30); // the tick due at 210 runs at 230
    fake.advanceTo(300);
    expect(sampler.takeMaxMs()).toBe(40);
    expect(sampler.takeMaxMs()).toBe(0);
  });

  it('counts a tick that is overdue at the take, and not again in the next window', () => {
    const fake = new FakeClock();
    const clock = new StallingClock(fake);
    const sampler = loopDelaySampler(clock, 10);
    let taken = -1;
    clock.schedule(100, () => {
      taken = sampler.takeMaxMs();
    });
    fake.advanceTo(5);
    clock.block(120); // 5 → 125; the take (due 100) runs before the overdue tick (due 10)
    fake.advanceTo(125);
    expect(taken).toBe(115);
    fake.advanceTo(300);
    expect(sampler.takeMaxMs()).toBe(0);
  });

  it('close stops the ticks', () => {
    const fake = new FakeClock();
    const sampler = loopDelaySampler(new StallingClock(fake), 10);
    sampler.close();
    expect(fake.pending).toBe(0);
    expect(sampler.takeMaxMs()).toBe(0);
  });
});
