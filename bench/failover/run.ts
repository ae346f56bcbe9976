/**
 * bench/failover: how long a client cannot reach the VIP when the master fails. Two `tandem run`
 * daemons and a client in network namespaces (the netns test lab); each director runs a small TCP
 * responder that answers with its name, and the client connects to the VIP every 5 ms.
 *
 * Faults: SIGKILL of alpha's daemon, SIGTERM (a planned handover), alpha's own eth0 set down, and
 * the bridge side of alpha's link (p-a) set down; each trial runs every fault asked for. Per fault:
 * - takeover: from the fault to the first connect answered by the new master (beta);
 * - longest gap: the longest stretch, from the fault to that answer, in which no connect was
 *   answered at all (never below the 5 ms probe period, fault or not);
 * - baseline: the same measure over an equally long stretch just before the fault, with no fault.
 * Around a SIGTERM a second client probe connects every 1 ms and reports every attempt, so the
 * planned handover also gets the probes that failed and the outage they make (probe-figures.ts),
 * with the same figures from the stretch before the fault. README.md defines every figure.
 *
 *   sudo npx tsx bench/failover/run.ts [TRIALS=20] [ADVERT_INTERVAL_MS=50] [FAULTS=all]
 *
 * FAULTS is a comma-separated subset, e.g. `SIGTERM`. Root only; it creates and removes its own
 * namespaces.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { DIRECTORS, killAndWait, Lab, RESPONDER_PORT, VIP, waitFor, type DirectorName } from '../../test/netns/lab/lab.js';
import { percentile } from '../order-statistics.js';
import { FineProbe } from './fine-probe-process.js';
import { answersOf, failedAttempts, longestGapMs, outageMs, type Answer, type ProbeAttempt } from './probe-figures.js';

/** The issue's probe period for the takeover figure. */
const PROBE_INTERVAL_MS = 5;
/** The fine probe around a planned handover: one connect per millisecond (Node's timer resolution). */
const FINE_PROBE_INTERVAL_MS = 1;
/** Below TCP's first SYN retransmission (1 s, RFC 6298 §2.1): a lost SYN is a failed probe, not a slow one. */
const FINE_PROBE_TIMEOUT_MS = 900;
/** The fine probe runs this long before the fault: the no-fault stretch its baseline figures come from. */
const FINE_BEFORE_MS = 300;
/** ... and this long after alpha's daemon exited, its VIPs gone, so that late failures are seen. */
const FINE_AFTER_MS = 100;
/** A restarted alpha (run from source) needs a few seconds to warm up before it preempts. */
const PREEMPT_DELAY_MS = 2000;
const ALL_FAULTS = ['SIGKILL', 'SIGTERM', 'link-own', 'link-bridge'] as const;
type Fault = (typeof ALL_FAULTS)[number];

const trials = Number(process.argv[2] ?? 20);
const advertIntervalMs = Number(process.argv[3] ?? 50);
const faults = (process.argv[4]?.split(',') ?? ALL_FAULTS).map((name) => {
  const fault = ALL_FAULTS.find((known) => known === name);
  if (fault === undefined) throw new Error(`unknown fault ${name}; use a comma-separated subset of ${ALL_FAULTS.join(',')}`);
  return fault;
});

/** summary prints min, median, p90, max, and p99 once there are enough trials for it to differ from max. */
function summary(label: string, figures: readonly number[], unit = 'ms'): string {
  const sorted = [...figures].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(1).padStart(8);
  const p99 = sorted.length >= 100 ? `  p99 ${f(percentile(sorted, 0.99))} ${unit}` : '';
  return `${label.padEnd(22)} n=${String(sorted.length).padStart(3)} min ${f(sorted[0] ?? Number.NaN)} ${unit}  median ${f(percentile(sorted, 0.5))} ${unit}  p90 ${f(percentile(sorted, 0.9))} ${unit}  max ${f(sorted.at(-1) ?? Number.NaN)} ${unit}${p99}`;
}

const byFault = (): Record<Fault, number[]> => ({ SIGKILL: [], SIGTERM: [], 'link-own': [], 'link-bridge': [] });
const lab = await Lab.create({ advertIntervalMs, preemptDelayMs: PREEMPT_DELAY_MS });
const answers: Answer[] = [];
const firstAnswerAfter = (list: readonly Answer[], name: DirectorName, afterMs: number): Answer | undefined => list.find((a) => a.atMs > afterMs && a.from === name);
const nowMs = (): number => performance.timeOrigin + performance.now();
const takeover = byFault();
const longestGap = byFault();
const baseline = byFault();
/** The planned-handover figures from the fine probe, each after the fault and (baseline) before it. */
const fine = { spacing: [] as number[], takeover: [] as number[], failed: [] as number[], failedBefore: [] as number[], outage: [] as number[], outageBefore: [] as number[], gap: [] as number[], gapBefore: [] as number[] };
const failureKinds = new Map<string, number>();
const loads: number[] = [];

