/**
 * The check scheduler on a fake clock with a scripted checker: cadence and jitter, rise/fall
 * verdicts fanned out to real servers, timeouts, the concurrency bound, lateness, reload, stop.
 */
import { describe, expect, it } from 'vitest';
import { PASSED, failed, type CheckOutcome } from '../../../src/health/check-result.js';
import type { AttemptSignal, Checker, ProbeTarget } from '../../../src/health/checker.js';
import { CheckScheduler, type CheckRun, type ListenerError, type VerdictChange } from '../../../src/health/check-scheduler.js';
import { AUTO_MAX_CONCURRENT_FLOOR, autoMaxConcurrent, type MaxConcurrent } from '../../../src/health/max-concurrent.js';
import { probeKey, type Probe } from '../../../src/health/probe-set.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { checkOf } from '../../unit/health/check-fixtures.js';

/** Reply tells the scripted checker what to answer: an outcome now, or nothing until aborted. */
type Reply = CheckOutcome | 'hang';

interface Call {
  readonly address: string;
  readonly atMs: number;
  readonly signal: AttemptSignal;
}

/** ScriptedChecker answers each attempt from `reply(address)` and records when it was asked. */
class ScriptedChecker implements Checker {
  readonly calls: Call[] = [];
  constructor(
    private readonly clock: FakeClock,
    public reply: (address: string) => Reply,
  ) {}

  check(target: ProbeTarget, signal: AttemptSignal): Promise<CheckOutcome> {
    this.calls.push({ address: target.address, atMs: this.clock.nowMs, signal });
    const reply = this.reply(target.address);
    if (reply !== 'hang') return Promise.resolve(reply);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        resolve(failed('timeout', 'aborted'));
      });
    });
  }

  startsOf(address: string): number[] {
    return this.calls.filter((call) => call.address === address).map((call) => call.atMs);
  }
}

function probe(address: string, fields: Record<string, unknown> = {}, virtualServers = ['web']): Probe {
  const check = checkOf('tcp', 80, { jitterPercent: 0, ...fields });
  return { key: probeKey(address, check), target: { address, check }, realServers: virtualServers.map((virtualServer) => ({ virtualServer, address, port: 80 })) };
}

/** advanceSettling moves `clock` in 1 ms steps, letting checker promises settle between steps. */
async function advanceSettling(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i += 1) {
    clock.advance(1);
    for (let flush = 0; flush < 3; flush += 1) await Promise.resolve();
  }
}

/** Harness wires a scheduler to a fake clock and records what it reports. */
function harness(reply: (address: string) => Reply, options: { maxConcurrent?: MaxConcurrent; random?: () => number } = {}) {
  const clock = new FakeClock();
  const checker = new ScriptedChecker(clock, reply);
  const verdicts: VerdictChange[] = [];
  const runs: CheckRun[] = [];
  const scheduler = new CheckScheduler({
    clock,
    checker,
    maxConcurrent: options.maxConcurrent ?? 64,
    random: options.random ?? (() => 0),
    onVerdict: (change) => verdicts.push(change),
    onRun: (run) => runs.push(run),
  });
  const advance = (ms: number): Promise<void> => advanceSettling(clock, ms);
  return { clock, checker, scheduler, verdicts, runs, advance };
}

describe('CheckScheduler cadence', () => {
  it('spreads first runs over the first interval, then keeps the interval', async () => {
    const spread = [0.25, 0.75];
    const { checker, scheduler, advance } = harness(() => PASSED, { random: () => spread.shift() ?? 0 });
    scheduler.update([probe('10.0.0.1'), probe('10.0.0.2')]);
    scheduler.start();
    await advance(6600);
    expect(checker.startsOf('10.0.0.1')).toEqual([500, 2500, 4500, 6500]);
    expect(checker.startsOf('10.0.0.2')).toEqual([1500, 3500, 5500]);
  });

  it('moves each interval by at most ± jitterPercent', async () => {
    const draws = [0, 0, 1, 0.5];
    const { checker, scheduler, advance } = harness(() => PASSED, { random: () => draws.shift() ?? 0.5 });
    scheduler.update([probe('10.0.0.1', { jitterPercent: 10 })]);
    scheduler.start();
    await advance(6000);
    // first run at 0, then 2000 − 10 %, then 2000 + 10 %, then exactly 2000.
    expect(checker.startsOf('10.0.0.1')).toEqual([0, 1800, 4000, 6000]);
  });
});

