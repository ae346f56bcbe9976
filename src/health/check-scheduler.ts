/**
 * check-scheduler: runs every probe every intervalMs (± jitterPercent), at most maxConcurrent at
 * once, times each attempt out, folds results through rise/fall, and reports verdict changes.
 *
 * Cadence is kept against the ideal due time, not the previous finish, so a slow check does not
 * push its successors later and later; lateness (start − ideal due time) is recorded per run,
 * with the part of it spent queueing for a slot, so a late run says whether the concurrency bound
 * or a busy event loop made it late.
 * Clock and timers are injected: tests drive the scheduler with a fake clock and a fake checker.
 * Per run the scheduler allocates one ScheduledRun (the attempt's signal and the sink its
 * checker settles, attempt-abort.ts; a checker without start() adds its promise). Neither due times nor deadlines are a timer each: one DueQueue
 * (due-queue.ts) holds every probe's next run on one timer, and one DeadlineSweep
 * (deadline-sweep.ts) fires about once per timeoutMs for all deadlines. An AbortController and a
 * deadline timer per run cost more user time than a whole TCP check (bench/health/README.md).
 * The election runs on its own thread, so this loop's work never sits in front of an advert; the
 * cadence benchmark measures the advert delay while 10,000 real servers are checked.
 */
import type { EventLoopClock, MonotonicClock } from '../election-runtime/monotonic-clock.js';
import { AttemptAbort } from './attempt-abort.js';
import { failed, withLatency, type CheckOutcome, type CheckResult } from './check-result.js';
import { startWithPromise, type AttemptSink, type Checker } from './checker.js';
import { DeadlineSweep } from './deadline-sweep.js';
import { DueQueue, type DueItem } from './due-queue.js';
import { Fifo } from './fifo.js';
import { initialHealth, nextHealth, type HealthState } from './hysteresis.js';
import { assertMaxConcurrent, AUTO_MAX_CONCURRENT_FLOOR, autoMaxConcurrent, type MaxConcurrent } from './max-concurrent.js';
import type { Probe, RealServerRef } from './probe-set.js';

/** MaxConcurrent is CheckSchedulerOptions.maxConcurrent's type (max-concurrent.ts), for the scheduler's callers. */
export type { MaxConcurrent } from './max-concurrent.js';

/** LATE_SHARE_OF_INTERVAL: a run that starts later than this share of its interval counts as late. */
export const LATE_SHARE_OF_INTERVAL = 0.1;

/** VerdictChange says a probe's verdict flipped, for every real server it fans out to. */
export interface VerdictChange {
  readonly probeKey: string;
  readonly realServers: readonly RealServerRef[];
  readonly up: boolean;
  /** result is the run that tipped the balance: its failure reason says why a server went down. */
  readonly result: CheckResult;
}

/** CheckRun is one finished run, for metrics and the benchmark. */
export interface CheckRun {
  readonly probeKey: string;
  readonly result: CheckResult;
  /** latenessMs is how much later than its due time the run started (queueing, a busy loop). */
  readonly latenessMs: number;
  /** queuedMs is the part of latenessMs spent waiting for a slot (maxConcurrent attempts were in flight). */
  readonly queuedMs: number;
  readonly health: HealthState;
}

/** Verdict is a probe's current state, as verdicts() lists it. */
export interface Verdict {
  readonly probeKey: string;
  readonly realServers: readonly RealServerRef[];
  readonly up: boolean;
}

/** ListenerError is a throw from a listener, with the probe whose run it was handling. */
export interface ListenerError {
  readonly listener: 'onVerdict' | 'onRun';
  readonly probeKey: string;
  readonly error: unknown;
}

/** SchedulerStats count runs since construction. */
export interface SchedulerStats {
  readonly started: number;
  /** late counts runs that started more than LATE_SHARE_OF_INTERVAL of their interval late. */
  readonly late: number;
  /** waited counts runs that found maxConcurrent attempts in flight and queued for a slot. */
  readonly waited: number;
  /** skipped counts whole intervals dropped because a probe fell more than one interval behind. */
  readonly skipped: number;
  readonly maxLatenessMs: number;
  readonly inFlight: number;
  readonly queued: number;
  /** maxConcurrent is the bound in force (the number 'auto' came to). */
  readonly maxConcurrent: number;
}

