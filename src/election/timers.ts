/**
 * timers: the failover timer formulas of RFC 5798 §6.1, in milliseconds.
 *
 * RFC 5798 counts in centiseconds; tandem keeps milliseconds end to end and rounds the skew down,
 * so every timer is a whole number of milliseconds and scenario tests can assert exact times.
 */

/** MASTER_DOWN_ADVERTS is how many adverts a backup misses before it declares the master dead (RFC 5798 §6.1). */
export const MASTER_DOWN_ADVERTS = 3;

/**
 * skewMs is RFC 5798 §6.1 Skew_Time = ((256 − priority) × Master_Adver_Interval) / 256: a higher
 * priority waits less, so the best backup wins the race after a master dies.
 */
export function skewMs(priority: number, masterAdvertIntervalMs: number): number {
  return Math.floor(((256 - priority) * masterAdvertIntervalMs) / 256);
}

/**
 * masterDownIntervalMs is RFC 5798 §6.1 Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time.
 * At priority 100 and 1000 ms adverts that is 3609 ms.
 */
export function masterDownIntervalMs(priority: number, masterAdvertIntervalMs: number): number {
  return MASTER_DOWN_ADVERTS * masterAdvertIntervalMs + skewMs(priority, masterAdvertIntervalMs);
}
