/**
 * tcp-checker: a TCP connect check. The real server is up when the three-way handshake
 * completes (RFC 9293 §3.5). The socket is then reset (SO_LINGER 0, as HAProxy's checks do)
 * rather than closed, so thousands of servers at a 2 s cadence leave no TIME_WAIT sockets behind.
 *
 * The connects run through the addon's TcpProber (src/kernel/tcp-prober.ts): bare system calls
 * and one epoll fd for every check in flight, which costs about half the CPU of a node:net
 * socket per check. There is no node:net fallback: without the addon the daemon cannot program
 * IPVS either, so a check then fails with reason `local` and says how to build it.
 */
import { performance } from 'node:perf_hooks';
import { getSystemErrorName } from 'node:util';
import { timedOut } from './attempt.js';
import { failed, PASSED, type CheckOutcome } from './check-result.js';
import type { AttemptSignal, AttemptSink, CheckOf, Checker, ProbeTarget } from './checker.js';
import { failureFromErrno, failureFromError } from './socket-failure.js';
import { TcpProber, type ConnectWaiter } from '../kernel/tcp-prober.js';

type TcpTarget = ProbeTarget<CheckOf<'tcp'>>;

/** connectFailure describes a connect that ended with `errno`, as Node words it ("connect ECONNREFUSED 127.0.0.1:80"). */
function connectFailure(errno: number, { address, check }: TcpTarget): CheckOutcome {
  const code = getSystemErrorName(-errno);
  return failureFromErrno(code, `connect ${code} ${address}:${check.port}`);
}

/**
 * TcpAttempt is one check in flight. It is both the prober's waiter and the signal's abort
 * listener (an EventListener object), so an attempt costs one object and no closures.
 */
class TcpAttempt implements ConnectWaiter {
  id = 0;

  constructor(
    private readonly prober: TcpProber,
    private readonly target: TcpTarget,
    private readonly signal: AttemptSignal,
    private readonly sink: AttemptSink,
  ) {}

  connectSettled(errno: number): void {
    // Aborted already: handleEvent settled. Its cancel finds nothing when this connect was reaped in
    // the completion batch being handed out (a sink earlier in the batch aborted it), and the
    // prober still calls us: settling again would break AttemptSink's exactly once.
    if (this.signal.aborted) return;
    this.signal.removeEventListener('abort', this);
    this.sink.settled(errno === 0 ? PASSED : connectFailure(errno, this.target));
  }

  /** handleEvent is the abort: drop the half-open socket now (a blackholed SYN would wait minutes). */
  handleEvent(): void {
    this.prober.cancel(this.id);
    this.sink.settled(timedOut(this.target.check.timeoutMs));
  }
}

/** settleLater tells `sink` an outcome known at once, after start() returned (AttemptSink's promise). */
function settleLater(sink: AttemptSink, outcome: CheckOutcome): void {
  queueMicrotask(() => {
    sink.settled(outcome);
  });
}

/**
 * TcpChecker is a tcp checker that owns its prober. close() releases the prober's epoll fd and
 * sockets; checks still in flight then end when their signal aborts, with reason `timeout`.
 */
export interface TcpChecker extends Checker<CheckOf<'tcp'>> {
  /** start runs one check without a promise (Checker.start): the scheduler's path. */
  start(target: TcpTarget, signal: AttemptSignal, sink: AttemptSink): void;
  close(): void;
}

/**
 * PROBER_RETRY_MS is how long a prober that could not open is left alone. Opening it again is a
 * require() of the addon (file-system lookups, a dlopen of a half-written binary during a
 * rebuild); at thousands of checks a second, trying on every check held the event loop for
 * seconds. Every check in between fails at once with the remembered reason.
 */
const PROBER_RETRY_MS = 5_000;

/**
 * createTcpChecker makes a tcp checker whose prober opens (`openProber`) on the first check. A
 * prober that cannot open (the addon is not built, or no fd is left) fails checks with reason
 * `local`, and is tried again on the first check PROBER_RETRY_MS later on `nowMs` (monotonic).
 */
export function createTcpChecker(
  openProber: () => TcpProber = () => new TcpProber(),
  nowMs: () => number = () => performance.now(),
): TcpChecker {
  let prober: TcpProber | undefined;
  let openFailure: { outcome: CheckOutcome; retryAtMs: number } | undefined;
  /** openedProber is the prober, opened now if need be, or the outcome every check gets while it cannot open. */
  const openedProber = (): TcpProber | CheckOutcome => {
    if (prober !== undefined) return prober;
    if (openFailure !== undefined && nowMs() < openFailure.retryAtMs) return openFailure.outcome;
    try {
      prober = openProber();
      openFailure = undefined;
      return prober;
    } catch (error) {
      const outcome = failed('local', error instanceof Error ? error.message : String(error));
      openFailure = { outcome, retryAtMs: nowMs() + PROBER_RETRY_MS };
      return outcome;
    }
  };
  const start = (target: TcpTarget, signal: AttemptSignal, sink: AttemptSink): void => {
    if (signal.aborted) {
      settleLater(sink, timedOut(target.check.timeoutMs));
      return;
    }
    const opened = openedProber();
    if ('ok' in opened) {
      settleLater(sink, opened);
      return;
    }
    const attempt = new TcpAttempt(opened, target, signal, sink);
    let result: number;
    try {
      result = opened.connect(target.address, target.check.port, target.check.sourceAddress, attempt);
    } catch (error) {
      settleLater(sink, failureFromError(error));
      return;
    }
    if (result > 0) {
      attempt.id = result;
      signal.addEventListener('abort', attempt);
    } else {
      settleLater(sink, result === 0 ? PASSED : connectFailure(-result, target));
    }
  };
  return {
    start,
    check(target, signal) {
      return new Promise<CheckOutcome>((resolve) => {
        start(target, signal, { settled: resolve });
      });
    },
    close() {
      prober?.close();
      prober = undefined;
    },
  };
}

/** tcpChecker is the process's tcp checker: one prober, opened on first use, kept for the process's life. */
export const tcpChecker: TcpChecker = createTcpChecker();