describe('CheckScheduler verdicts', () => {
  it('reports down after fall failures and up after rise successes, to every real server of the probe', async () => {
    let healthy = false;
    const { scheduler, verdicts, advance } = harness(() => (healthy ? PASSED : failed('refused', 'connection refused')));
    const shared = probe('10.0.0.1', {}, ['web', 'web-mark']);
    scheduler.update([shared]);
    scheduler.start();
    await advance(4001); // runs at 0, 2000, 4000: the third failure tips it
    expect(verdicts).toEqual([
      { probeKey: shared.key, realServers: shared.realServers, up: false, result: { ok: false, reason: 'refused', detail: 'connection refused', latencyMs: 0 } },
    ]);
    healthy = true;
    await advance(2000);
    expect(verdicts).toHaveLength(1);
    await advance(2000);
    expect(verdicts[1]).toMatchObject({ probeKey: shared.key, up: true, result: { ok: true } });
    expect(scheduler.verdicts()).toEqual([{ probeKey: shared.key, realServers: shared.realServers, up: true }]);
  });

  it('starts from initialState and reports nothing until rise or fall is met', async () => {
    const { scheduler, verdicts, advance } = harness(() => PASSED);
    const down = probe('10.0.0.1', { initialState: 'down', rise: 3 });
    scheduler.update([down]);
    expect(scheduler.verdicts()[0]?.up).toBe(false);
    scheduler.start();
    await advance(2001);
    expect(verdicts).toEqual([]);
    await advance(2000);
    expect(verdicts.map((change) => change.up)).toEqual([true]);
  });

  it('aborts an attempt at its timeout and counts it as a failure with its latency', async () => {
    const { checker, scheduler, runs, advance } = harness(() => 'hang');
    scheduler.update([probe('10.0.0.1', { timeoutMs: 700 })]);
    scheduler.start();
    await advance(699);
    expect(checker.calls[0]?.signal.aborted).toBe(false);
    await advance(2);
    expect(checker.calls[0]?.signal.aborted).toBe(true);
    expect(runs[0]?.result).toEqual({ ok: false, reason: 'timeout', detail: 'aborted', latencyMs: 700 });
    expect(runs[0]?.health).toEqual({ up: true, successes: 0, failures: 1 });
  });

  it('times out attempts of different timeouts each at its own deadline', async () => {
    const phases = [0, 0.05];
    const { checker, scheduler, runs, advance } = harness(() => 'hang', { random: () => phases.shift() ?? 0 });
    scheduler.update([probe('10.0.0.1', { timeoutMs: 700 }), probe('10.0.0.2', { timeoutMs: 300 })]);
    scheduler.start();
    await advance(399); // 10.0.0.2 started at 100: its deadline is 400, before 10.0.0.1's (700)
    expect(checker.calls.map((call) => call.signal.aborted)).toEqual([false, false]);
    await advance(2);
    expect(checker.calls.map((call) => call.signal.aborted)).toEqual([false, true]);
    await advance(300);
    expect(runs.map((run) => [run.result.latencyMs, run.result.ok])).toEqual([
      [300, false],
      [700, false],
    ]);
  });

  it('keeps one deadline timer and one due timer however many probes run', async () => {
    const { clock, scheduler, advance } = harness(() => 'hang');
    scheduler.update(Array.from({ length: 50 }, (_, i) => probe(`10.0.1.${i + 1}`)));
    scheduler.start();
    expect(clock.pending).toBe(1); // 50 first runs, one due timer
    await advance(1); // all 50 due at 0 (random 0): in flight, nothing due, one sweep
    expect(scheduler.stats().inFlight).toBe(50);
    expect(clock.pending).toBe(1);
    await advance(1000); // every one timed out and queued its next run; no sweep is left
    expect(scheduler.stats().inFlight).toBe(0);
    expect(clock.pending).toBe(1);
  });
});

