/** RFC 5798 §6.1 timer formulas. */
import { describe, expect, it } from 'vitest';
import { masterDownIntervalMs, skewMs } from '../../../src/election/timers.js';

describe('RFC 5798 §6.1 timers', () => {
  it('skew is ((256 − priority) × interval) / 256, rounded down to a millisecond', () => {
    expect(skewMs(100, 1000)).toBe(609); // 609.375
    expect(skewMs(200, 1000)).toBe(218); // 218.75
    expect(skewMs(255, 1000)).toBe(3); // 3.90625
    expect(skewMs(1, 100)).toBe(99); // 99.609375
  });

  it('masterDown is 3 × interval + skew: keepalived\u2019s well-known 3.61 s at priority 100', () => {
    expect(masterDownIntervalMs(100, 1000)).toBe(3609);
    expect(masterDownIntervalMs(200, 20)).toBe(64); // 60 + ⌊56 × 20 / 256⌋ = 60 + 4
  });

  it('a higher priority always times out no later than a lower one', () => {
    for (let priority = 1; priority < 255; priority += 1) {
      expect(masterDownIntervalMs(priority + 1, 1000)).toBeLessThanOrEqual(masterDownIntervalMs(priority, 1000));
    }
  });
});
