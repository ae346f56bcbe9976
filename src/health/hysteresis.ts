/**
 * hysteresis: from check results to a verdict, the rise/fall way (keepalived, HAProxy): a real
 * server goes down after `fall` failures in a row and comes back after `rise` successes in a row,
 * so one lost packet does not pull it from the table and one lucky answer does not restore it.
 * Pure: state in, state out.
 */

/** HealthState is one probe's verdict and its current run of equal results. */
export interface HealthState {
  readonly up: boolean;
  /** successes counts consecutive passing results (0 after a failure). */
  readonly successes: number;
  /** failures counts consecutive failing results (0 after a success). */
  readonly failures: number;
}

/** Thresholds are a check's rise and fall (1..100 each, validated by the config). */
export interface Thresholds {
  readonly rise: number;
  readonly fall: number;
}

/** initialHealth is the start-up state: the configured initialState, with no results yet. */
export function initialHealth(initialState: 'up' | 'down'): HealthState {
  return { up: initialState === 'up', successes: 0, failures: 0 };
}

/**
 * nextHealth folds one result in. An up server goes down when its failures reach `fall`; a down
 * server comes up when its successes reach `rise`. The verdict changed iff `up` differs from the
 * state passed in.
 */
export function nextHealth(state: HealthState, passed: boolean, thresholds: Thresholds): HealthState {
  const successes = passed ? state.successes + 1 : 0;
  const failures = passed ? 0 : state.failures + 1;
  const up = state.up ? failures < thresholds.fall : successes >= thresholds.rise;
  return { up, successes, failures };
}
