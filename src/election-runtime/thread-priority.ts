/**
 * thread-priority: lets the election thread, and only it, run ahead of everything else on the host.
 *
 * When other processes saturate the CPUs, a thread that wakes for an advert timer or an arriving
 * advert waits its turn behind them: the master's adverts go out late and the backup's masterDown
 * fires before it has read the adverts queued in its socket, a false failover caused from outside
 * (bench/spurious). nice only buys a larger CFS share, and a woken thread may still wait a whole
 * scheduler slice; a realtime policy (sched(7)) preempts every SCHED_OTHER task the moment the
 * thread becomes runnable. keepalived does the same for its VRRP process (`vrrp_rt_priority`).
 *
 * - Only the calling thread changes: on Linux, sched_setscheduler(2) and setpriority(2) given 0 or
 *   a thread id act on that one thread, so health checks, IPVS dumps and the main thread keep the
 *   normal policy. /proc/thread-self (proc(5), Linux 3.17) names the thread's id for the log.
 * - SCHED_RR rather than SCHED_FIFO: a thread that spun because of a bug would still share the CPU
 *   with any other realtime thread at its priority, and the kernel's realtime throttling
 *   (sched_rt_runtime_us, 950 ms per second by default) leaves other tasks a share either way.
 * - Priority ELECTION_THREAD_RT_PRIORITY = 10 is modest on purpose: above every normal task, which
 *   is all it needs, and below the kernel's own realtime threads (threaded interrupt handlers run
 *   at SCHED_FIFO 50,
 *   kernel/irq/manage.c setup_irq_thread), which deliver the very packets it waits for.
 * - SCHED_RESET_ON_FORK (sched(7)) keeps any thread or process started from it at normal priority.
 * - Realtime needs CAP_SYS_NICE, or RLIMIT_RTPRIO at least the priority (setrlimit(2)), and a
 *   realtime budget in the thread's cgroup (cpu.rt_runtime_us under CONFIG_RT_GROUP_SCHED);
 *   systemd's RestrictRealtime=yes forbids it with a seccomp filter. Refused (EPERM), the thread
 *   falls back to nice, and the result says why, so the daemon can log it.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isErrnoException, loadNative } from '../kernel/native.js';
import { missingNodeFlags } from './node-flags.js';

/** SCHED_OTHER, SCHED_RR and SCHED_RESET_ON_FORK are the policy numbers of <linux/sched.h>. */
export const SCHED_OTHER = 0;
/** SCHED_RR: realtime, round robin among threads of equal priority (sched(7)). */
export const SCHED_RR = 2;
/** SCHED_RESET_ON_FORK: children of the thread start at SCHED_OTHER (sched(7)). */
export const SCHED_RESET_ON_FORK = 0x40000000;

/** ELECTION_THREAD_RT_PRIORITY is the election thread's SCHED_RR priority (1 lowest, 99 highest); see the file comment. */
export const ELECTION_THREAD_RT_PRIORITY = 10;

/** ELECTION_THREAD_NICE is the nice value used when realtime is refused (0 is the normal level, −20 the highest). */
export const ELECTION_THREAD_NICE = -10;

/** ThreadSchedulingRequest is what the election thread asks the scheduler for. */
export interface ThreadSchedulingRequest {
  /** realtimePriority is the SCHED_RR priority (1–99) to ask for first; null asks for no realtime. */
  readonly realtimePriority: number | null;
  /** nice is the fallback when realtime is refused or not asked for; null leaves nice alone. */
  readonly nice: number | null;
}

/** ELECTION_THREAD_SCHEDULING is the default request: SCHED_RR 10, else nice −10. */
export const ELECTION_THREAD_SCHEDULING: ThreadSchedulingRequest = { realtimePriority: ELECTION_THREAD_RT_PRIORITY, nice: ELECTION_THREAD_NICE };

/**
 * ThreadPriority says what the election thread runs at: its kernel thread id (for `chrt -p`), its
 * policy with the realtime priority or nice value, and, for every part of the request it did not
 * get, the reason (log them: a refused realtime policy means false failovers under load).
 */
