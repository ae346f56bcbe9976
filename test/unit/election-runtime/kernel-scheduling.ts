/**
 * kernelScheduling reads a thread's policy, realtime priority and nice value from
 * /proc/self/task/TID/stat (proc(5): fields 19 nice, 40 rt_priority, 41 policy), so tests judge
 * thread priorities by what the kernel says, not by what the code reports.
 */
import { readFileSync } from 'node:fs';

/** KernelScheduling is one thread's scheduling as the kernel reports it. */
export interface KernelScheduling {
  readonly policy: number;
  readonly realtimePriority: number;
  readonly nice: number;
}

/** kernelScheduling reads thread `threadId` of this process. */
export function kernelScheduling(threadId: number): KernelScheduling {
  const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces; field 3 follows the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (number: number): number => Number(fields[number - 3]);
  return { policy: field(41), realtimePriority: field(40), nice: field(19) };
}
