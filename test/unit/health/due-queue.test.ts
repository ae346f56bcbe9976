/**
 * DueQueue on a fake clock: every queued item is handed out once, at its due time, earliest
 * first; removed items never are; one timer serves every item, and clear leaves none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueQueue } from '../../../src/health/due-queue.js';
import { FakeClock } from '../../fakes/fake-clock.js';

interface Item {
  readonly name: string;
  dueAtMs: number;
  queueIndex: number;
}

function queue() {
  const clock = new FakeClock();
  const handed: { atMs: number; name: string; dueAtMs: number }[] = [];
  const due = new DueQueue<Item>({ clock, due: (item) => handed.push({ atMs: clock.nowMs, name: item.name, dueAtMs: item.dueAtMs }) });
  const item = (name: string, dueAtMs: number): Item => ({ name, dueAtMs, queueIndex: -1 });
  return { clock, due, handed, item };
}

describe('DueQueue', () => {
  it('hands items out at their due times, earliest first, whatever order they were added in', () => {
    const { clock, due, handed, item } = queue();
    for (const [name, dueAtMs] of [['c', 30], ['a', 10], ['d', 30.5], ['b', 20]] as const) due.add(item(name, dueAtMs));
    expect(clock.pending).toBe(1);
    clock.advance(25);
    expect(handed).toEqual([
      { atMs: 10, name: 'a', dueAtMs: 10 },
      { atMs: 20, name: 'b', dueAtMs: 20 },
    ]);
    clock.advance(10);
    expect(handed.map(({ name, atMs }) => [name, atMs])).toEqual([['a', 10], ['b', 20], ['c', 30], ['d', 30.5]]);
    expect(due.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('never hands out a removed item, and lets an item be queued again from its own due call', () => {
    const clock = new FakeClock();
    const handed: string[] = [];
    const again: Item = { name: 'again', dueAtMs: 5, queueIndex: -1 };
    const removed: Item = { name: 'removed', dueAtMs: 7, queueIndex: -1 };
    const due = new DueQueue<Item>({
      clock,
      due: (item) => {
        handed.push(`${item.name}@${clock.nowMs}`);
        if (item === again && clock.nowMs < 20) {
          item.dueAtMs += 10;
          due.add(item);
        }
      },
    });
    due.add(again);
    due.add(removed);
    due.remove(removed);
    due.remove(removed); // twice is harmless
    clock.advance(40);
    expect(handed).toEqual(['again@5', 'again@15', 'again@25']);
    expect(removed.queueIndex).toBe(-1);
  });

  it('keeps going after a due call that throws', () => {
    const clock = new FakeClock();
    const handed: string[] = [];
    const due = new DueQueue<Item>({
      clock,
      due: (item) => {
        handed.push(item.name);
        if (item.name === 'bad') throw new Error('listener bug');
      },
    });
    due.add({ name: 'bad', dueAtMs: 1, queueIndex: -1 });
    due.add({ name: 'later', dueAtMs: 2, queueIndex: -1 });
    expect(() => {
      clock.advance(1);
    }).toThrow('listener bug');
    clock.advance(1);
    expect(handed).toEqual(['bad', 'later']);
  });

  it('clear forgets every item and leaves no timer', () => {
    const { clock, due, handed, item } = queue();
    const kept = item('a', 10);
    due.add(kept);
    due.add(item('b', 20));
    due.clear();
    expect(clock.pending).toBe(0);
    expect(kept.queueIndex).toBe(-1);
    clock.advance(100);
    expect(handed).toEqual([]);
  });

  it('hands out exactly the items still queued, each at its due time, for any adds and removes', () => {
    const operation = fc.oneof(
      fc.record({ add: fc.integer({ min: 0, max: 40 }), dueInMs: fc.double({ min: 0, max: 100, noNaN: true }) }),
      fc.record({ remove: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ advanceMs: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const { clock, due, handed, item } = queue();
        const items = new Map<number, Item>();
        const queued = new Set<Item>();
        /** take advances the clock and checks that only queued items came out, each once. */
        const take = (ms: number): void => {
          const before = handed.length;
          clock.advance(ms);
          for (const { name } of handed.slice(before)) expect(queued.delete(items.get(Number(name)) as Item)).toBe(true);
        };
        for (const op of operations) {
          if ('add' in op) {
            const added = items.get(op.add) ?? item(String(op.add), 0);
            items.set(op.add, added);
            due.remove(added); // due times only change while out of the queue
            added.dueAtMs = clock.nowMs + op.dueInMs;
            due.add(added);
            queued.add(added);
          } else if ('remove' in op) {
            const removed = items.get(op.remove);
            if (removed !== undefined) {
              due.remove(removed);
              queued.delete(removed);
            }
          } else {
            take(op.advanceMs);
          }
          expect(clock.pending).toBeLessThanOrEqual(1);
          expect(due.size).toBe(queued.size);
        }
        take(200); // past every due time: whatever is still queued comes out
        expect(queued.size).toBe(0);
        for (const [i, { atMs, dueAtMs }] of handed.entries()) {
          expect(atMs).toBeGreaterThanOrEqual(dueAtMs);
          expect(atMs - dueAtMs).toBeLessThan(1e-6);
          expect(atMs).toBeGreaterThanOrEqual(handed[i - 1]?.atMs ?? 0);
        }
      }),
    );
  });
});
