/**
 * advert-cadence: does a master advert on time while the daemon, or the machine, is busy?
 *
 *   npx tsx bench/advert-cadence/run.ts [secondsPerCase] [rr|nice|inherit]     (default 10, rr)
 *
 * A lone master on its election thread adverts to a capture socket on a thread of its own, at
 * 50 ms (the default profile) and at 10 ms (the fastest the wire allows). Each interval runs four
 * loads for secondsPerCase each:
 *   idle        nothing else runs;
 *   busy-loop   the main thread spins (a health check or an IPVS dump that never yields);
 *   alloc-storm the main thread allocates and drops objects, keeping some alive long enough to
 *               reach the old generation, so V8 runs scavenges and full collections;
 *   cpu-hog     two other processes spin, one per core of this 2-core machine.
 * It prints the inter-arrival distribution of adverts (min, median, p99, max, in ms), how many
 * gaps reached 3 intervals (where a backup's masterDown = 3 × interval + skew starts to run out,
 * RFC 5798 §6.1), and the election thread's own count of timers that ran later than its stall
 * threshold (half an interval). The election thread asks for SCHED_RR 10 (`rr`, the default), nice −10
 * only (`nice`), or nothing (`inherit`) (thread-priority.ts), so they can be compared under cpu-hog. Figures vary with the
 * machine and its other load; compare runs side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startElectionRuntime } from '../../src/election-runtime/election-runtime.js';
import { ELECTION_THREAD_NICE, ELECTION_THREAD_SCHEDULING, type ThreadSchedulingRequest } from '../../src/election-runtime/thread-priority.js';
import {
  becameMaster,
  freePort,
  gapsMs,
  loopbackNode,
  NoticeLog,
  startAdvertCapture,
} from '../../test/component/election-runtime/runtime-harness.js';
import { percentile } from '../order-statistics.js';
import { relaunchWithLauncherFlags } from '../launcher-flags.js';

// Measured under the daemon's node options (bench/launcher-flags.ts).
relaunchWithLauncherFlags();

const secondsPerCase = Number(process.argv[2] ?? 10);
const threadScheduling = schedulingFor(process.argv[3] ?? 'rr');
if (!(secondsPerCase > 0)) usage();

function schedulingFor(argument: string): ThreadSchedulingRequest | null {
  switch (argument) {
    case 'rr':
      return ELECTION_THREAD_SCHEDULING;
    case 'nice':
      return { realtimePriority: null, nice: ELECTION_THREAD_NICE };
    case 'inherit':
      return null;
    default:
      return usage();
  }
}

function usage(): never {
  console.error(`usage: npx tsx bench/advert-cadence/run.ts [secondsPerCase] [rr|nice|inherit]   (got ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}

type Load = 'idle' | 'busy-loop' | 'alloc-storm' | 'cpu-hog';
const LOADS: readonly Load[] = ['idle', 'busy-loop', 'alloc-storm', 'cpu-hog'];
const INTERVALS_MS = [50, 10] as const;

/** spin keeps the main thread busy for ms without allocating. */
function spin(ms: number): void {
  const endAt = performance.now() + ms;
  let x = 0;
  while (performance.now() < endAt) x = (x * 1103515245 + 12345) % 2147483648;
  if (x < 0) console.log(x); // keeps the loop from being optimised away
}

/** allocStorm allocates for ms; a rolling window of survivors forces old-generation collections. */
function allocStorm(ms: number): number {
  const endAt = performance.now() + ms;
  const survivors: unknown[][] = [];
  let batches = 0;
  while (performance.now() < endAt) {
    const batch = Array.from({ length: 1024 }, (_, index) => ({ index, name: `realServer-${index}`, weight: [index, index + 1] }));
    survivors.push(batch);
    if (survivors.length > 2000) survivors.splice(0, 500);
    batches += 1;
  }
  return batches;
}

/** hogs starts two processes that spin, one per core. */
function hogs(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

interface Row {
  readonly intervalMs: number;
  readonly load: Load;
  readonly adverts: number;
  readonly gaps: readonly number[];
  readonly lateTimers: number;
  readonly maxLateByMs: number;
}

let threadPriority: unknown = null;

async function runCase(intervalMs: number, load: Load): Promise<Row> {
  const capture = await startAdvertCapture();
  const log = new NoticeLog();
  const node = loopbackNode({ name: 'bench', priority: 255, advertIntervalMs: intervalMs }, ['bench', 'ghost'], await freePort(), [capture.port]);
  const runtime = await startElectionRuntime({ ...node, threadScheduling }, log.handlers);
  threadPriority = runtime.threadPriority;
  await log.waitFor(becameMaster);
  await sleep(300);
  const before = await runtime.status();
  const lastBefore = (await capture.take()).slice(-1);
  const durationMs = secondsPerCase * 1000;
  if (load === 'busy-loop') spin(durationMs);
  else if (load === 'alloc-storm') allocStorm(durationMs);
  else {
    const children = load === 'cpu-hog' ? hogs() : [];
    await sleep(durationMs);
    for (const child of children) child.kill('SIGKILL');
  }
  await sleep(3 * intervalMs);
  const times = [...lastBefore, ...(await capture.take())];
  const after = await runtime.status();
  await runtime.shutdown();
  await capture.close();
  const [failure] = log.failures;
  if (failure !== undefined) throw failure;
  return {
    intervalMs,
    load,
    adverts: times.length,
    gaps: gapsMs(times),
    lateTimers: after.timers.late - before.timers.late,
    maxLateByMs: after.timers.maxLateByMs,
  };
}

function format(row: Row): string {
  const sorted = [...row.gaps].sort((a, b) => a - b);
  const ms = (value: number): string => value.toFixed(1).padStart(7);
  const overThree = row.gaps.filter((gap) => gap >= 3 * row.intervalMs).length;
  return [
    `${row.intervalMs} ms`.padEnd(7),
    row.load.padEnd(12),
    String(row.adverts).padStart(7),
    ms(sorted[0] ?? Number.NaN),
    ms(percentile(sorted, 0.5)),
    ms(percentile(sorted, 0.99)),
    ms(sorted.at(-1) ?? Number.NaN),
    String(overThree).padStart(8),
    String(row.lateTimers).padStart(11),
    ms(row.maxLateByMs),
  ].join(' ');
}

console.log(`advert cadence, ${secondsPerCase} s per case, lone master on its election thread, Node ${process.version}`);
const rows: string[] = [];
for (const intervalMs of INTERVALS_MS) {
  for (const load of LOADS) rows.push(format(await runCase(intervalMs, load)));
}
console.log(`election thread priority: ${JSON.stringify(threadPriority)}`);
console.log('advert  load          adverts     min  median     p99     max  gaps≥3×  late timers  max late');
for (const row of rows) console.log(row);
