/**
 * stalls: how often a process that only reads the clock loses the CPU, in the user-mode-linux
 * guest and on the host, with no tandem work at all. The verdict benchmark's tail (run.ts) can be
 * no better than this floor: a verdict that arrives in a stall waits for it.
 *
 *   sudo npx tsx bench/verdict-latency/stalls.ts [SECONDS=20] [SERVICESxSERVERS=1000x20]
 *
 * Spins SECONDS on the host, then in a guest twice with an empty IPVS table and twice with
 * SERVICES × SERVERS real servers programmed (the kernel then holds that table, and nothing
 * else runs). A stall is a gap between two consecutive clock reads; prints, per spin, how
 * many stalls passed 2, 5 and 10 ms, the share of the time spent in stalls over 10 ms, and
 * the largest. The guest spins through compiled code (compiled.ts), one fresh
 * `node` per spin with the daemon's node flags.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { launcherNodeFlags } from '../../src/election-runtime/node-flags.js';
import { compiled } from './compiled.js';
import { configFor, parseTableSize, programmingOperations } from './measure.js';

/** Stalls are the gaps over 2 ms between consecutive clock reads of one spin. */
interface Stalls {
  readonly where: string;
  readonly seconds: number;
  readonly gapsMs: readonly number[];
}

/** spin reads the clock for `seconds` and keeps every gap over 2 ms. */
function spin(where: string, seconds: number): Stalls {
  const gapsMs: number[] = [];
  const end = performance.now() + seconds * 1000;
  let last = performance.now();
  while (last < end) {
    const now = performance.now();
    if (now - last > 2) gapsMs.push(now - last);
    last = now;
  }
  return { where, seconds, gapsMs };
}

function format({ where, seconds, gapsMs }: Stalls): string {
  const over = (ms: number): number => gapsMs.filter((gap) => gap > ms).length;
  const inLong = gapsMs.filter((gap) => gap > 10).reduce((sum, gap) => sum + gap, 0);
  const largest = [...gapsMs].sort((a, b) => b - a).slice(0, 5);
  return `${where.padEnd(34)} ${String(over(2)).padStart(6)} ${String(over(5)).padStart(6)} ${String(over(10)).padStart(6)} ${((100 * inLong) / (seconds * 1000)).toFixed(2).padStart(8)} %   ${largest.map((gap) => gap.toFixed(1)).join(' ')}`;
}

/** inGuest programs the table when asked (from empty), waits for the kernel to settle, spins, and prints one JSON line. */
async function inGuest(seconds: number, table: string): Promise<void> {
  // Imported here: the addon loads only in the guest.
  const { NativeNetlinkTransport } = await import('../../src/netlink/native-transport.js');
  const { NETLINK_GENERIC } = await import('../../src/netlink/constants.js');
  const { NetlinkIpvs } = await import('../../src/ipvs/netlink-ipvs.js');
  const transport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 120_000 });
  try {
    const ipvs = await NetlinkIpvs.open(transport);
    await ipvs.flush();
    if (table !== 'empty') {
      const refused = (await ipvs.apply(programmingOperations(configFor(parseTableSize(table))))).filter((outcome) => !outcome.ok).length;
      if (refused > 0) throw new Error(`${refused} operations refused`);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(JSON.stringify(spin(`guest, table ${table}`, seconds)));
    await ipvs.flush();
  } finally {
    transport.close();
  }
}

async function onGuest(seconds: number, table: string): Promise<void> {
  const { startGuest, REPO_ROOT } = await import('../../test/kernel/harness/guest.js');
  parseTableSize(table);
  const loadBefore = loadavg()[0]?.toFixed(2) ?? '?';
  const stallsJs = compiled(REPO_ROOT, 'stalls.js');
  const results = [spin('host', seconds)];
  const guest = await startGuest({ timeoutMs: 120_000, memMb: 1024 });
  try {
    for (const size of ['empty', table, 'empty', table]) {
      const program = [process.execPath, ...launcherNodeFlags(), stallsJs, '--in-guest', String(seconds), size];
      const result = await guest.run(program, { timeoutMs: 600_000 });
      if (result.code !== 0) throw new Error(`the guest spin failed (${result.code}): ${result.stderr}`);
      results.push(JSON.parse(result.stdout) as Stalls);
    }
  } finally {
    await guest.stop();
  }
  console.log(`stalls in ${seconds} s of reading the clock:  over 2 ms, 5 ms, 10 ms; time in those over 10 ms; largest (ms)`);
  for (const result of results) console.log(format(result));
  console.log(`host 1-minute load average: ${loadBefore} before, ${loadavg()[0]?.toFixed(2) ?? '?'} after (2 cores, shared with the guest)`);
}

const args = process.argv.slice(2);
if (args[0] === '--in-guest') await inGuest(Number(args[1]), args[2] ?? 'empty');
else await onGuest(Number(args[0] ?? '20'), args[1] ?? '1000x20');
