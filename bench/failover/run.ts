/**
 * bench/failover: how long a client cannot reach the VIP when the master fails. Two `tandem run`
 * daemons and a client in network namespaces (the netns test lab); each director runs a small TCP
 * responder that answers with its name, and the client connects to the VIP every 5 ms.
 *
 * Faults, one of each per trial: SIGKILL of alpha's daemon, SIGTERM (a planned handover), alpha's
 * own eth0 set down, and the bridge side of alpha's link (p-a) set down. Per fault it prints:
 * - takeover: from the fault to the first connect answered by the new master (beta);
 * - outage: the longest stretch, from the fault on, in which no connect was answered at all
 *   (make-before-break keeps this near the probe interval for SIGTERM);
 * - baseline: the same measure over an equally long stretch just before the fault, with no fault:
 *   the floor that probe pacing and scheduling on a loaded machine put under every outage.
 *
 *   sudo npx tsx bench/failover/run.ts [TRIALS=20] [ADVERT_INTERVAL_MS=50]
 *
 * Root only; it creates and removes its own namespaces. See README.md for the profiles and figures.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { DIRECTORS, killAndWait, Lab, waitFor, type DirectorName } from '../../test/netns/lab/lab.js';
import { percentile } from '../order-statistics.js';

const PROBE_INTERVAL_MS = 5;
/** A restarted alpha (run from source) needs a few seconds to warm up before it preempts. */
const PREEMPT_DELAY_MS = 2000;
const trials = Number(process.argv[2] ?? 20);
const advertIntervalMs = Number(process.argv[3] ?? 50);

const FAULTS = ['SIGKILL', 'SIGTERM', 'link-own', 'link-bridge'] as const;
type Fault = (typeof FAULTS)[number];

interface Answer {
  readonly atMs: number;
  readonly from: string;
}

/** summary prints min, median, p90, max, and p99 once there are enough trials for it to differ from max. */
function summary(label: string, figures: readonly number[]): string {
  const sorted = [...figures].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(1).padStart(8);
  const p99 = sorted.length >= 100 ? `  p99 ${f(percentile(sorted, 0.99))} ms` : '';
  return `${label.padEnd(20)} n=${String(sorted.length).padStart(3)} min ${f(sorted[0] ?? Number.NaN)} ms  median ${f(percentile(sorted, 0.5))} ms  p90 ${f(percentile(sorted, 0.9))} ms  max ${f(sorted.at(-1) ?? Number.NaN)} ms${p99}`;
}

const lab = await Lab.create({ advertIntervalMs, preemptDelayMs: PREEMPT_DELAY_MS });
const answers: Answer[] = [];
const firstAnswerAfter = (name: DirectorName, afterMs: number): Answer | undefined => answers.find((a) => a.atMs > afterMs && a.from === name);
const nowMs = (): number => performance.timeOrigin + performance.now();
const takeover: Record<Fault, number[]> = { SIGKILL: [], SIGTERM: [], 'link-own': [], 'link-bridge': [] };
const outage: Record<Fault, number[]> = { SIGKILL: [], SIGTERM: [], 'link-own': [], 'link-bridge': [] };
const baseline: Record<Fault, number[]> = { SIGKILL: [], SIGTERM: [], 'link-own': [], 'link-bridge': [] };
const loads: number[] = [];

/** longestGap is the longest time without any answer between `fromMs` and `untilMs`. */
function longestGap(fromMs: number, untilMs: number): number {
  let last = fromMs;
  let gap = 0;
  for (const answer of answers) {
    if (answer.atMs <= fromMs || answer.atMs > untilMs) continue;
    gap = Math.max(gap, answer.atMs - last);
    last = answer.atMs;
  }
  return gap;
}

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
      await waitFor('alpha to answer at the VIP', () => lab.holdsVip('alpha') && !lab.holdsVip('beta') && firstAnswerAfter('alpha', settledAt) !== undefined, 30_000);
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

try {
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  const probe = lab.startProbe(PROBE_INTERVAL_MS, (answer) => answers.push(answer));
  for (let trial = 0; trial < trials; trial++) {
    for (const fault of FAULTS) {
      // alpha (priority 200) must be master and answering before each fault.
      await settle();
      loads.push(loadavg()[0] ?? Number.NaN);
      const faultAt = nowMs();
      const undo = await inject(fault);
      await waitFor(`beta to answer after ${fault}`, () => firstAnswerAfter('beta', faultAt) !== undefined, 30_000);
      const answer = firstAnswerAfter('beta', faultAt);
      if (answer !== undefined) {
        takeover[fault].push(answer.atMs - faultAt);
        outage[fault].push(longestGap(faultAt, answer.atMs));
        baseline[fault].push(longestGap(faultAt - (answer.atMs - faultAt), faultAt));
      }
      process.stderr.write(`trial ${trial + 1} ${fault}: takeover ${((answer?.atMs ?? Number.NaN) - faultAt).toFixed(1)} ms, outage ${outage[fault].at(-1)?.toFixed(1) ?? '?'} ms\n`);
      // Answers older than the fault are no longer needed; keep the list short.
      answers.splice(0, answers.findIndex((a) => a.atMs > faultAt));
      undo();
    }
  }
  await killAndWait(probe, 'SIGKILL');
  await Promise.all(DIRECTORS.map(async (d) => { const child = lab.daemons.get(d.name); if (child !== undefined) await killAndWait(child, 'SIGTERM'); }));
} finally {
  await lab.destroy();
}
const sortedLoads = [...loads].sort((a, b) => a - b);
process.stdout.write(`failover: advert ${advertIntervalMs} ms, probe every ${PROBE_INTERVAL_MS} ms, 1-min load average min ${sortedLoads[0]?.toFixed(2) ?? '?'} median ${percentile(sortedLoads, 0.5).toFixed(2)} max ${sortedLoads.at(-1)?.toFixed(2) ?? '?'}\n`);
process.stdout.write('takeover: fault -> first client TCP connect answered by the new master\n');
for (const fault of FAULTS) process.stdout.write(`${summary(fault, takeover[fault])}\n`);
process.stdout.write('outage: longest stretch without any answer, fault -> takeover\n');
for (const fault of FAULTS) process.stdout.write(`${summary(fault, outage[fault])}\n`);
process.stdout.write('baseline: the same, over an equally long stretch just before the fault (no fault)\n');
for (const fault of FAULTS) process.stdout.write(`${summary(fault, baseline[fault])}\n`);
