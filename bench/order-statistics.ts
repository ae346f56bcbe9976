/**
 * order-statistics: the percentiles every benchmark prints, computed one way (nearest rank:
 * the smallest value with at least that fraction of the values at or below it), so figures
 * from different benches mean the same thing.
 */

/** percentile is the nearest-rank `fraction` (0..1) percentile of ascending values, NaN when empty. */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

/** median is the nearest-rank median of values in any order (the lower middle of an even count). */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}
