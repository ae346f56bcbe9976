/**
 * run: verdict → IPVS weight change latency (measure.ts), on the fake kernel or the real one.
 *
 *   npx tsx bench/verdict-latency/run.ts [SERVICES=100] [SERVERS=10] [VERDICTS=2000] [MAX_PAUSE_MS=5] [LISTING_MS=0]
 *     in process against FakeIpvs: tandem's own path, no kernel; LISTING_MS makes each of the
 *     owner's full-pass listings take that much longer, as a large real table does;
 *   sudo npx tsx bench/verdict-latency/run.ts --guest [--baseline=DIR] [VERDICTS=500] [RUNS=3] [MAX_PAUSE_MS=5] [WARM_UP_VERDICTS=3000] [SERVICESxSERVERS...]
 *     boots a user-mode-linux guest (the kernel tier's harness) and runs the measurement inside
 *     it on NetlinkIpvs, i.e. Linux's IPVS over netlink, RUNS times at each table given (by
 *     default 10 × 10, 100 × 10 and 1000 × 20 real servers); each latency ends at the kernel's acknowledgement of the
 *     weight change. The sockets are those `tandem run` opens (src/cli/ipvs-sockets.ts): the
 *     owner's full passes list on a second one that yields to the writing one, and small
 *     batches are sent from the JS thread. Prints every run, then per table the medians over the
 *     runs. Each run first makes WARM_UP_VERDICTS verdicts on the first table, reported apart
 *     (onGuest says why). With --baseline, each run is made first in DIR (another checkout,
 *     e.g. an older commit with this file, measure.ts, tsconfig.json and src/cli/ipvs-sockets.ts
 *     copied in, and its own node_modules and addon) and then in this one, in the same guest,
 *     and the medians compare the two.
 *
 * Verdicts come one at a time, a random 0 to MAX_PAUSE_MS apart (measure.ts says what each
 * pause measures). The guest runs this file compiled (compiled.ts) with
 * `--in-guest VERDICTS MAX_PAUSE_MS WARM_UP_VERDICTS SERVICESxSERVERS...`, which prints one JSON
 * line per table; the host prints them with the host's 1-minute load average, since the
 * guest's CPU is the host's.
 */
import { loadavg } from 'node:os';
import { launcherNodeFlags } from '../../src/election-runtime/node-flags.js';
import { FakeIpvs } from '../../test/fakes/fake-ipvs.js';
import { compiled } from './compiled.js';
import { formatMeasurement, formatMedians, measureVerdictLatency, parseTableSize, type Measurement, type TableSize } from './measure.js';

/** GUEST_TABLES are the default sizes, those the goal is checked at: 100, 1,000 and 20,000 real servers. */
const GUEST_TABLES = ['10x10', '100x10', '1000x20'] as const;

/** WARM_UP_MAX_PAUSE_MS bounds the pauses between warm-up verdicts. */
const WARM_UP_MAX_PAUSE_MS = 5;

const load = (): string => loadavg()[0]?.toFixed(2) ?? '?';

/** parseTable reads "SERVICESxSERVERS". */
function parseTable(text: string, verdicts: number, maxPauseMs: number): TableSize {
  return { ...parseTableSize(text), verdicts, maxPauseMs };
}

/**
 * inGuest measures each table on the guest kernel, from an empty table each time, and prints
 * JSON lines; first, when warmUpVerdicts > 0, that many verdicts on the first table, marked
 * warmUp (see onGuest).
 */
async function inGuest(verdicts: number, maxPauseMs: number, warmUpVerdicts: number, tables: readonly string[]): Promise<void> {
  // Imported here, not at the top: loading the addon is only possible (and needed) in the guest.
  const { openIpvsSockets } = await import('../../src/cli/ipvs-sockets.js');
  const { NetlinkIpvs } = await import('../../src/ipvs/netlink-ipvs.js');
  // As `tandem run` opens them.
  const { writes, reads } = openIpvsSockets(120_000);
  try {
    const ipvs = await NetlinkIpvs.open(writes);
    const tableReads = await NetlinkIpvs.open(reads);
    const [first] = tables;
    if (warmUpVerdicts > 0 && first !== undefined) {
      await ipvs.flush();
      // Back to back (0–5 ms pauses) whatever MAX_PAUSE_MS says: it is the compiling that has to be got through, not the time.
      console.log(JSON.stringify({ ...(await measureVerdictLatency(ipvs, parseTable(first, warmUpVerdicts, WARM_UP_MAX_PAUSE_MS), tableReads)), warmUp: true }));
    }
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

/**
 * onGuest boots a guest, runs this file in it with --in-guest (in `baseline` first, then here,
 * each run), and prints its tables. Each run first makes warmUpVerdicts verdicts on the first
 * table, reported apart: a fresh node process in the guest spends its first tens of seconds
 * compiling on V8's background threads, which take the guest's one CPU from the verdicts, and
 * the daemon is past that within a minute of starting.
 */
async function onGuest(verdicts: number, runs: number, maxPauseMs: number, warmUpVerdicts: number, sizes: readonly string[], baseline: string | undefined): Promise<void> {
  const { startGuest, REPO_ROOT } = await import('../../test/kernel/harness/guest.js');
  const loadBefore = load();
  for (const size of sizes) parseTable(size, verdicts, maxPauseMs);
  const checkouts = baseline === undefined ? [REPO_ROOT] : [baseline, REPO_ROOT];
  const programs = checkouts.map((checkout) => ({ cwd: checkout, program: compiled(checkout) }));
  const guest = await startGuest({ timeoutMs: 120_000, memMb: 1024 });
  try {
    const measurements: Measurement[] = [];
    for (let run = 0; run < runs; run++) {
      for (const { cwd, program: runJs } of programs) {
        // With the node options the daemon runs with (bin/tandem.js), since they change how V8 uses the guest's one CPU.
        const program = [process.execPath, ...launcherNodeFlags(), runJs, '--in-guest', String(verdicts), String(maxPauseMs), String(warmUpVerdicts), ...sizes];
        const result = await guest.run(program, { timeoutMs: 3_600_000, cwd });
        if (result.code !== 0) throw new Error(`the guest run in ${cwd} failed (${result.code}): ${result.stderr}`);
        for (const line of result.stdout.trim().split('\n')) {
          const measurement = JSON.parse(line) as Measurement & { readonly warmUp?: boolean };
          const arm = [baseline === undefined ? '' : cwd === baseline ? 'baseline' : 'this checkout', measurement.warmUp === true ? 'warm-up' : ''].filter((part) => part !== '').join(', ');
          measurements.push({ ...measurement, ...(arm === '' ? {} : { arm }) });
        }
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
  await inGuest(Number(args[1]), Number(args[2]), Number(args[3]), args.slice(4));
} else if (args[0] === '--guest') {
  const sizes = args.slice(5);
  await onGuest(Number(args[1] ?? '500'), Number(args[2] ?? '3'), Number(args[3] ?? '5'), Number(args[4] ?? '3000'), sizes.length > 0 ? sizes : GUEST_TABLES, baselineFlag?.slice('--baseline='.length));
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