describe('CheckScheduler with a promise-free checker', () => {
  it('runs a checker that has start() through it, not through check()', async () => {
    const clock = new FakeClock();
    const started: string[] = [];
    const checker: Checker = {
      check: () => Promise.reject(new Error('check() must not be called when start() exists')),
      start: ({ address }, _signal, sink) => {
        started.push(address);
        queueMicrotask(() => {
          sink.settled(failed('refused', 'connection refused'));
        });
      },
    };
    const runs: CheckRun[] = [];
    const verdicts: VerdictChange[] = [];
    const scheduler = new CheckScheduler({ clock, checker, maxConcurrent: 64, random: () => 0, onVerdict: (change) => verdicts.push(change), onRun: (run) => runs.push(run) });
    scheduler.update([probe('10.0.0.1')]);
    scheduler.start();
    await advanceSettling(clock, 4001); // runs at 0, 2000, 4000: the third failure tips it
    expect(started).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.1']);
    expect(runs.map(({ result }) => (result.ok ? 'ok' : `${result.reason}: ${result.detail}`))).toEqual(Array.from({ length: 3 }, () => 'refused: connection refused'));
    expect(verdicts.map(({ up }) => up)).toEqual([false]);
    expect(scheduler.stats().inFlight).toBe(0);
  });

  it('neither reports nor re-queues a run that settles from its abort hook while stop() or a reload halts it', async () => {
    const clock = new FakeClock();
    // Settles synchronously when aborted, as the tcp checker's start() does.
    const checker: Checker = {
      check: () => Promise.reject(new Error('check() must not be called when start() exists')),
      start: (_target, signal, sink) => {
        signal.addEventListener('abort', () => {
          sink.settled(failed('timeout', 'aborted'));
        });
      },
    };
    const runs: CheckRun[] = [];
    const scheduler = new CheckScheduler({ clock, checker, maxConcurrent: 64, random: () => 0, onVerdict: () => undefined, onRun: (run) => runs.push(run) });
    scheduler.update([probe('10.0.0.1'), probe('10.0.0.2'), probe('10.0.0.3')]);
    scheduler.start();
    await advanceSettling(clock, 10); // all three in flight
    expect(scheduler.stats().inFlight).toBe(3);
    scheduler.update([probe('10.0.0.1'), probe('10.0.0.2')]); // 10.0.0.3 removed: halted
    expect(scheduler.stats().inFlight).toBe(2);
    scheduler.stop();
    expect(runs).toEqual([]);
    expect(scheduler.stats().inFlight).toBe(0);
    expect(clock.pending).toBe(0);
    scheduler.start(); // only the two kept probes come back, each once
    await advanceSettling(clock, 10);
    expect(scheduler.stats().inFlight).toBe(2);
  });
});

