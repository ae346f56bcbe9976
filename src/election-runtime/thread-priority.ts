/**
 * thread-priority: lets the election thread, and only it, ask the scheduler for a larger share.
 *
 * When other processes saturate the CPUs, a thread that wakes for an advert timer waits its turn
 * behind them, and its adverts go out late: the same false failover as a stall, caused from
 * outside (keepalived answers this with realtime scheduling, `vrrp_rt_priority`). On Linux, nice
 * is per thread: setpriority(2) given a thread id changes that thread alone, so health checks on
 * the main thread are not boosted. /proc/thread-self (proc(5), Linux 3.17) names the calling
 * thread's id. Lowering nice below 0 needs CAP_SYS_NICE; without it this reports why and the
 * election runs at the inherited priority.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** ELECTION_THREAD_NICE is the default nice of the election thread (0 is the normal level, −20 the highest). */
export const ELECTION_THREAD_NICE = -10;

/** ThreadPriority says what the election thread runs at, or why it could not change it. */
export type ThreadPriority = { readonly nice: number } | { readonly nice: number | null; readonly error: string };

/** setCurrentThreadNice sets the calling thread's nice value; it never throws. */
export function setCurrentThreadNice(nice: number): ThreadPriority {
  let threadId: number;
  try {
    // "<pid>/task/<tid>"
    threadId = Number(readlinkSync('/proc/thread-self').split('/')[2]);
  } catch (error) {
    return { nice: null, error: `cannot find this thread's id in /proc/thread-self (${errorCode(error)})` };
  }
  try {
    setPriority(threadId, nice);
    return { nice: getPriority(threadId) };
  } catch (error) {
    return { nice: getPriority(threadId), error: `cannot set nice ${nice} (${errorCode(error)}); grant CAP_SYS_NICE to raise the election thread` };
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}
