/**
 * bench/spurious/syscalls: a deterministic A/B figure for what still blocks the election thread,
 * without a 10-minute run. It counts the election thread's calls that take the process's mmap
 * lock (mprotect, mmap, munmap, madvise: the kernel serialises them against every other thread's
 * page faults and mappings) and its futex waits (a lock or condition another thread of the
 * process holds), with their longest durations, over DURATION_S.
 *
 *   sudo npx tsx bench/spurious/syscalls.ts [DURATION_S=90] [ADVERT_INTERVAL_MS=10] [BURNERS=cpus]
 *   TANDEM_BENCH_NODE_FLAGS='--single-threaded' sudo -E npx tsx bench/spurious/syscalls.ts   (an arm)
 *   TANDEM_BENCH_STACKS=1 ...                                                    (name the callers)
 *
 * The lab and load are run.ts's: two daemons in the netns lab with alloc-pressure.mjs preloaded
 * (about 800 MB/s of garbage on each main thread), and one busy allocating process per CPU.
 * TANDEM_BENCH_NODE_FLAGS adds node options ahead of bin/tandem.js's `#!` flags: the daemons are
 * started through a `node` wrapper put first on PATH, so an arm needs no edit to the launcher.
 * Tracing is `perf record` on the syscall tracepoints of the two election threads only (their
 * thread ids come from the election.thread-priority log line); it does not stop the threads.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndWait, Lab, waitFor, type DirectorName } from '../../test/netns/lab/lab.js';

const durationS = Number(process.argv[2] ?? 90);
const advertIntervalMs = Number(process.argv[3] ?? 10);
const burnerCount = Number(process.argv[4] ?? availableParallelism());
const extraFlags = process.env.TANDEM_BENCH_NODE_FLAGS ?? '';
const withStacks = process.env.TANDEM_BENCH_STACKS === '1';
const PRELOAD = new URL('alloc-pressure.mjs', import.meta.url).href;
/** The same busy, allocating loop as run.ts. */
const BURNER = 'let a=[];for(;;){a.push({x:Math.random()});if(a.length>1e5)a=[]}';
/** MM_LOCK_CALLS take the mmap lock (mm->mmap_lock) for writing or reading in the kernel. */
const MM_LOCK_CALLS = ['mprotect', 'mmap', 'munmap', 'madvise'] as const;
const TRACED = [...MM_LOCK_CALLS, 'futex'] as const;
type Traced = (typeof TRACED)[number];
/** SEND_CALLS are how libuv may send a datagram: counted (no stacks) to show the trace sees the thread. */
const SEND_CALLS = ['sendmsg', 'sendmmsg', 'sendto'] as const;
/** FUTEX_WAIT (0) and FUTEX_WAIT_BITSET (9), linux/futex.h, with FUTEX_PRIVATE_FLAG (128) masked off. */
const FUTEX_WAIT_OPS = new Set([0, 9]);

const work = await mkdtemp(join(tmpdir(), 'tandem-syscalls-'));
const wrapper = join(work, 'node');
await writeFile(wrapper, `#!/bin/sh\nexec ${process.execPath} ${extraFlags} "$@"\n`);
await chmod(wrapper, 0o755);

const lab = await Lab.create({ advertIntervalMs, preemptDelayMs: 2000 });
const burners: ChildProcess[] = [];
const loads: number[] = [];
const perfData = join(work, 'perf.data');
let tids: Record<DirectorName, number>;
try {
  const previous = { options: process.env.NODE_OPTIONS, path: process.env.PATH };
  process.env.NODE_OPTIONS = `${previous.options ?? ''} --import ${PRELOAD}`.trim();
  process.env.PATH = `${work}:${previous.path ?? ''}`;
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  restore('NODE_OPTIONS', previous.options);
  restore('PATH', previous.path);
  const logged = (name: DirectorName): Record<string, unknown>[] => lab.logs.get(name) ?? [];
  await waitFor('alpha master and beta backup', () => lab.holdsVip('alpha') && logged('beta').some((line) => line.event === 'election.transition' && line.to === 'backup'), 300_000);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const tidOf = (name: DirectorName): number => {
    const line = logged(name).find((entry) => entry.event === 'election.thread-priority');
    if (typeof line?.threadId !== 'number') throw new Error(`${name} logged no election thread id`);
    if (typeof line.missingNodeFlags === 'object' && Array.isArray(line.missingNodeFlags) && line.missingNodeFlags.length > 0) throw new Error(`${name} runs without ${line.missingNodeFlags.join(' ')}`);
    return line.threadId;
  };
  tids = { alpha: tidOf('alpha'), beta: tidOf('beta') };
  for (let i = 0; i < burnerCount; i++) burners.push(spawn('node', ['-e', BURNER], { stdio: 'ignore' }));
  const events = TRACED.flatMap((call) => ['-e', `syscalls:sys_enter_${call}`, '-e', `syscalls:sys_exit_${call}`]);
  const sends = SEND_CALLS.flatMap((call) => ['-e', `syscalls:sys_enter_${call}/call-graph=no/`]);
  const perf = spawn('perf', ['record', '-q', '-o', perfData, ...(withStacks ? ['--call-graph', 'dwarf,32768'] : []), ...events, ...sends, '-t', `${tids.alpha},${tids.beta}`], { stdio: 'ignore' });
  const startMs = performance.now();
  while (performance.now() - startMs < durationS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    loads.push(loadavg()[0] ?? Number.NaN);
  }
  await killAndWait(perf, 'SIGINT');
} finally {
  await Promise.all(burners.map((child) => killAndWait(child, 'SIGKILL')));
  await lab.destroy();
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}

