import { describe, expect, it } from 'vitest';
import { answersOf, failedAttempts, longestGapMs, outageMs, type ProbeAttempt } from '../../../bench/failover/probe-figures.js';

const ok = (sentMs: number, doneMs: number, from = 'beta'): ProbeAttempt => ({ sentMs, doneMs, from });
const failed = (sentMs: number, error = 'ETIMEDOUT'): ProbeAttempt => ({ sentMs, doneMs: sentMs + 900, error });

describe('bench/failover probe figures', () => {
  it('an outage is 0 when nothing failed, however far apart the answers', () => {
    const attempts = [ok(0, 0.5), ok(7, 7.4), ok(20, 20.3)];
    expect(outageMs(attempts, 0, 30)).toBe(0);
    expect(longestGapMs(answersOf(attempts), 0, 30)).toBeCloseTo(12.9);
  });

  it('a failed probe lasts from its send to the first answer to any probe sent after it', () => {
    // The probe sent at 2 is answered late (at 9), the one sent at 3 early (at 3.5).
    const attempts = [ok(0, 0.5), failed(1), ok(2, 9), ok(3, 3.5)];
    expect(outageMs(attempts, 0, 10)).toBeCloseTo(2.5);
    expect(failedAttempts(attempts, 0, 10)).toHaveLength(1);
  });

  it('overlapping stretches count once, separate ones add up, and failures outside the window are left out', () => {
    const attempts = [failed(0), failed(1), ok(2, 2.5), ok(3, 3.4), failed(5), ok(6, 6.2), failed(20), ok(21, 21.5)];
    expect(outageMs(attempts, 0, 10)).toBeCloseTo(2.5 + 1.2);
    expect(failedAttempts(attempts, 0, 10)).toHaveLength(3);
  });

  it('a failure never followed by an answer is an unbounded outage', () => {
    expect(outageMs([ok(0, 0.5), failed(1), failed(2)], 0, 10)).toBe(Number.POSITIVE_INFINITY);
  });

  it('the longest gap counts the stretch before the first and after the last answer', () => {
    const answers = answersOf([ok(3, 4), ok(5, 6), failed(6)]);
    expect(longestGapMs(answers, 0, 20)).toBe(14);
    expect(longestGapMs([], 0, 20)).toBe(20);
  });
});
