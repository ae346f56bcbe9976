/**
 * check-result: what one probe attempt concludes. A real server that fails its check is the
 * expected outcome a health checker exists to report, so a failure is a value with a typed
 * reason, never an exception.
 */

/**
 * FailureReason names why an attempt failed, in the words an operator greps logs for:
 * - timeout: no verdict before timeoutMs (the attempt's signal aborted);
 * - refused / reset / unreachable: the network said no (RST, ICMP port or host unreachable);
 * - local: this host could not make the attempt (source address not ours, too many sockets);
 * - protocol: the peer answered with bytes that are not the protocol (bad HTTP, unparsable DNS);
 * - tls: the handshake or the certificate check failed;
 * - status / body / digest: HTTP status not expected, body regex did not match, SHA-256 differs;
 * - reply: a UDP reply did not match `expect`;
 * - rcode / answer: a DNS response had another rcode, or lacked the expected answer;
 * - exit-code / signal / spawn: an exec check exited non-zero, died by a signal, or did not start;
 * - query: the probe could not be built from its settings (for example a DNS name too long).
 */
export type FailureReason =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'unreachable'
  | 'local'
  | 'protocol'
  | 'tls'
  | 'status'
  | 'body'
  | 'digest'
  | 'reply'
  | 'rcode'
  | 'answer'
  | 'exit-code'
  | 'signal'
  | 'spawn'
  | 'query';

/** CheckFailure is a failed attempt: its reason and a short human-readable detail. */
export interface CheckFailure {
  readonly ok: false;
  readonly reason: FailureReason;
  readonly detail: string;
}

/** CheckOutcome is what a checker concludes; the scheduler, which owns the clock, adds latency. */
export type CheckOutcome = { readonly ok: true } | CheckFailure;

/** CheckResult is a timed outcome: latencyMs runs from the attempt's start to its verdict. */
export type CheckResult = CheckOutcome & { readonly latencyMs: number };

/** PASSED is the one success outcome; sharing it keeps a passing check allocation-free. */
export const PASSED: CheckOutcome = Object.freeze({ ok: true });

/** failed builds a failure outcome. */
export function failed(reason: FailureReason, detail: string): CheckFailure {
  return { ok: false, reason, detail };
}

/**
 * withLatency times an outcome. It copies the fields by name rather than spreading: a spread of
 * the two shapes of CheckOutcome is a generic object clone on a check's hot path.
 */
export function withLatency(outcome: CheckOutcome, latencyMs: number): CheckResult {
  return outcome.ok ? { ok: true, latencyMs } : { ok: false, reason: outcome.reason, detail: outcome.detail, latencyMs };
}
