/**
 * checker: the one interface every kind of health check implements, and what it is pointed at.
 */
import type { HealthCheck } from '../config/types.js';
import { failed, type CheckOutcome } from './check-result.js';

/** HealthCheckKind is a check's `kind`: tcp, http, https, udp, dns or exec. */
export type HealthCheckKind = HealthCheck['kind'];

/** CheckOf narrows a resolved health check to one kind. */
export type CheckOf<K extends HealthCheckKind> = Extract<HealthCheck, { readonly kind: K }>;

/** ProbeTarget is what one attempt probes: a real server's address and the check with its port resolved. */
export interface ProbeTarget<C extends HealthCheck = HealthCheck> {
  /** address is the real server's canonical IPv4 or IPv6 address. */
  readonly address: string;
  /** check carries the port (check.port), the source address and the kind's options. */
  readonly check: C;
}

/** AbortListener is what a checker hangs on its attempt's signal: a function or an EventListener object. */
export type AbortListener = (() => void) | { handleEvent(): void };

/**
 * AttemptSignal is the part of AbortSignal a checker uses, so that an AbortSignal (tests, one-off
 * checks) and the scheduler's AttemptAbort (attempt-abort.ts: no EventTarget, no timer, one
 * listener) both fit. A listener added after the abort is never called, as with AbortSignal.
 */
export interface AttemptSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: AbortListener): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

/**
 * AttemptSink hears how one attempt ended. Checker.start calls `settled` exactly once, and never
 * before start has returned (so a caller that starts the next attempt from `settled` never
 * recurses into itself).
 */
export interface AttemptSink {
  settled(outcome: CheckOutcome): void;
}

/**
 * Checker runs one attempt. It resolves, never rejects: a failure is a CheckOutcome. When `signal`
 * aborts (the attempt's timeout, or the scheduler stopping) it resolves promptly, after it has
 * destroyed every socket and killed every process it made. A checker adds at most one abort
 * listener per attempt.
 *
 * `start` is the same attempt without a promise, for the scheduler: a promise, its resolve and
 * the scheduler's two reactions cost more than the rest of a TCP check's JS (bench/health/README.md,
 * 2026-11-21 18:30). A checker that has no such path leaves it out and is run through `check`.
 */
export interface Checker<C extends HealthCheck = HealthCheck> {
  check(target: ProbeTarget<C>, signal: AttemptSignal): Promise<CheckOutcome>;
  start?(target: ProbeTarget<C>, signal: AttemptSignal, sink: AttemptSink): void;
}

/**
 * startWithPromise runs an attempt through `checker.check` for an AttemptSink: what `start` does
 * for a checker that has none. A checker resolves by contract; one that rejects (a bug) still
 * settles, as a local failure that says so.
 */
export function startWithPromise<C extends HealthCheck>(checker: Checker<C>, target: ProbeTarget<C>, signal: AttemptSignal, sink: AttemptSink): void {
  checker.check(target, signal).then(
    (outcome) => {
      sink.settled(outcome);
    },
    (error: unknown) => {
      sink.settled(failed('local', `checker failed unexpectedly: ${String(error)}`));
    },
  );
}
