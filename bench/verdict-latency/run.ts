/**
 * run: verdict → IPVS weight change latency (measure.ts), on the fake kernel or the real one.
 *
 *   npx tsx bench/verdict-latency/run.ts [SERVICES=100] [SERVERS=10] [VERDICTS=2000] [MAX_PAUSE_MS=5] [LISTING_MS=0]
 *     in process against FakeIpvs: tandem's own path, no kernel; LISTING_MS makes each of the
 *     owner's full-pass listings take that much longer, as a large real table does;
 *   sudo npx tsx bench/verdict-latency/run.ts --guest [--baseline=DIR] [VERDICTS=500] [RUNS=3] [MAX_PAUSE_MS=5] [SERVICESxSERVERS...]
 *     boots a user-mode-linux guest (the kernel tier's harness) and runs the measurement inside
 *     it on NetlinkIpvs, i.e. Linux's IPVS over netlink, RUNS times at each table given (by
 *     default 10 × 10, 100 × 10 and 1000 × 20 real servers); each latency ends at the kernel's acknowledgement of the
 *     weight change. The sockets are those `tandem run` opens (src/cli/ipvs-sockets.ts): the
 *     owner's full passes list on a second one that yields to the writing one, and small
 *     batches are sent from the JS thread. Prints every run, then per table the medians over the
 *     runs. With --baseline, each run is made first in DIR (another checkout, e.g. an older
 *     commit with this file, measure.ts and dump-runner.ts copied in, and its own node_modules
 *     and addon) and then in this one, in the same guest, and the medians compare the two.
 *
 * Verdicts come one at a time, a random 0 to MAX_PAUSE_MS apart (measure.ts says what each
 * pause measures). In the guest this file runs again with
 * `--in-guest VERDICTS MAX_PAUSE_MS SERVICESxSERVERS...` and prints
 * one JSON line per table; the host prints them with the host's 1-minute load average, since the
 * guest's CPU is the host's.
 */
import { loadavg } from 'node:os';
import { FakeIpvs } from '../../test/fakes/fake-ipvs.js';
import { formatMeasurement, formatMedians, measureVerdictLatency, type Measurement, type TableSize } from './measure.js';

/** GUEST_TABLES are the default sizes, those the goal is checked at: 100, 1,000 and 20,000 real servers. */
const GUEST_TABLES = ['10x10', '100x10', '1000x20'] as const;

const load = (): string => loadavg()[0]?.toFixed(2) ?? '?';

/** parseTable reads "SERVICESxSERVERS". */
function parseTable(text: string, verdicts: number, maxPauseMs: number): TableSize {
  const [services, servers] = text.split('x').map(Number);
  if (services === undefined || servers === undefined || !(services > 0) || !(servers > 0)) throw new Error(`table "${text}" is not SERVICESxSERVERS`);
  return { services, servers, verdicts, maxPauseMs };
}

/** inGuest measures each table on the guest kernel, from an empty table each time, and prints JSON lines. */
async function inGuest(verdicts: number, maxPauseMs: number, tables: readonly string[]): Promise<void> {
  // Imported here, not at the top: loading the addon is only possible (and needed) in the guest.
  const { openIpvsSockets } = await import('../../src/cli/ipvs-sockets.js');
  const { NetlinkIpvs } = await import('../../src/ipvs/netlink-ipvs.js');
  // As `tandem run` opens them.
  const { writes, reads } = openIpvsSockets(120_000);
  try {
    const ipvs = await NetlinkIpvs.open(writes);
    const tableReads = await NetlinkIpvs.open(reads);
    for (const table of tables) {
      await ipvs.flush();
      console.log(JSON.stringify(await measureVerdictLatency(ipvs, parseTable(table, verdicts, maxPauseMs), tableReads)));
    }
    await ipvs.flush();
  } finally {
    reads.close();
    writes.close();
  }
}

/** onGuest boots a guest, runs this file in it with --in-guest (in `baseline` first, then here, each run), and prints its tables. */
async function onGuest(verdicts: number, runs: number, maxPauseMs: number, sizes: readonly string[], baseline: string | undefined): Promise<void> {
  const { startGuest, REPO_ROOT } = await import('../../test/kernel/harness/guest.js');
  const loadBefore = load();
  const guest = await startGuest({ timeoutMs: 120_000, memMb: 1024 });
  try {
    for (const size of sizes) parseTable(size, verdicts, maxPauseMs);
    const program = [process.execPath, '--import', 'tsx', 'bench/verdict-latency/run.ts', '--in-guest', String(verdicts), String(maxPauseMs), ...sizes];
    const checkouts = baseline === undefined ? [REPO_ROOT] : [baseline, REPO_ROOT];
    const measurements: Measurement[] = [];
    for (let run = 0; run < runs; run++) {
      for (const cwd of checkouts) {
        const result = await guest.run(program, { timeoutMs: 3_600_000, cwd });
        if (result.code !== 0) throw new Error(`the guest run in ${cwd} failed (${result.code}): ${result.stderr}`);
        const arm = baseline === undefined ? undefined : cwd === baseline ? 'baseline' : 'this checkout';
        for (const line of result.stdout.trim().split('\n')) measurements.push({ ...(JSON.parse(line) as Measurement), ...(arm === undefined ? {} : { arm }) });
      }
    }
    for (const measurement of measurements) console.log(`${formatMeasurement(measurement, 'Linux IPVS over netlink in a UML guest')}\n`);
    console.log(`medians over ${runs} runs (ms, verdict → the kernel's ack of the weight change):`);
    console.log(formatMedians(measurements));
  } finally {
    await guest.stop();
  }
  console.log(`host 1-minute load average: ${loadBefore} before, ${load()} after (2 cores, shared with the guest)`);
}

const baselineFlag = process.argv.find((arg) => arg.startsWith('--baseline='));
const args = process.argv.slice(2).filter((arg) => arg !== baselineFlag);
if (args[0] === '--in-guest') {
  await inGuest(Number(args[1]), Number(args[2]), args.slice(3));
} else if (args[0] === '--guest') {
  const sizes = args.slice(4);
  await onGuest(Number(args[1] ?? '500'), Number(args[2] ?? '3'), Number(args[3] ?? '5'), sizes.length > 0 ? sizes : GUEST_TABLES, baselineFlag?.slice('--baseline='.length));
} else {
  const [services = '100', servers = '10', verdicts = '2000', maxPauseMs = '5', listingMs = '0'] = args;
  const loadBefore = load();
  const kernel = new FakeIpvs();
  const listRules = kernel.listRules.bind(kernel);
  kernel.listRules = async () => {
    const rules = await listRules();
    await new Promise((resolve) => setTimeout(resolve, Number(listingMs)));
    return rules;
  };
  const measurement = await measureVerdictLatency(kernel, parseTable(`${services}x${servers}`, Number(verdicts), Number(maxPauseMs)));
  console.log(formatMeasurement(measurement, `FakeIpvs in process, listings ${listingMs} ms longer`));
  console.log(`host 1-minute load average: ${loadBefore} before, ${load()} after`);
}
