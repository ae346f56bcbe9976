/**
 * attempt: the settle-once frame every checker runs its I/O in. Sockets emit error, close and
 * data in orders that differ by kernel and by Node version; funnelling them through one
 * `finish` makes "exactly one outcome, then release everything" hold by construction.
 */
import { failed, type CheckOutcome } from './check-result.js';
import type { AttemptSignal } from './checker.js';
import { failureFromError } from './socket-failure.js';

/** Finish ends an attempt with its outcome; later calls are ignored. */
export type Finish = (outcome: CheckOutcome) => void;

/** Release destroys what an attempt opened (sockets, child processes); it runs exactly once. */
export type Release = () => void;

/** timedOut is the outcome of an attempt whose signal aborted before it reached a verdict. */
export function timedOut(timeoutMs: number): CheckOutcome {
  return failed('timeout', `no verdict within ${timeoutMs} ms`);
}

/**
 * runAttempt starts I/O with `start` and resolves with the first outcome passed to `finish`, or
 * with `onAbort()` when the signal fires first (built only then: most attempts never abort). `release` runs once either way, before resolving,
 * so no socket or child outlives the attempt. A synchronous throw from `start` (Node rejects some
 * bad options eagerly) becomes a failure outcome too.
 */
export function runAttempt(signal: AttemptSignal, onAbort: () => CheckOutcome, start: (finish: Finish) => Release): Promise<CheckOutcome> {
  return new Promise<CheckOutcome>((resolve) => {
    if (signal.aborted) {
      resolve(onAbort());
      return;
    }
    let settled = false;
    let release: Release | undefined;
    const finish: Finish = (outcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', abort);
      release?.();
      resolve(outcome);
    };
    const abort = (): void => {
      finish(onAbort());
    };
    const isSettled = (): boolean => settled;
    // No { once: true }: finish removes the listener itself, and the options object costs per attempt.
    signal.addEventListener('abort', abort);
    try {
      release = start(finish);
    } catch (error) {
      finish(failureFromError(error));
    }
    // start may finish synchronously, before `release` was known: release now.
    if (isSettled()) release?.();
  });
}