/** CheckSchedulerOptions wire the scheduler to its clock, checker and listeners. */
export interface CheckSchedulerOptions {
  /** clock: an EventLoopClock (systemMonotonicClock) also keeps a stall of this thread from timing checks out. */
  readonly clock: MonotonicClock | EventLoopClock;
  readonly checker: Checker;
  /** maxConcurrent is HealthSettings.maxConcurrent, attempts in flight at once (setMaxConcurrent changes it on reload). */
  readonly maxConcurrent: MaxConcurrent;
  readonly onVerdict: (change: VerdictChange) => void;
  readonly onRun?: (run: CheckRun) => void;
  /**
   * onError hears of a listener (onVerdict, onRun) that threw. The probe keeps its cadence
   * regardless: one bad listener must not silence a real server's checks. Each throw is reported
   * exactly once; without onError it is dropped, so a caller that cares must pass one.
   */
  readonly onError?: (error: ListenerError) => void;
  /** random returns [0, 1) for jitter and the start-up spread; Math.random unless a test fixes it. */
  readonly random?: () => number;
}

/** ProbeEntry is the scheduler's state for one probe; it waits for its next run in the DueQueue. */
interface ProbeEntry extends DueItem {
  probe: Probe;
  health: HealthState;
  /** dueAtMs is the ideal start of the next run. */
  dueAtMs: number;
  /** attempt is the run in flight; a result from any other (aborted, detached) attempt is dropped. */
  attempt: ScheduledRun | null;
  /** queuedAtMs is when the entry joined the queue for a slot, null while it is not queued. */
  queuedAtMs: number | null;
}

/** ScheduledRun is one attempt: its signal, the sink its checker settles, and what its CheckRun will report. */
class ScheduledRun extends AttemptAbort implements AttemptSink {
  constructor(
    readonly entry: ProbeEntry,
    readonly startedAtMs: number,
    readonly deadlineMs: number,
    readonly latenessMs: number,
    readonly queuedMs: number,
    private readonly onSettled: (run: ScheduledRun, outcome: CheckOutcome) => void,
  ) {
    super();
  }

  settled(outcome: CheckOutcome): void {
    this.onSettled(this, outcome);
  }
}

/** isLive says whether `run` is still its probe's attempt in flight. */
function isLive(run: ScheduledRun): boolean {
  return run.entry.attempt === run;
}