function setLink(where: 'alpha' | 'bridge', device: string, up: boolean): void {
  execFileSync('ip', ['-n', lab.namespaces[where].name, 'link', 'set', device, up ? 'up' : 'down']);
}

/** inject causes the fault and returns a function that undoes it (restart or link up). */
async function inject(fault: Fault): Promise<() => void> {
  switch (fault) {
    case 'SIGKILL':
    case 'SIGTERM': {
      const alpha = lab.daemons.get('alpha');
      if (alpha === undefined) throw new Error('alpha is not running');
      await killAndWait(alpha, fault);
      return () => { lab.startDaemon('alpha'); };
    }
    case 'link-own':
      setLink('alpha', 'eth0', false);
      return () => { setLink('alpha', 'eth0', true); };
    case 'link-bridge':
      setLink('bridge', 'p-a', false);
      return () => { setLink('bridge', 'p-a', true); };
  }
}

/**
 * settle waits until alpha (priority 200) is master alone and answering. A restarted alpha that
 * exited instead (the shared checkout may be mid-change under it) is reported and started again.
 */
async function settle(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const settledAt = nowMs();
    try {
      await waitFor('alpha to answer at the VIP', () => lab.holdsVip('alpha') && !lab.holdsVip('beta') && firstAnswerAfter(answers, 'alpha', settledAt) !== undefined, 30_000);
      return;
    } catch (error) {
      const alpha = lab.daemons.get('alpha');
      const last = (lab.logs.get('alpha') ?? []).slice(-5).map((line) => JSON.stringify(line).slice(0, 200));
      process.stderr.write(`alpha did not settle (attempt ${attempt}, exit ${String(alpha?.exitCode)}): ${last.join(' | ')}\n`);
      if (attempt === 3) throw error;
      if (alpha !== undefined) await killAndWait(alpha, 'SIGKILL');
      lab.startDaemon('alpha');
    }
  }
}

/** loggedAtMs is when `name` last logged `event` (pino's ISO time, ms), relative to `originMs`. */
function loggedAtMs(name: DirectorName, event: string, originMs: number): string {
  const line = (lab.logs.get(name) ?? []).findLast((entry) => entry['event'] === event);
  const time = typeof line?.['time'] === 'string' ? Date.parse(line['time']) : Number.NaN;
  return (time - originMs).toFixed(0);
}

/** recordHandover derives the fine-probe figures of one SIGTERM trial and prints its failed probes. */
function recordHandover(attempts: readonly ProbeAttempt[], startedAtMs: number, faultAtMs: number, stoppedAtMs: number): void {
  const fineAnswers = answersOf(attempts);
  const beta = firstAnswerAfter(fineAnswers, 'beta', faultAtMs);
  if (beta === undefined) {
    process.stderr.write('  fine probe: no answer from beta before it stopped\n');
    return;
  }
  const takeoverMs = beta.atMs - faultAtMs;
  const baselineFromMs = Math.max(faultAtMs - takeoverMs, startedAtMs);
  const failed = failedAttempts(attempts, faultAtMs, stoppedAtMs);
  fine.takeover.push(takeoverMs);
  fine.spacing.push((stoppedAtMs - startedAtMs) / attempts.length);
  fine.failed.push(failed.length);
  fine.failedBefore.push(failedAttempts(attempts, startedAtMs, faultAtMs).length);
  fine.outage.push(outageMs(attempts, faultAtMs, stoppedAtMs));
  fine.outageBefore.push(outageMs(attempts, startedAtMs, faultAtMs));
  fine.gap.push(longestGapMs(fineAnswers, faultAtMs, beta.atMs));
  fine.gapBefore.push(longestGapMs(fineAnswers, baselineFromMs, faultAtMs));
  for (const attempt of failed) failureKinds.set(attempt.error ?? '?', (failureKinds.get(attempt.error ?? '?') ?? 0) + 1);
  const lastAlpha = fineAnswers.findLast((a) => a.from === 'alpha');
  const rel = (ms: number | undefined): string => (ms === undefined ? '?' : (ms - faultAtMs).toFixed(1));
  process.stderr.write(
    `  fine: ${attempts.length} probes, takeover ${takeoverMs.toFixed(1)} ms, last alpha answer +${rel(lastAlpha?.atMs)}, beta to master +${loggedAtMs('beta', 'election.transition', faultAtMs)}, vip.hold +${loggedAtMs('beta', 'vip.hold', faultAtMs)}, alpha vip.release +${loggedAtMs('alpha', 'vip.release', faultAtMs)}; ` +
      `failed ${failed.length}${failed.map((a) => ` [sent +${rel(a.sentMs)} ${a.error ?? '?'}${a.connected === true ? ' connected' : ''} after ${(a.doneMs - a.sentMs).toFixed(1)}]`).join('')}, outage ${fine.outage.at(-1)?.toFixed(1) ?? '?'} ms\n`,
  );
}

