import { describe, expect, it } from 'vitest';
import { nextQuorum } from '../../../src/lvs/quorum.js';

const quorum = { minWeight: 5, hysteresis: 2 };

describe('nextQuorum', () => {
  it('decides the first evaluation at minWeight, without hysteresis', () => {
    expect(nextQuorum(undefined, 5, quorum)).toBe(true);
    expect(nextQuorum(undefined, 4, quorum)).toBe(false);
  });

  it('keeps quorum down to minWeight − hysteresis and loses it below', () => {
    expect(nextQuorum(true, 3, quorum)).toBe(true);
    expect(nextQuorum(true, 2, quorum)).toBe(false);
  });

  it('regains quorum only at minWeight + hysteresis', () => {
    expect(nextQuorum(false, 6, quorum)).toBe(false);
    expect(nextQuorum(false, 7, quorum)).toBe(true);
  });

  it('does not flap while the live weight oscillates inside the band', () => {
    let state = nextQuorum(undefined, 10, quorum);
    const seen: boolean[] = [];
    for (const weight of [4, 6, 3, 6, 4, 2, 4, 6, 3, 7, 4]) {
      state = nextQuorum(state, weight, quorum);
      seen.push(state);
    }
    expect(seen).toEqual([true, true, true, true, true, false, false, false, false, true, true]);
  });

  it('loses quorum at live weight 0 even when hysteresis reaches below zero', () => {
    const wide = { minWeight: 2, hysteresis: 3 };
    expect(nextQuorum(true, 1, wide)).toBe(true);
    expect(nextQuorum(true, 0, wide)).toBe(false);
  });

  it('is a plain threshold with hysteresis 0', () => {
    const plain = { minWeight: 1, hysteresis: 0 };
    expect(nextQuorum(true, 0, plain)).toBe(false);
    expect(nextQuorum(false, 1, plain)).toBe(true);
  });
});
