/**
 * reject-log-limiter: the pure decision of when a rejected advert deserves a log line.
 *
 * Rejected adverts are counted in the election state on every packet; a log line per packet would
 * let anyone on the segment flood the journal. The shell asks this limiter, per reason: at most one
 * line per reason per windowMs, and that line reports how many were suppressed since the last one.
 * Time is an input (the shell's monotonic clock).
 */
import type { RejectReason } from './types.js';

/** RejectLogLimiter remembers, per reason, when it last allowed a line and how many it held back. */
export interface RejectLogLimiter {
  readonly windowMs: number;
  readonly lastLoggedAtMs: ReadonlyMap<RejectReason, number>;
  readonly suppressed: ReadonlyMap<RejectReason, number>;
}

/** RejectLogDecision says whether to log now, and how many rejections of this reason went unlogged before. */
export interface RejectLogDecision {
  readonly log: boolean;
  readonly suppressedBefore: number;
  readonly limiter: RejectLogLimiter;
}

/** createRejectLogLimiter allows one line per reason per windowMs (e.g. 60 000). */
export function createRejectLogLimiter(windowMs: number): RejectLogLimiter {
  if (!(windowMs > 0)) throw new RangeError(`reject log window ${windowMs} ms must be positive`);
  return { windowMs, lastLoggedAtMs: new Map(), suppressed: new Map() };
}

/** decideRejectLog records one rejection at nowMs and decides whether it is logged. */
export function decideRejectLog(limiter: RejectLogLimiter, reason: RejectReason, nowMs: number): RejectLogDecision {
  const last = limiter.lastLoggedAtMs.get(reason);
  const held = limiter.suppressed.get(reason) ?? 0;
  if (last !== undefined && nowMs - last < limiter.windowMs) {
    return { log: false, suppressedBefore: held, limiter: { ...limiter, suppressed: new Map(limiter.suppressed).set(reason, held + 1) } };
  }
  return {
    log: true,
    suppressedBefore: held,
    limiter: {
      ...limiter,
      lastLoggedAtMs: new Map(limiter.lastLoggedAtMs).set(reason, nowMs),
      suppressed: new Map(limiter.suppressed).set(reason, 0),
    },
  };
}