try {
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  const probe = lab.startProbe(PROBE_INTERVAL_MS, (answer) => answers.push(answer));
  const fineProbe = await FineProbe.spawn({ namespace: lab.namespaces.client.name, host: VIP, port: RESPONDER_PORT, intervalMs: FINE_PROBE_INTERVAL_MS, timeoutMs: FINE_PROBE_TIMEOUT_MS });
  for (let trial = 0; trial < trials; trial++) {
    for (const fault of faults) {
      // alpha (priority 200) must be master and answering before each fault.
      await settle();
      const probeFinely = fault === 'SIGTERM';
      const fineStartedAt = nowMs();
      if (probeFinely) {
        fineProbe.start();
        await sleep(FINE_BEFORE_MS);
      }
      loads.push(loadavg()[0] ?? Number.NaN);
      const faultAt = nowMs();
      const undo = await inject(fault);
      await waitFor(`beta to answer after ${fault}`, () => firstAnswerAfter(answers, 'beta', faultAt) !== undefined, 30_000);
      const answer = firstAnswerAfter(answers, 'beta', faultAt);
      if (answer !== undefined) {
        takeover[fault].push(answer.atMs - faultAt);
        longestGap[fault].push(longestGapMs(answers, faultAt, answer.atMs));
        baseline[fault].push(longestGapMs(answers, faultAt - (answer.atMs - faultAt), faultAt));
      }
      process.stderr.write(`trial ${trial + 1} ${fault}: takeover ${((answer?.atMs ?? Number.NaN) - faultAt).toFixed(1)} ms, longest gap ${longestGap[fault].at(-1)?.toFixed(1) ?? '?'} ms\n`);
      if (probeFinely) {
        // inject() returned once alpha's daemon exited, i.e. after it removed the VIPs.
        await sleep(FINE_AFTER_MS);
        const stoppedAt = nowMs();
        recordHandover(await fineProbe.stop(), fineStartedAt, faultAt, stoppedAt);
      }
      // Answers older than the fault are no longer needed; keep the list short.
      answers.splice(0, answers.findIndex((a) => a.atMs > faultAt));
      undo();
    }
  }
  await fineProbe.close();
  await killAndWait(probe, 'SIGKILL');
  await Promise.all(DIRECTORS.map(async (d) => { const child = lab.daemons.get(d.name); if (child !== undefined) await killAndWait(child, 'SIGTERM'); }));
} finally {
  await lab.destroy();
}
const sortedLoads = [...loads].sort((a, b) => a - b);
const out = (line: string): void => { process.stdout.write(`${line}\n`); };
out(`failover: advert ${advertIntervalMs} ms, probe every ${PROBE_INTERVAL_MS} ms, 1-min load average min ${sortedLoads[0]?.toFixed(2) ?? '?'} median ${percentile(sortedLoads, 0.5).toFixed(2)} max ${sortedLoads.at(-1)?.toFixed(2) ?? '?'}`);
out('takeover: fault -> first client TCP connect answered by the new master');
for (const fault of faults) out(summary(fault, takeover[fault]));
out('longest gap: longest stretch without any answer, fault -> takeover (floor: the 5 ms probe period)');
for (const fault of faults) out(summary(fault, longestGap[fault]));
out('baseline: the same, over an equally long stretch just before the fault (no fault)');
for (const fault of faults) out(summary(fault, baseline[fault]));
if (fine.failed.length > 0) {
  out(`planned handover (SIGTERM), fine probe every ${FINE_PROBE_INTERVAL_MS} ms from ${FINE_BEFORE_MS} ms before the fault to ${FINE_AFTER_MS} ms after alpha exited; failed = no answer within ${FINE_PROBE_TIMEOUT_MS} ms`);
  out(summary('probe spacing (mean)', fine.spacing));
  out(summary('takeover', fine.takeover));
  out(summary('failed probes', fine.failed, '  '));
  out(summary('outage', fine.outage));
  out(summary('longest gap', fine.gap));
  out(`  trials with a failed probe: ${fine.failed.filter((n) => n > 0).length} of ${fine.failed.length}; kinds: ${[...failureKinds].map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none'}`);
  out('baseline: the same over the no-fault stretch before the fault (longest gap: as long as the takeover)');
  out(summary('failed probes before', fine.failedBefore, '  '));
  out(summary('outage before', fine.outageBefore));
  out(summary('longest gap before', fine.gapBefore));
}