/** Tally is one thread's count, total and longest duration of one kind of call. */
interface Tally {
  calls: number;
  totalMs: number;
  maxMs: number;
  /** over1Ms counts calls that took longer than a millisecond. */
  over1Ms: number;
}

// perf script's default format: "comm tid [cpu] time: event: args", then the call chain, if any.
const script = spawnSync('perf', ['script', '-i', perfData, ...(withStacks ? ['--no-inline'] : [])], { encoding: 'utf8', maxBuffer: 1 << 30 });
await rm(work, { recursive: true, force: true });
const tallies = new Map<string, Tally>();
const open = new Map<number, { call: Traced; startS: number; stack: string[]; label: string }>();
const slowStacks: string[] = [];
const sent = new Map<string, number>();
let current: { call: Traced; startS: number; stack: string[]; label: string } | undefined;
for (const line of script.stdout.split('\n')) {
  const event = /\s(\d+)\s+\[\d+\]\s+([\d.]+):\s+syscalls:sys_(enter|exit)_(\w+):\s*(.*)$/.exec(line);
  if (event === null) {
    if (current !== undefined && line.trim() !== '') current.stack.push(line.trim());
    continue;
  }
  const [, tidText, timeText, phase, call, args] = event as unknown as [string, string, string, string, Traced, string];
  const tid = Number(tidText);
  if ((SEND_CALLS as readonly string[]).includes(call)) {
    const key = `${tid === tids.alpha ? 'alpha' : 'beta'} sends`;
    sent.set(key, (sent.get(key) ?? 0) + 1);
    continue;
  }
  const timeS = Number(timeText);
  current = undefined;
  if (phase === 'enter') {
    const op = /op:\s*0x([0-9a-f]+)/.exec(args);
    const isWait = call !== 'futex' || (op !== null && FUTEX_WAIT_OPS.has(Number.parseInt(op[1] ?? '0', 16) & 0x7f));
    const label = call === 'futex' ? (isWait ? 'futex-wait' : 'futex-wake') : call;
    current = { call, startS: timeS, stack: [], label };
    open.set(tid, current);
    continue;
  }
  const started = open.get(tid);
  open.delete(tid);
  if (started === undefined) continue;
  const name = tid === tids.alpha ? 'alpha' : 'beta';
  const key = `${name} ${started.label}`;
  const tally = tallies.get(key) ?? { calls: 0, totalMs: 0, maxMs: 0, over1Ms: 0 };
  const tookMs = (timeS - started.startS) * 1000;
  tally.calls += 1;
  tally.totalMs += tookMs;
  tally.maxMs = Math.max(tally.maxMs, tookMs);
  if (tookMs > 1) tally.over1Ms += 1;
  tallies.set(key, tally);
  if (withStacks) slowStacks.push(`${key} ${tookMs.toFixed(2)} ms\n    ${started.stack.slice(0, 14).join('\n    ')}`);
}

const sorted = [...loads].sort((a, b) => a - b);
process.stdout.write(`syscalls: advert ${advertIntervalMs} ms, ${durationS} s, ${burnerCount} busy allocating processes, allocation pressure in both daemons, extra node flags '${extraFlags}'\n`);
process.stdout.write(`1-min load average min ${sorted[0]?.toFixed(2) ?? '?'} median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2) ?? '?'} max ${sorted.at(-1)?.toFixed(2) ?? '?'}\n`);
process.stdout.write('election thread   call         calls   >1ms   total ms   max ms\n');
for (const name of ['alpha', 'beta'] as const) {
  for (const label of [...MM_LOCK_CALLS, 'futex-wait', 'futex-wake']) {
    const tally = tallies.get(`${name} ${label}`) ?? { calls: 0, totalMs: 0, maxMs: 0, over1Ms: 0 };
    process.stdout.write(`${name.padEnd(17)} ${label.padEnd(11)} ${String(tally.calls).padStart(6)} ${String(tally.over1Ms).padStart(6)} ${tally.totalMs.toFixed(1).padStart(10)} ${tally.maxMs.toFixed(2).padStart(8)}\n`);
  }
  process.stdout.write(`${name.padEnd(17)} ${'(sends)'.padEnd(11)} ${String(sent.get(`${name} sends`) ?? 0).padStart(6)}\n`);
}
if (withStacks) process.stdout.write(`\n${slowStacks.join('\n')}\n`);
