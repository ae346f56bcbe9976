/**
 * health-verdicts: what the health-verdict netns tests share: a health lab per suite, and the
 * window a verdict must fall in after a real server changes.
 *
 * The window of a verdict that needs `runs` results in a row (fall for down, rise for up):
 * - no sooner than (runs − 1) × intervalMs (+ silentMs for down) − EARLY_MS: the first run after
 *   the change may come at once, the others follow one interval apart (the scheduler keeps its
 *   cadence, jitter is 0 in the lab), and when the real server is silent the last failing run
 *   ends only at its timeout. EARLY_MS lets a run that was already in flight when the change was
 *   made be judged by the new state. A verdict sooner than that ignored rise or fall.
 * - no later than runs × intervalMs (the first run may be due up to one interval after the change)
 *   + one more intervalMs + silentMs + SLACK_MS. The extra interval is for the shared 2-core
 *   machine (~7 test suites at once): the driver's timers fire late under load, and the
 *   scheduler drops a run that falls more than one interval behind.
 * A test that makes a change right after a verdict or a probe (both come just after a run) waits
 * half an interval first (midInterval): made just before a run is due, a change would let a
 * verdict that came one run too early still pass the lower bound.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { HealthLab, type DownLine, type HealthLabOptions } from './health-lab.js';
import { pollUntil } from './poll-until.js';

/** SLACK_MS covers process scheduling on the loaded machine, beyond the one interval of the window. */
const SLACK_MS = 150;
/** EARLY_MS is how long before the change a run that the change still decides may have started. */
const EARLY_MS = 25;

/** useHealthLab registers a suite's hooks (a lab before all, destroyed after all) and returns the accessor tests call for it. */
export function useHealthLab(options: HealthLabOptions): () => HealthLab {
  let lab: HealthLab | undefined;
  beforeAll(async () => {
    lab = await HealthLab.create(options);
  }, 60_000);
  afterAll(async () => {
    await lab?.destroy();
  });
  return () => {
    if (lab === undefined) throw new Error('the health lab did not start');
    return lab;
  };
}

/** waitForVerdict waits for `verdict` on `ref` handed over at or after `sinceMs`, and returns how long after sinceMs it came. */
export async function waitForVerdict(lab: HealthLab, ref: string, verdict: 'up' | 'down', sinceMs: number, timeoutMs = 10_000): Promise<number> {
  const line = await pollUntil(() => {
    lab.assertDriverRunning();
    return lab.verdictsFor(ref).find((entry) => entry.atMs >= sinceMs && entry.verdict === verdict);
  }, `${verdict} verdict for ${ref}`, timeoutMs).catch((error: unknown) => {
    // Say what did happen: a verdict before sinceMs, or a down for another reason (addon missing: local).
    throw new Error(`${String(error)}; verdicts: ${JSON.stringify(lab.verdictsFor(ref))}; health.down: ${JSON.stringify(lab.downsFor(ref))}`);
  });
  return line.atMs - sinceMs;
}

/**
 * expectVerdict waits for `verdict` on `ref` after `sinceMs` (taken just before the change) and
 * asserts that it came within its window (see the file comment). `silentMs` is how long a failing
 * attempt lasts: timeoutMs when the real server is silent, 0 when it refuses or answers wrong.
 * It returns the delay.
 */
export async function expectVerdict(lab: HealthLab, ref: string, verdict: 'up' | 'down', sinceMs: number, silentMs = 0): Promise<number> {
  const { intervalMs, rise, fall } = lab.checks;
  const runs = verdict === 'down' ? fall : rise;
  const delayMs = await waitForVerdict(lab, ref, verdict, sinceMs);
  const soonestMs = (runs - 1) * intervalMs + (verdict === 'down' ? silentMs : 0) - EARLY_MS;
  expect(delayMs, `${verdict} verdict for ${ref}`).toBeGreaterThanOrEqual(soonestMs);
  expect(delayMs, `${verdict} verdict for ${ref}`).toBeLessThanOrEqual(runs * intervalMs + intervalMs + silentMs + SLACK_MS);
  return delayMs;
}

/** midInterval waits half a check interval, so that the next change falls between two runs (see the file comment). */
export function midInterval(lab: HealthLab): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, lab.checks.intervalMs / 2));
}

/** expectDownReason waits for the driver's log of why `ref` went down (it crosses another pipe than the verdict) and checks the reason. */
export async function expectDownReason(lab: HealthLab, ref: string, downsBefore: number, reason: string): Promise<DownLine> {
  const down = await pollUntil(() => lab.downsFor(ref)[downsBefore], `health.down log line for ${ref}`, 5000);
  expect(down.reason, `why ${ref} went down: ${down.detail}`).toBe(reason);
  return down;
}

/**
 * verdictMark is how many verdict lines the lab has received so far, for expectNoVerdict. A mark,
 * not a Date.now(): a verdict's atMs is the driver's Date.now() at the millisecond it was handed
 * over, and a test that waits for a verdict and then reads the time often reads that same
 * millisecond, so "at or after the time" would count the verdict it just waited for as a new one.
 * Lines arrive in the order the driver printed them (one pipe), so every line after the mark was
 * handed over after everything the test had seen.
 */
export function verdictMark(lab: HealthLab): number {
  return lab.verdicts.length;
}

/** expectNoVerdict asserts that none of `refs` had a verdict among the lines received after `sinceMark` (verdictMark; 0: ever); a failure shows why they went down. */
export function expectNoVerdict(lab: HealthLab, refs: readonly string[], sinceMark = 0): void {
  const verdicts = lab.verdicts.slice(sinceMark).filter((line) => refs.includes(line.rs));
  const downs = lab.downs.filter((line) => refs.includes(line.rs));
  expect(verdicts, `unexpected verdicts; health.down log lines: ${JSON.stringify(downs)}`).toEqual([]);
}

/**
 * expectNoLeakedSockets samples the sockets the driver's checks hold 20 times over two check
 * intervals and asserts that there are never more than `maxSockets`: what the lab's probes may
 * hold with one attempt each in flight (the scheduler never overlaps a probe's attempts), or kept
 * for reuse after it (a pool no larger than the attempts once in flight together). An attempt
 * that leaked its socket would leave one behind for every refused or timed-out run.
 */
export async function expectNoLeakedSockets(lab: HealthLab, maxSockets: number): Promise<void> {
  const samples = await lab.sampleDriverSockets(20);
  expect(Math.max(...samples), `driver sockets sampled: ${samples.join(' ')}`).toBeLessThanOrEqual(maxSockets);
}
