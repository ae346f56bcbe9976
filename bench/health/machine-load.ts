/**
 * machine-load: what the rest of the machine did during a benchmark, read from /proc (proc(5)):
 * another process's CPU time, the whole machine's CPU busy share, and the kernel's count of
 * connections a listener had to drop because its accept queue was full.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU times in clock ticks of sysconf(_SC_CLK_TCK), 100 on Linux (proc(5), time(7)). */
const USER_HZ = 100;

/** processCpuSeconds is a process's user + system CPU time so far, from /proc/PID/stat fields 14 and 15. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 is index 0.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** CpuTicks are the machine's busy and total jiffies (first line of /proc/stat). */
export interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

/** machineCpuTicks reads /proc/stat's "cpu" line; idle and iowait are the idle part. */
export function machineCpuTicks(): CpuTicks {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal (guest times are already in user).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

/** busyShare is the share (0..1) of all CPUs busy between two readings. */
export function busyShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** listenDrops is TcpExt ListenDrops from /proc/net/netstat: SYNs or handshakes dropped by a full listener. */
export function listenDrops(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
  const names = lines[header]?.split(' ') ?? [];
  const values = lines[header + 1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenDrops')] ?? Number.NaN);
}
