/**
 * floor: what the guest itself costs a verdict, with no IpvsOwner, no full passes and no
 * second socket. One service with 10 real servers (or the table given); then VERDICTS weight changes, each a
 * random 0 to 5 ms after the previous one was acknowledged, sent straight through
 * NetlinkIpvs.apply, from a libuv pool thread as before and sent from the JS thread
 * (NativeTransportOptions.sendBatchesHereUpToBytes), in alternating blocks of 50. Beside it, the same loop around a libuv pool round trip that does no work
 * (fs.promises.access('/')), and how late each pause's setTimeout fired.
 *
 *   sudo npx tsx bench/verdict-latency/floor.ts --guest [VERDICTS=1000] [RUNS=3] [SERVICESxSERVERS=1x10]
 *
 * With a larger table (e.g. 1000x20) the weight changes still go to its first service while the
 * rest only sit in the kernel, which shows what a large table costs the kernel itself.
 */
import { access } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ipvsRealServer, ipvsServiceId } from '../../src/lvs/config-to-ipvs.js';
import { configFor, parseTableSize, programmingOperations, row } from './measure.js';

const load = (): string => loadavg()[0]?.toFixed(2) ?? '?';

/** timed runs `step` `count` times, each after a random 0–5 ms pause, and returns its latencies and the pauses' lateness. */
async function timed(count: number, step: (i: number) => Promise<unknown>): Promise<{ latenciesMs: number[]; lateMs: number[] }> {
  const latenciesMs: number[] = [];
  const lateMs: number[] = [];
  for (let i = 0; i < count; i++) {
    const pauseMs = Math.random() * 5;
    const pausedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    lateMs.push(performance.now() - pausedAt - pauseMs);
    const startedAt = performance.now();
    await step(i);
    latenciesMs.push(performance.now() - startedAt);
  }
  return { latenciesMs, lateMs };
}

type Timings = Awaited<ReturnType<typeof timed>>;
const timings = (): Timings => ({ latenciesMs: [], lateMs: [] });
const add = (into: Timings, from: Timings): void => {
  into.latenciesMs.push(...from.latenciesMs);
  into.lateMs.push(...from.lateMs);
};

async function inGuest(verdicts: number, tableSize: { services: number; servers: number }): Promise<void> {
  const { NativeNetlinkTransport } = await import('../../src/netlink/native-transport.js');
  const { NETLINK_GENERIC } = await import('../../src/netlink/constants.js');
  const { NetlinkIpvs } = await import('../../src/ipvs/netlink-ipvs.js');
  const transport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 10_000 });
  const hereTransport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 10_000, sendBatchesHereUpToBytes: 4096 });
  try {
    const ipvs = await NetlinkIpvs.open(transport);
    const ipvsHere = await NetlinkIpvs.open(hereTransport);
    // How long each exchange holds the JS thread when it is sent from there.
    const socket = (hereTransport as unknown as { socket: { exchange: (...args: unknown[]) => Promise<Buffer[]> } }).socket;
    const exchange = socket.exchange.bind(socket);
    const heldMs: number[] = [];
    // The addon's methods are read-only on its prototype: shadow this one on the instance.
    Object.defineProperty(socket, 'exchange', {
      value: (...args: unknown[]) => {
        const calledAt = performance.now();
        const result = exchange(...args);
        heldMs.push(performance.now() - calledAt);
        return result;
      },
    });
    await ipvs.flush();
    // The weight changes go to the first service; the others only sit in the kernel's table.
    const table = configFor(tableSize);
    await ipvs.apply(programmingOperations(table));
    const [vs] = table;
    if (vs === undefined) throw new Error('no service');
    const service = ipvsServiceId(vs);
    const edit = (port: typeof ipvs) => (i: number) => {
      const rs = vs.realServers[i % vs.realServers.length];
      if (rs === undefined) throw new Error('no real server');
      return port.apply([{ kind: 'edit-real-server', service, realServer: ipvsRealServer(rs, i % 2 === 0 ? 0 : rs.weight) }]);
    };
    // Alternating blocks of 50, so that neither arm has the cold process to itself.
    const [edits, editsHere, hops] = [timings(), timings(), timings()];
    for (let done = 0; done < verdicts; done += 50) {
      add(edits, await timed(50, edit(ipvs)));
      add(editsHere, await timed(50, edit(ipvsHere)));
      add(hops, await timed(50, () => access('/')));
    }
    await ipvs.flush();
    console.log(JSON.stringify({ edits, editsHere, hops, heldMs }));
  } finally {
    hereTransport.close();
    transport.close();
  }
}

async function onGuest(verdicts: number, runs: number, table: string): Promise<void> {
  const { startGuest, REPO_ROOT } = await import('../../test/kernel/harness/guest.js');
  const loadBefore = load();
  const guest = await startGuest({ timeoutMs: 120_000, memMb: 1024 });
  try {
    console.log(`${'ms'.padEnd(34)}${['min', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(9)).join('')}${'n'.padStart(10)}`);
    for (let run = 0; run < runs; run++) {
      const result = await guest.run([process.execPath, '--import', 'tsx', 'bench/verdict-latency/floor.ts', '--in-guest', String(verdicts), table], { timeoutMs: 600_000, cwd: REPO_ROOT });
      if (result.code !== 0) throw new Error(`guest run failed (${result.code}): ${result.stderr}`);
      const { edits, editsHere, hops, heldMs } = JSON.parse(result.stdout) as Record<'edits' | 'editsHere' | 'hops', { latenciesMs: number[]; lateMs: number[] }> & { heldMs: number[] };
      console.log(row(`run ${run + 1}: weight change, from the pool`, edits.latenciesMs, 34));
      console.log(row(`run ${run + 1}: weight change, sent here`, editsHere.latenciesMs, 34));
      console.log(row(`run ${run + 1}: JS thread held, sent here`, heldMs, 34));
      console.log(row(`run ${run + 1}: pool round trip`, hops.latenciesMs, 34));
      console.log(row(`run ${run + 1}: setTimeout lateness`, [...edits.lateMs, ...editsHere.lateMs, ...hops.lateMs], 34));
    }
  } finally {
    await guest.stop();
  }
  console.log(`host 1-minute load average: ${loadBefore} before, ${load()} after`);
}

const args = process.argv.slice(2);
if (args[0] === '--in-guest') await inGuest(Number(args[1]), parseTableSize(args[2] ?? '1x10'));
else {
  const table = args[3] ?? '1x10';
  parseTableSize(table);
  await onGuest(Number(args[1] ?? '1000'), Number(args[2] ?? '3'), table);
}