describe('CheckScheduler with a checker whose abort hook throws', () => {
  it('still aborts the other attempts of the same sweep, and ends the thrower as a local failure', async () => {
    const clock = new FakeClock();
    const aborted: string[] = [];
    const checker: Checker = {
      // Only the abort ends an attempt; 10.0.0.1's hook throws before it resolves (a checker bug).
      check: ({ address }, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted.push(address);
            if (address === '10.0.0.1') throw new Error('hook bug');
            resolve(failed('timeout', 'aborted'));
          });
        }),
    };
    const runs: CheckRun[] = [];
    // Due at 0, 0.2 and 0.4 ms: all three start at 1 ms in this order, and so expire in it, in one sweep.
    const phases = [0, 0.0001, 0.0002];
    const scheduler = new CheckScheduler({ clock, checker, maxConcurrent: 64, random: () => phases.shift() ?? 0, onVerdict: () => undefined, onRun: (run) => runs.push(run) });
    scheduler.update(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => probe(address)));
    scheduler.start();
    await advanceSettling(clock, 1001);
    expect(aborted).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(scheduler.stats().inFlight).toBe(0); // the thrower's slot is freed too
    expect(runs.map(({ probeKey: key, result }) => [key, result.ok ? 'ok' : result.reason])).toEqual([
      [probe('10.0.0.1').key, 'local'],
      [probe('10.0.0.2').key, 'timeout'],
      [probe('10.0.0.3').key, 'timeout'],
    ]);
    expect(runs[0]?.result.ok === false && runs[0].result.detail).toContain('hook bug');
  });

  it('still halts every probe when stop() meets the throwing hook, and reports no run', async () => {
    const clock = new FakeClock();
    const aborted: string[] = [];
    const checker: Checker = {
      check: ({ address }, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted.push(address);
            if (address === '10.0.0.1') throw new Error('hook bug');
          });
        }),
    };
    const runs: CheckRun[] = [];
    const phases = [0, 0.0001, 0.0002];
    const scheduler = new CheckScheduler({ clock, checker, maxConcurrent: 64, random: () => phases.shift() ?? 0, onVerdict: () => undefined, onRun: (run) => runs.push(run) });
    scheduler.update(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => probe(address)));
    scheduler.start();
    await advanceSettling(clock, 10); // all three in flight
    expect(() => {
      scheduler.stop();
    }).not.toThrow();
    expect(aborted).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(scheduler.stats().inFlight).toBe(0);
    expect(clock.pending).toBe(0);
    expect(runs).toEqual([]);
  });
});

describe('CheckScheduler deadlines after a stall', () => {
  /** StallingClock is a FakeClock with afterPendingIo: its callbacks wait until the test says the pending I/O was read. */
  class StallingClock extends FakeClock {
    readonly afterIo: (() => void)[] = [];
    afterPendingIo(run: () => void): { cancel(): void } {
      this.afterIo.push(run);
      return { cancel: () => this.afterIo.splice(this.afterIo.indexOf(run), 1) };
    }
    readPendingIo(): void {
      for (const run of this.afterIo.splice(0)) run();
    }
  }

  function stalled() {
    const clock = new StallingClock();
    const answers: ((outcome: CheckOutcome) => void)[] = [];
    const runs: CheckRun[] = [];
    const checker: Checker = {
      check: (_target, signal) =>
        new Promise((resolve) => {
          answers.push(resolve);
          signal.addEventListener('abort', () => {
            resolve(failed('timeout', 'aborted'));
          });
        }),
    };
    const scheduler = new CheckScheduler({ clock, checker, maxConcurrent: 4, random: () => 0, onVerdict: () => undefined, onRun: (run) => runs.push(run) });
    scheduler.update([probe('10.0.0.1', { timeoutMs: 700 })]);
    scheduler.start();
    return { clock, answers, runs };
  }

  const flush = async (): Promise<void> => {
    for (let i = 0; i < 3; i += 1) await Promise.resolve();
  };

  it('lets a connect that completed during the stall win over the deadline that fell due in it', async () => {
    const { clock, answers, runs } = stalled();
    clock.advance(1500); // the thread was away: the deadline (700 ms) is overdue when it runs
    answers[0]?.(PASSED); // and the poll that follows the timers reads the completed connect
    await flush();
    clock.readPendingIo();
    await flush();
    expect(runs.map((run) => run.result.ok)).toEqual([true]);
  });

  it('still times the attempt out once the pending I/O held no answer', async () => {
    const { clock, runs } = stalled();
    clock.advance(700);
    await flush();
    expect(runs).toEqual([]);
    clock.readPendingIo();
    await flush();
    expect(runs.map((run) => run.result)).toEqual([{ ok: false, reason: 'timeout', detail: 'aborted', latencyMs: 700 }]);
  });
});

