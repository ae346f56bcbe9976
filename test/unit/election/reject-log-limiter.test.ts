import { describe, expect, it } from 'vitest';
import { createRejectLogLimiter, decideRejectLog } from '../../../src/election/reject-log-limiter.js';

describe('reject log limiter', () => {
  it('logs the first rejection, holds back the rest of the window, then reports how many it held', () => {
    let limiter = createRejectLogLimiter(60_000);
    const logged: [number, number][] = [];
    for (let atMs = 0; atMs <= 130_000; atMs += 1000) {
      const decision = decideRejectLog(limiter, 'bad-auth', atMs);
      limiter = decision.limiter;
      if (decision.log) logged.push([atMs, decision.suppressedBefore]);
    }
    expect(logged).toEqual([
      [0, 0],
      [60_000, 59],
      [120_000, 59],
    ]);
  });

  it('limits each reason on its own', () => {
    let limiter = createRejectLogLimiter(1000);
    limiter = decideRejectLog(limiter, 'replay', 0).limiter;
    expect(decideRejectLog(limiter, 'replay', 10).log).toBe(false);
    expect(decideRejectLog(limiter, 'malformed', 10).log).toBe(true);
  });

  it('refuses a non-positive window', () => {
    expect(() => createRejectLogLimiter(0)).toThrow(RangeError);
  });
});
