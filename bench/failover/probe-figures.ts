/**
 * probe-figures: the client-visible figures bench/failover computes from probe attempts, pure
 * (times in, numbers out) so that run.ts only gathers them. See README.md "Figures" for what each
 * means and why the longest gap has a floor at the probe period.
 */

/** ProbeAttempt is one connect of fine-probe.mjs: answered by a director (`from`) or failed (`error`). */
export interface ProbeAttempt {
  readonly sentMs: number;
  readonly doneMs: number;
  readonly from?: string;
  readonly error?: string;
  /** For a failed attempt: whether its handshake had completed (the SYN was answered). */
  readonly connected?: boolean;
}

/** Answer is a connect answered by a director, at the time its name and FIN arrived. */
export interface Answer {
  readonly atMs: number;
  readonly from: string;
}

/** answersOf turns the answered attempts into answers, in the order they arrived. */
export function answersOf(attempts: readonly ProbeAttempt[]): Answer[] {
  return attempts
    .flatMap((attempt) => (attempt.from === undefined ? [] : [{ atMs: attempt.doneMs, from: attempt.from }]))
    .sort((a, b) => a.atMs - b.atMs);
}

/** failedAttempts are the attempts sent in [fromMs, untilMs) that no director answered. */
export function failedAttempts(attempts: readonly ProbeAttempt[], fromMs: number, untilMs: number): ProbeAttempt[] {
  return attempts.filter((attempt) => attempt.error !== undefined && attempt.sentMs >= fromMs && attempt.sentMs < untilMs);
}

/**
 * outageMs is the client-visible outage among the attempts sent in [fromMs, untilMs): each failed
 * attempt stands for the stretch from its send to the first answer to any attempt sent after it
 * (when a client that failed could connect again), and the outage is the total length of those
 * stretches, overlaps counted once. 0 when none failed; Infinity when a failed attempt was never
 * followed by an answered one.
 */
export function outageMs(attempts: readonly ProbeAttempt[], fromMs: number, untilMs: number): number {
  const stretches = failedAttempts(attempts, fromMs, untilMs)
    .map((failed) => {
      const answeredAfter = attempts.filter((attempt) => attempt.error === undefined && attempt.sentMs > failed.sentMs).map((attempt) => attempt.doneMs);
      return { startMs: failed.sentMs, endMs: Math.min(Number.POSITIVE_INFINITY, ...answeredAfter) };
    })
    .sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let coveredUntilMs = Number.NEGATIVE_INFINITY;
  for (const { startMs, endMs } of stretches) {
    const from = Math.max(startMs, coveredUntilMs);
    if (endMs > from) total += endMs - from;
    coveredUntilMs = Math.max(coveredUntilMs, endMs);
  }
  return total;
}

/**
 * longestGapMs is the longest time without any answer between `fromMs` and `untilMs`: from
 * `fromMs` to the first answer after it, between answers, and from the last answer to `untilMs`
 * (the whole stretch when nothing was answered in it). With no fault it is still about the
 * probe period, plus the probe's and the responders' scheduling delays.
 */
export function longestGapMs(answers: readonly Answer[], fromMs: number, untilMs: number): number {
  let last = fromMs;
  let gap = 0;
  for (const answer of answers) {
    if (answer.atMs <= fromMs || answer.atMs > untilMs) continue;
    gap = Math.max(gap, answer.atMs - last);
    last = answer.atMs;
  }
  return Math.max(gap, untilMs - last);
}
