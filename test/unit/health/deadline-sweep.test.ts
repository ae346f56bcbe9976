/**
 * DeadlineSweep on a fake clock: each live item expires at its own deadline, in one batch per
 * sweep; settled items never expire; one timer serves every item; clear leaves no timer.
 */
import { describe, expect, it } from 'vitest';
import { DeadlineSweep } from '../../../src/health/deadline-sweep.js';
import { FakeClock } from '../../fakes/fake-clock.js';

interface Item {
  readonly name: string;
  readonly deadlineMs: number;
  live: boolean;
}

function sweep() {
  const clock = new FakeClock();
  const expired: { atMs: number; names: string[] }[] = [];
  const deadlines = new DeadlineSweep<Item>({
    clock,
    isLive: (item) => item.live,
    expire: (items) => expired.push({ atMs: clock.nowMs, names: items.map((item) => item.name) }),
  });
  const add = (name: string, timeoutMs: number): Item => {
    const item = { name, deadlineMs: clock.nowMs + timeoutMs, live: true };
    deadlines.add(item, timeoutMs);
    return item;
  };
  return { clock, deadlines, expired, add };
}

describe('DeadlineSweep', () => {
  it('expires each live item at its deadline, across timeouts, and skips settled ones', () => {
    const { clock, expired, add } = sweep();
    add('a', 1000);
    clock.advance(100);
    const settled = add('b', 1000);
    add('c', 300); // deadline 400: earlier than a's 1000
    clock.advance(100);
    add('d', 1000);
    settled.live = false;
    clock.advance(2000);
    expect(expired).toEqual([
      { atMs: 400, names: ['c'] },
      { atMs: 1000, names: ['a'] },
      { atMs: 1200, names: ['d'] },
    ]);
  });

  it('gives items due together to one expire call', () => {
    const { clock, expired, add } = sweep();
    add('a', 500);
    add('b', 500);
    clock.advance(500);
    expect(expired).toEqual([{ atMs: 500, names: ['a', 'b'] }]);
  });

  it('holds one timer for any number of items, none once they settled, none after clear', () => {
    const { clock, deadlines, add } = sweep();
    const items = Array.from({ length: 100 }, (_, i) => add(String(i), 1000));
    expect(clock.pending).toBe(1);
    for (const item of items) item.live = false;
    clock.advance(1000);
    expect(clock.pending).toBe(0);
    add('x', 1000);
    deadlines.clear();
    expect(clock.pending).toBe(0);
  });
});