describe('CheckScheduler listener errors', () => {
  it('keeps running a probe whose onVerdict listener throws, and reports each throw once through onError', async () => {
    const clock = new FakeClock();
    let healthy = false;
    const checker = new ScriptedChecker(clock, () => (healthy ? PASSED : failed('refused', 'connection refused')));
    const errors: ListenerError[] = [];
    const heard: boolean[] = [];
    const bug = new Error('listener bug');
    const scheduler = new CheckScheduler({
      clock,
      checker,
      maxConcurrent: 4,
      random: () => 0,
      onVerdict: (change) => {
        heard.push(change.up);
        throw bug;
      },
      onError: (error) => errors.push(error),
    });
    const target = probe('10.0.0.1');
    scheduler.update([target]);
    scheduler.start();
    await advanceSettling(clock, 6001);
    healthy = true;
    await advanceSettling(clock, 6000);
    // Runs at 0, 2000, …, 12000: the third failure (4000) and the second success after 6000 (10000) flip it.
    expect(checker.startsOf('10.0.0.1')).toEqual([0, 2000, 4000, 6000, 8000, 10_000, 12_000]);
    expect(heard).toEqual([false, true]);
    expect(errors).toEqual([
      { listener: 'onVerdict', probeKey: target.key, error: bug },
      { listener: 'onVerdict', probeKey: target.key, error: bug },
    ]);
    expect(scheduler.verdicts()[0]?.up).toBe(true);
    scheduler.stop();
  });
});

describe('CheckScheduler listeners that stop or reload', () => {
  it('runs nothing more once an onRun listener stopped the scheduler, and leaves no timer', async () => {
    const clock = new FakeClock();
    // 10.0.0.2 hangs, so its deadline is armed when 10.0.0.1's run stops the scheduler.
    const checker = new ScriptedChecker(clock, (address) => (address === '10.0.0.1' ? PASSED : 'hang'));
    const scheduler: CheckScheduler = new CheckScheduler({ clock, checker, maxConcurrent: 4, random: () => 0, onVerdict: () => undefined, onRun: () => { scheduler.stop(); } });
    scheduler.update([probe('10.0.0.2'), probe('10.0.0.1')]);
    scheduler.start();
    await advanceSettling(clock, 1);
    expect(clock.pending).toBe(0);
    await advanceSettling(clock, 5000);
    expect([checker.startsOf('10.0.0.1'), checker.startsOf('10.0.0.2')]).toEqual([[0], [0]]);
    expect(clock.pending).toBe(0);
  });

  it('stops checking a probe its onVerdict listener removed, and keeps checking the others', async () => {
    const clock = new FakeClock();
    const checker = new ScriptedChecker(clock, (address) => (address === '10.0.0.1' ? failed('refused', 'no') : PASSED));
    const kept = probe('10.0.0.2');
    const scheduler: CheckScheduler = new CheckScheduler({ clock, checker, maxConcurrent: 4, random: () => 0, onVerdict: () => { scheduler.update([kept]); } });
    scheduler.update([probe('10.0.0.1', { fall: 1 }), kept]);
    scheduler.start();
    await advanceSettling(clock, 6001);
    expect(checker.startsOf('10.0.0.1')).toEqual([0]);
    expect(checker.startsOf('10.0.0.2')).toEqual([0, 2000, 4000, 6000]);
  });
});

