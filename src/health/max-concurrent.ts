/**
 * max-concurrent: the bound on health-check attempts in flight at once (HealthSettings.maxConcurrent),
 * and what 'auto' makes of a probe set.
 */
import type { Probe } from './probe-set.js';

/**
 * MaxConcurrent is the bound on attempts in flight: a number the operator chose, or 'auto' to
 * size it from the probe set (autoMaxConcurrent).
 */
export type MaxConcurrent = number | 'auto';

/** AUTO_MAX_CONCURRENT_FLOOR is the least bound 'auto' gives, so a small table still has room for a burst. */
export const AUTO_MAX_CONCURRENT_FLOOR = 64;

/**
 * autoMaxConcurrent is the bound that never makes a run wait while every probe times out: a probe
 * holds a slot for at most timeoutMs of every intervalMs (the config keeps timeoutMs below
 * intervalMs, so one attempt per probe at a time), so Σ timeoutMs / intervalMs slots are busy on
 * average even when a partition blackholes every real server (10,000 servers at the 2 s / 1 s
 * defaults: 5,000). A fixed small bound is hit far sooner: probes that come due together after
 * any loop stall (a collection, a descheduled thread) queue behind it, and at 5,000 checks/s a
 * 13 ms stall already fills 64 slots (bench/health/cadence.ts measured 11 % late runs at 2,500
 * real servers with 64 slots, 0.5 % with 1,024, on the same loaded machine).
 */
export function autoMaxConcurrent(probes: readonly Probe[]): number {
  let busy = 0;
  for (const { target } of probes) busy += target.check.timeoutMs / target.check.intervalMs;
  return Math.max(AUTO_MAX_CONCURRENT_FLOOR, Math.ceil(busy));
}

/** assertMaxConcurrent throws a RangeError for a bound below 1 that is not 'auto' (a caller's bug: the config schema rejects it). */
export function assertMaxConcurrent(maxConcurrent: MaxConcurrent): void {
  if (maxConcurrent !== 'auto' && !(maxConcurrent >= 1)) throw new RangeError(`CheckScheduler: maxConcurrent ${maxConcurrent} must be at least 1, or 'auto'`);
}
