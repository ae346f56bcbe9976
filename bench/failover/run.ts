/**
 * bench/failover: how long a client cannot reach the VIP when the master dies (SIGKILL) or
 * leaves (SIGTERM). Two `tandem run` daemons and a client in network namespaces (the netns
 * test lab); the client connects to the VIP every 5 ms, and a trial's figure is the time from
 * the signal to the first connection the other director answers.
 *
 *   sudo npx tsx bench/failover/run.ts [TRIALS=10] [ADVERT_INTERVAL_MS=50]
 *
 * Root only; it creates and removes its own namespaces. Prints min/median/p90/max per kind.
 */
import { DIRECTORS, killAndWait, Lab, waitFor, type DirectorName } from '../../test/netns/lab/lab.js';

const PROBE_INTERVAL_MS = 5;
const PREEMPT_DELAY_MS = 2000;
const trials = Number(process.argv[2] ?? 10);
const advertIntervalMs = Number(process.argv[3] ?? 50);

interface Answer {
  readonly atMs: number;
  readonly from: string;
}

/** percentile picks the nearest-rank percentile of sorted figures. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function summary(label: string, figures: readonly number[]): string {
  const sorted = [...figures].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(1).padStart(8);
  return `${label.padEnd(8)} n=${String(sorted.length).padStart(3)} min ${f(sorted[0] ?? Number.NaN)} ms  median ${f(percentile(sorted, 50))} ms  p90 ${f(percentile(sorted, 90))} ms  max ${f(sorted.at(-1) ?? Number.NaN)} ms`;
}

const lab = await Lab.create({ advertIntervalMs, preemptDelayMs: PREEMPT_DELAY_MS });
const answers: Answer[] = [];
const firstAnswerAfter = (name: DirectorName, afterMs: number): Answer | undefined => answers.find((a) => a.atMs > afterMs && a.from === name);
const nowMs = (): number => performance.timeOrigin + performance.now();
const results: Record<'SIGKILL' | 'SIGTERM', number[]> = { SIGKILL: [], SIGTERM: [] };
try {
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  const probe = lab.startProbe(PROBE_INTERVAL_MS, (answer) => answers.push(answer));
  for (let trial = 0; trial < trials; trial++) {
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      // alpha (priority 200) must be master and answering before each fault.
      const settledAt = nowMs();
      await waitFor('alpha to answer at the VIP', () => firstAnswerAfter('alpha', settledAt) !== undefined, 30_000);
      const alpha = lab.daemons.get('alpha');
      if (alpha === undefined) throw new Error('alpha is not running');
      const faultAt = nowMs();
      await killAndWait(alpha, signal);
      await waitFor(`beta to answer after ${signal}`, () => firstAnswerAfter('beta', faultAt) !== undefined, 30_000);
      const answer = firstAnswerAfter('beta', faultAt);
      if (answer !== undefined) results[signal].push(answer.atMs - faultAt);
      process.stderr.write(`trial ${trial + 1} ${signal}: ${(answer?.atMs ?? Number.NaN) - faultAt} ms\n`);
      lab.startDaemon('alpha');
      // Let alpha warm up, preempt and be answering again before the next fault.
      const restartedAt = nowMs();
      await waitFor('alpha to take the VIP back', () => lab.holdsVip('alpha') && !lab.holdsVip('beta') && firstAnswerAfter('alpha', restartedAt) !== undefined, 30_000);
    }
  }
  await killAndWait(probe, 'SIGKILL');
  await Promise.all(DIRECTORS.map(async (d) => { const child = lab.daemons.get(d.name); if (child !== undefined) await killAndWait(child, 'SIGTERM'); }));
} finally {
  await lab.destroy();
}
process.stdout.write(`failover: fault -> first client TCP connect answered by the new master (advert ${advertIntervalMs} ms, probe every ${PROBE_INTERVAL_MS} ms)\n`);
for (const signal of ['SIGKILL', 'SIGTERM'] as const) process.stdout.write(`${summary(signal, results[signal])}\n`);