describe('CheckScheduler concurrency', () => {
  it('keeps at most maxConcurrent attempts in flight and records the queueing as lateness', async () => {
    const { checker, scheduler, runs, advance } = harness(() => 'hang', { maxConcurrent: 2 });
    const probes = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((address) => probe(address, { timeoutMs: 300 }));
    scheduler.update(probes);
    scheduler.start();
    await advance(1);
    expect(scheduler.stats()).toMatchObject({ inFlight: 2, queued: 3, started: 2 });
    await advance(1000);
    // Three waves of at most two, each ended by the 300 ms timeout.
    expect(checker.calls.map((call) => call.atMs)).toEqual([0, 0, 300, 300, 600]);
    expect(runs.map((run) => run.latenessMs)).toEqual([0, 0, 300, 300, 600]);
    // The timers ran on time, so all of that lateness was the wait for a slot.
    expect(runs.map((run) => run.queuedMs)).toEqual([0, 0, 300, 300, 600]);
    // Late means more than 10 % of the 2000 ms interval (200 ms): the three that waited.
    expect(scheduler.stats()).toMatchObject({ started: 5, late: 3, waited: 3, maxLatenessMs: 600, inFlight: 0, queued: 0 });
  });

  it('follows setMaxConcurrent: a raise starts queued runs at once, a cut lets runs in flight finish', async () => {
    const { scheduler, advance } = harness(() => 'hang', { maxConcurrent: 1 });
    scheduler.update(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((address) => probe(address, { timeoutMs: 500 })));
    scheduler.start();
    await advance(1);
    expect(scheduler.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    scheduler.setMaxConcurrent(3);
    expect(scheduler.stats()).toMatchObject({ inFlight: 3, queued: 1 });
    scheduler.setMaxConcurrent(1);
    expect(scheduler.stats()).toMatchObject({ inFlight: 3, queued: 1 });
    await advance(500); // all three time out; only one slot now
    expect(scheduler.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    expect(() => {
      scheduler.setMaxConcurrent(0);
    }).toThrow(RangeError);
  });

  it('drops missed intervals instead of firing them back to back', async () => {
    let slow = true;
    const { checker, scheduler, advance } = harness(() => (slow ? 'hang' : PASSED), { maxConcurrent: 1 });
    scheduler.update([probe('10.0.0.1', { timeoutMs: 1900 }), probe('10.0.0.2', { timeoutMs: 1900, intervalMs: 2000 }), probe('10.0.0.3', { timeoutMs: 1900 })]);
    scheduler.start();
    await advance(5800);
    slow = false;
    await advance(4000);
    expect(scheduler.stats().skipped).toBeGreaterThan(0);
    // After the backlog each probe is back on a 2 s cadence, not bunched up.
    const recent = checker.startsOf('10.0.0.1').filter((atMs) => atMs > 6000);
    expect(recent.slice(1).map((atMs, i) => atMs - (recent[i] ?? 0))).toEqual(recent.slice(1).map(() => 2000));
  });

  it('after a backlog, resumes each probe at its own phase instead of bunching them at the same instant', async () => {
    let slow = true;
    const phases = [0, 0.25, 0.5];
    const { checker, scheduler, advance } = harness(() => (slow ? 'hang' : PASSED), { maxConcurrent: 1, random: () => phases.shift() ?? 0.5 });
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    scheduler.update(addresses.map((address) => probe(address, { timeoutMs: 1900 })));
    scheduler.start();
    await advance(8000); // one slot, three probes that each hold it 1.9 s: every probe falls behind
    slow = false;
    await advance(8000);
    expect(scheduler.stats().skipped).toBeGreaterThan(0);
    // First due at 0, 500 and 1000 ms: afterwards each runs on its own 2 s lattice again.
    const recentPhases = addresses.map((address) => checker.startsOf(address).filter((atMs) => atMs > 10_000).map((atMs) => atMs % 2000));
    expect(recentPhases).toEqual([
      [0, 0, 0],
      [500, 500, 500],
      [1000, 1000, 1000],
    ]);
  });
});

describe('CheckScheduler maxConcurrent auto', () => {
  const addresses = (count: number): string[] => Array.from({ length: count }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);

  it('autoMaxConcurrent is the slots busy when every probe times out, Σ timeoutMs / intervalMs, never below the floor', () => {
    expect(autoMaxConcurrent([])).toBe(AUTO_MAX_CONCURRENT_FLOOR);
    expect(autoMaxConcurrent(addresses(100).map((address) => probe(address)))).toBe(AUTO_MAX_CONCURRENT_FLOOR); // 100 × 1000/2000 = 50
    expect(autoMaxConcurrent(addresses(1000).map((address) => probe(address)))).toBe(500);
    const mixed = [...addresses(300).map((address) => probe(address, { timeoutMs: 300, intervalMs: 1000 })), ...addresses(201).map((address) => probe(address, { port: 81 }))];
    expect(autoMaxConcurrent(mixed)).toBe(191); // 90 + 100.5, rounded up
  });

  it('follows the probe set on update and gives way to a number set later', async () => {
    const { scheduler, advance } = harness(() => 'hang', { maxConcurrent: 'auto' });
    scheduler.update(addresses(200).map((address) => probe(address)));
    scheduler.start();
    await advance(1); // all 200 due at 0 (random 0), hanging until their 1000 ms timeout
    expect(scheduler.stats()).toMatchObject({ maxConcurrent: 100, inFlight: 100, queued: 100 });
    scheduler.update(addresses(20).map((address) => probe(address)));
    expect(scheduler.stats().maxConcurrent).toBe(AUTO_MAX_CONCURRENT_FLOOR);
    scheduler.setMaxConcurrent(10);
    expect(scheduler.stats().maxConcurrent).toBe(10);
    scheduler.setMaxConcurrent('auto');
    expect(scheduler.stats().maxConcurrent).toBe(AUTO_MAX_CONCURRENT_FLOOR);
    expect(() => {
      scheduler.setMaxConcurrent(0.5);
    }).toThrow(RangeError);
  });
});

describe('CheckScheduler reload and stop', () => {
  it('keeps counters and verdict for an unchanged probe, starts new ones fresh, aborts removed ones', async () => {
    const { checker, scheduler, verdicts, advance } = harness((address) => (address === '10.0.0.3' ? 'hang' : failed('refused', 'no')));
    const kept = probe('10.0.0.1');
    const removed = probe('10.0.0.3');
    scheduler.update([kept, removed]);
    scheduler.start();
    await advance(2001); // two failures for kept; removed hangs in flight (its second attempt)
    const removedStarts = checker.startsOf('10.0.0.3').length;
    const widened = { ...kept, realServers: [...kept.realServers, { virtualServer: 'api', address: '10.0.0.1', port: 80 }] };
    const added = probe('10.0.0.2', { initialState: 'down' });
    scheduler.update([widened, added]);
    const removedSignal = checker.calls.findLast((call) => call.address === '10.0.0.3')?.signal;
    expect(removedSignal?.aborted).toBe(true);
    await advance(2000); // third failure of kept: down, reported to both services
    expect(verdicts.map((change) => [change.probeKey, change.up, change.realServers.length])).toEqual([[kept.key, false, 2]]);
    expect(scheduler.verdicts().map((verdict) => [verdict.probeKey, verdict.up])).toEqual([
      [kept.key, false],
      [added.key, false],
    ]);
    expect(checker.startsOf('10.0.0.3')).toHaveLength(removedStarts);
  });

  it('stop aborts attempts in flight and runs nothing more', async () => {
    const { checker, scheduler, runs, clock, advance } = harness(() => 'hang');
    scheduler.update([probe('10.0.0.1')]);
    scheduler.start();
    await advance(10);
    scheduler.stop();
    expect(checker.calls[0]?.signal.aborted).toBe(true);
    expect(clock.pending).toBe(0); // no due timer and no deadline sweep left, before any would fire
    await advance(10_000);
    expect(checker.calls).toHaveLength(1);
    expect(runs).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(scheduler.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
