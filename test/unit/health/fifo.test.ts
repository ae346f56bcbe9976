/**
 * Fifo against an array model: any sequence of pushes, shifts and clears gives what Array's own
 * push/shift would, across the compaction threshold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/health/fifo.js';

type Op = { readonly kind: 'push'; readonly count: number } | { readonly kind: 'shift'; readonly count: number } | { readonly kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('clear' as const) }),
);

describe('Fifo', () => {
  it('hands items out in push order, like Array push/shift', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const step of ops) {
          if (step.kind === 'clear') {
            fifo.clear();
            model.length = 0;
          } else if (step.kind === 'push') {
            for (let i = 0; i < step.count; i += 1) {
              fifo.push(next);
              model.push(next);
              next += 1;
            }
          } else {
            const peeked = fifo.peek();
            const taken = Array.from({ length: step.count }, () => fifo.shift());
            expect(peeked).toBe(model[0]);
            expect(taken).toEqual(Array.from({ length: step.count }, () => model.shift()));
          }
          expect(fifo.size).toBe(model.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('is empty when new and after its last item is taken', () => {
    const fifo = new Fifo<string>();
    expect([fifo.size, fifo.peek(), fifo.shift()]).toEqual([0, undefined, undefined]);
    fifo.push('a');
    expect(fifo.shift()).toBe('a');
    expect([fifo.size, fifo.peek(), fifo.shift()]).toEqual([0, undefined, undefined]);
  });
});