/** CheckScheduler owns the probes' due times and in-flight attempts. */
export class CheckScheduler {
  readonly #options: CheckSchedulerOptions;
  readonly #random: () => number;
  #maxConcurrentSetting: MaxConcurrent;
  /** #maxConcurrent is the bound in force: the setting, or what 'auto' makes of the current probes. */
  #maxConcurrent: number;
  readonly #entries = new Map<string, ProbeEntry>();
  /** #queue holds due entries waiting for a slot, oldest first. */
  readonly #queue = new Fifo<ProbeEntry>();
  readonly #deadlines: DeadlineSweep<ScheduledRun>;
  readonly #dueQueue: DueQueue<ProbeEntry>;
  #inFlight = 0;
  #running = false;
  #started = 0;
  #late = 0;
  #waited = 0;
  #skipped = 0;
  #maxLatenessMs = 0;
  /** #settleRun is every ScheduledRun's onSettled: made once, not per run. */
  readonly #settleRun = (run: ScheduledRun, outcome: CheckOutcome): void => {
    this.#settle(run, outcome);
  };

  constructor(options: CheckSchedulerOptions) {
    assertMaxConcurrent(options.maxConcurrent);
    this.#options = options;
    this.#maxConcurrentSetting = options.maxConcurrent;
    this.#maxConcurrent = options.maxConcurrent === 'auto' ? AUTO_MAX_CONCURRENT_FLOOR : options.maxConcurrent;
    this.#random = options.random ?? Math.random;
    this.#deadlines = new DeadlineSweep({ clock: options.clock, isLive, expire: (runs) => { this.#expire(runs); } });
    this.#dueQueue = new DueQueue({ clock: options.clock, due: (entry) => { this.#due(entry); } });
  }

  /** setMaxConcurrent follows a reloaded health.maxConcurrent; a raise starts queued runs at once, a cut lets runs in flight finish. */
  setMaxConcurrent(maxConcurrent: MaxConcurrent): void {
    assertMaxConcurrent(maxConcurrent);
    this.#maxConcurrentSetting = maxConcurrent;
    this.#resize();
  }

  /** #resize recomputes the bound in force ('auto' follows the probe set) and starts what it now allows. */
  #resize(): void {
    const setting = this.#maxConcurrentSetting;
    this.#maxConcurrent = setting === 'auto' ? autoMaxConcurrent([...this.#entries.values()].map((entry) => entry.probe)) : setting;
    this.#drainQueue();
  }

  /**
   * update replaces the probe set (at start-up and on reload). A probe whose key is unchanged
   * keeps its verdict, counters and cadence, and takes the new real-server list; a removed
   * probe's attempt is aborted; a new probe starts from its initialState.
   */
  update(probes: readonly Probe[]): void {
    const next = new Set<string>();
    for (const probe of probes) {
      next.add(probe.key);
      const entry = this.#entries.get(probe.key);
      if (entry !== undefined) {
        entry.probe = probe;
        continue;
      }
      const added: ProbeEntry = { probe, health: initialHealth(probe.target.check.initialState), dueAtMs: 0, queueIndex: -1, attempt: null, queuedAtMs: null };
      this.#entries.set(probe.key, added);
      if (this.#running) this.#armFirst(added);
    }
    for (const [key, entry] of this.#entries) {
      if (next.has(key)) continue;
      this.#halt(entry);
      this.#entries.delete(key);
    }
    this.#resize();
  }

  /** start arms every probe, each first due at a random point of its first interval so they spread out. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const entry of this.#entries.values()) this.#armFirst(entry);
  }

  /** stop cancels every due run and aborts every attempt; verdicts are kept for a later start(). */
  stop(): void {
    this.#running = false;
    for (const entry of this.#entries.values()) this.#halt(entry);
    this.#queue.clear();
    this.#dueQueue.clear();
    this.#deadlines.clear();
  }

  /** verdicts lists every probe's current verdict (initialState until rise/fall says otherwise). */
  verdicts(): Verdict[] {
    return [...this.#entries.values()].map(({ probe, health }) => ({ probeKey: probe.key, realServers: probe.realServers, up: health.up }));
  }

  /** stats returns the run counters. */
  stats(): SchedulerStats {
    return {
      started: this.#started,
      late: this.#late,
      waited: this.#waited,
      skipped: this.#skipped,
      maxLatenessMs: this.#maxLatenessMs,
      inFlight: this.#inFlight,
      queued: this.#queue.size,
      maxConcurrent: this.#maxConcurrent,
    };
  }

  #armFirst(entry: ProbeEntry): void {
    this.#arm(entry, this.#options.clock.nowMs + this.#random() * entry.probe.target.check.intervalMs);
  }

  #arm(entry: ProbeEntry, dueAtMs: number): void {
    entry.dueAtMs = dueAtMs;
    this.#dueQueue.add(entry);
  }

  /** #halt takes an entry out of the due queue and detaches its attempt, freeing its slot now. */
  #halt(entry: ProbeEntry): void {
    this.#dueQueue.remove(entry);
    entry.queuedAtMs = null;
    const attempt = entry.attempt;
    if (attempt === null) return;
    // Detached before the abort: a checker may settle from inside its abort hook (Checker.start),
    // and a halted run must not be reported or queue its next interval.
    entry.attempt = null;
    this.#inFlight -= 1;
    this.#abort(attempt);
  }

  #due(entry: ProbeEntry): void {
    if (this.#inFlight < this.#maxConcurrent) {
      this.#run(entry);
      return;
    }
    entry.queuedAtMs = this.#options.clock.nowMs;
    this.#waited += 1;
    this.#queue.push(entry);
  }

  #run(entry: ProbeEntry): void {
    const { clock, checker } = this.#options;
    const check = entry.probe.target.check;
    const startedAtMs = clock.nowMs;
    const latenessMs = Math.max(0, startedAtMs - entry.dueAtMs);
    const queuedMs = entry.queuedAtMs === null ? 0 : startedAtMs - entry.queuedAtMs;
    entry.queuedAtMs = null;
    this.#started += 1;
    if (latenessMs > check.intervalMs * LATE_SHARE_OF_INTERVAL) this.#late += 1;
    if (latenessMs > this.#maxLatenessMs) this.#maxLatenessMs = latenessMs;
    const run = new ScheduledRun(entry, startedAtMs, startedAtMs + check.timeoutMs, latenessMs, queuedMs, this.#settleRun);
    entry.attempt = run;
    this.#inFlight += 1;
    this.#deadlines.add(run, check.timeoutMs);
    if (checker.start === undefined) startWithPromise(checker, entry.probe.target, run, run);
    else checker.start(entry.probe.target, run, run);
  }

  #settle(run: ScheduledRun, outcome: CheckOutcome): void {
    const { entry } = run;
    if (entry.attempt !== run) return;
    entry.attempt = null;
    this.#inFlight -= 1;
    this.#finished(run, withLatency(outcome, this.#options.clock.nowMs - run.startedAtMs));
    this.#drainQueue();
  }

  /**
   * #expire aborts the attempts a sweep found past their deadlines. After a stall of this thread
   * a deadline and the connect that completed in time are both pending, and libuv runs timers
   * before it polls: aborting at once would fail a healthy real server for our own stall. On an
   * EventLoopClock the aborts wait until the I/O ready now has been read (monotonic-clock.ts
   * afterPendingIo), and spare the attempts that I/O settled.
   */
  #expire(runs: readonly ScheduledRun[]): void {
    const { clock } = this.#options;
    if (!('afterPendingIo' in clock)) {
      for (const run of runs) this.#abort(run);
      return;
    }
    clock.afterPendingIo(() => {
      for (const run of runs) if (isLive(run)) this.#abort(run);
    });
  }

  /**
   * #abort aborts one run (expired, or halted by stop() or a reload). A checker whose abort hook
   * throws broke its contract (checker.ts) and may never resolve: a live run ends as a local
   * failure, freeing the slot (a halted one is detached already, so nothing is reported), and the
   * other runs of the same sweep or stop() are still aborted.
   */
  #abort(run: ScheduledRun): void {
    try {
      run.abort();
    } catch (error) {
      this.#settle(run, failed('local', `checker's abort failed: ${String(error)}`));
    }
  }

  #finished({ entry, latenessMs, queuedMs }: ScheduledRun, result: CheckResult): void {
    const { probe } = entry;
    const before = entry.health.up;
    const health = nextHealth(entry.health, result.ok, probe.target.check);
    entry.health = health;
    // Armed before the listeners run: one that stops the scheduler or removes this probe halts
    // the entry, and that takes it out of the due queue again.
    this.#armNext(entry);
    const { onRun, onVerdict } = this.#options;
    if (onRun !== undefined) this.#notify('onRun', probe.key, onRun, { probeKey: probe.key, result, latenessMs, queuedMs, health });
    if (health.up !== before) this.#notify('onVerdict', probe.key, onVerdict, { probeKey: probe.key, realServers: probe.realServers, up: health.up, result });
  }

  /** #armNext arms an entry's next run one (jittered) interval after its last due time. */
  #armNext(entry: ProbeEntry): void {
    const check = entry.probe.target.check;
    const nowMs = this.#options.clock.nowMs;
    let dueAtMs = entry.dueAtMs + this.#jittered(check.intervalMs, check.jitterPercent);
    // More than a whole interval behind: drop the missed runs rather than fire them back to back,
    // and resume at the probe's own phase. Re-timing every lagging probe to "now" would bunch all
    // of them into one burst after a stall, which jitter takes many intervals to spread again.
    if (dueAtMs < nowMs - check.intervalMs) {
      const missed = Math.ceil((nowMs - dueAtMs) / check.intervalMs);
      this.#skipped += missed;
      dueAtMs += missed * check.intervalMs;
    }
    this.#arm(entry, dueAtMs);
  }

  /**
   * #notify calls a listener so that its throw cannot escape into the checker's promise chain
   * (an unhandled rejection) or skip the other listener.
   */
  #notify<T>(listener: ListenerError['listener'], probeKey: string, call: (value: T) => void, value: T): void {
    try {
      call(value);
    } catch (error) {
      this.#options.onError?.({ listener, probeKey, error });
    }
  }

  #drainQueue(): void {
    while (this.#inFlight < this.#maxConcurrent) {
      const entry = this.#queue.shift();
      if (entry === undefined) return;
      // A probe halted while it queued (removed, or the scheduler stopped) gave up its place.
      if (entry.queuedAtMs !== null) this.#run(entry);
    }
  }

  /** #jittered is intervalMs moved by up to ± jitterPercent, uniformly. */
  #jittered(intervalMs: number, jitterPercent: number): number {
    return intervalMs * (1 + ((this.#random() * 2 - 1) * jitterPercent) / 100);
  }
}