export interface ThreadPriority {
  /** threadId is the kernel thread id (a tid in /proc/PID/task), null when it cannot be read. */
  readonly threadId: number | null;
  readonly policy: 'SCHED_RR' | 'SCHED_OTHER';
  /** realtimePriority is the SCHED_RR priority, 0 under SCHED_OTHER. */
  readonly realtimePriority: number;
  /** nice is the thread's nice value (ignored by the kernel under SCHED_RR), null when unknown. */
  readonly nice: number | null;
  /** refused lists why each refused part of the request was refused; empty when all was granted. */
  readonly refused: readonly string[];
  /**
   * missingNodeFlags lists the node options of bin/tandem.js's `#!` line this process was started
   * without (null: unknown). Without --single-threaded-gc the thread's collections wait for
   * normal-priority GC helper threads, and its priority no longer keeps adverts on time (node-flags.ts).
   */
  readonly missingNodeFlags: readonly string[] | null;
}

/** setCurrentThreadPriority asks for `request` for the calling thread; it never throws. */
export function setCurrentThreadPriority(request: ThreadSchedulingRequest): ThreadPriority {
  const threadId = currentThreadId();
  const missing = missingNodeFlags(process.execArgv);
  const refused: string[] = [];
  if (request.realtimePriority !== null) {
    const realtime = trySetRealtime(request.realtimePriority);
    if (realtime === null) return { threadId, policy: 'SCHED_RR', realtimePriority: request.realtimePriority, nice: niceOf(threadId), refused, missingNodeFlags: missing };
    refused.push(realtime);
  }
  if (request.nice !== null) {
    const niceRefused = trySetNice(threadId, request.nice);
    if (niceRefused !== null) refused.push(niceRefused);
  }
  return { threadId, policy: 'SCHED_OTHER', realtimePriority: 0, nice: niceOf(threadId), refused, missingNodeFlags: missing };
}

/** trySetRealtime switches the calling thread to SCHED_RR; null when granted, else the reason. */
function trySetRealtime(priority: number): string | null {
  try {
    const native = loadNative();
    native.setCurrentThreadScheduler(SCHED_RR | SCHED_RESET_ON_FORK, priority);
    const now = native.getCurrentThreadScheduler();
    // The kernel accepted it, so this only fails if something else changed the thread meanwhile.
    if ((now.policy & ~SCHED_RESET_ON_FORK) !== SCHED_RR || now.priority !== priority) {
      return `asked for SCHED_RR ${priority} but the thread runs policy ${now.policy} priority ${now.priority}`;
    }
    return null;
  } catch (error) {
    if (!isErrnoException(error)) return `cannot set SCHED_RR ${priority}: ${error instanceof Error ? error.message : String(error)}`;
    if (error.code !== 'EPERM') return `cannot set SCHED_RR ${priority} (${error.code})`;
    return `SCHED_RR ${priority} refused (EPERM): ${realtimeHint(priority)}`;
  }
}

/**
 * realtimeHint tells the two usual EPERM causes apart by RLIMIT_RTPRIO ("Max realtime priority"
 * in /proc/self/limits, proc(5)): a limit below the priority without CAP_SYS_NICE, or, with the
 * limit or the capability in place, a cgroup without realtime budget or a seccomp filter.
 */
function realtimeHint(priority: number): string {
  const limit = realtimePriorityLimit();
  const budget = 'if CAP_SYS_NICE is granted, the cgroup has no realtime budget (cpu.rt_runtime_us = 0) or systemd RestrictRealtime=yes forbids it';
  if (limit !== null && limit < priority) return `grant CAP_SYS_NICE or raise RLIMIT_RTPRIO to ${priority} (LimitRTPRIO=, now ${limit}); ${budget}`;
  return `RLIMIT_RTPRIO is ${limit ?? 'unknown'}; ${budget}`;
}

function realtimePriorityLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('Max realtime priority'));
    // "Max realtime priority     0     0" : soft limit, hard limit (units absent).
    const soft = line?.slice('Max realtime priority'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return null;
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return null;
  }
}

/** trySetNice sets the thread's nice value; null when granted, else the reason. */
function trySetNice(threadId: number | null, nice: number): string | null {
  if (threadId === null) return `cannot set nice ${nice}: this thread's id is unreadable in /proc/thread-self`;
  try {
    setPriority(threadId, nice);
    return null;
  } catch (error) {
    return `cannot set nice ${nice} (${errorCode(error)}); grant CAP_SYS_NICE to raise the election thread`;
  }
}

function currentThreadId(): number | null {
  try {
    // "<pid>/task/<tid>"
    const threadId = Number(readlinkSync('/proc/thread-self').split('/')[2]);
    return Number.isInteger(threadId) ? threadId : null;
  } catch {
    return null;
  }
}

function niceOf(threadId: number | null): number | null {
  if (threadId === null) return null;
  try {
    return getPriority(threadId);
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}
